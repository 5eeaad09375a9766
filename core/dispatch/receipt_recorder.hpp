// Receipts and replies from the connectors' I/O threads to the database, in batches, on a thread
// of their own. Each is acknowledged to the SMSC only after it was committed (ack(true)); when the
// database refuses, ack(false) tells the SMSC to send it again later (ESME_RX_T_APPN).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <vector>

#include "core/dispatch/reports.hpp"

namespace mail2sms::core {

class receipt_recorder {
 public:
  using ack_fn = std::function<void(bool stored)>;

  // `reply_parts_wait`: how long the parts of a concatenated reply are kept waiting for the rest
  // before the reply is stored as it is (see report_store::store_incomplete_replies).
  explicit receipt_recorder(report_store& store,
                            std::chrono::seconds reply_parts_wait = std::chrono::minutes(30),
                            std::size_t max_batch = 1000);

  // Thread-safe and quick: queues for the next batch.
  void add(delivery_report report, ack_fn ack);
  void add(inbound_message message, ack_fn ack);

  // Records batches until stop is requested, then what is still queued. At start and every
  // minute, has the store match stored receipts that still match no part (see
  // report_store::match_stored_reports) and store the replies that waited too long for parts.
  void run(std::stop_token stop);
  // Records what is queued now (at most max_batch of each kind); returns how many.
  std::size_t flush();

 private:
  void match_stored(std::chrono::seconds window);
  void store_incomplete_replies();

  report_store& store_;
  const std::chrono::seconds reply_parts_wait_;
  const std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable added_;
  std::vector<std::pair<delivery_report, ack_fn>> reports_;
  std::vector<std::pair<inbound_message, ack_fn>> inbound_;
};

}  // namespace mail2sms::core
