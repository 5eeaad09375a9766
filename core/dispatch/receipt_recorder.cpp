// Batching receipts and replies into transactions (see receipt_recorder.hpp).
#include "core/dispatch/receipt_recorder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace mail2sms::core {
namespace {

// Takes up to `max` items off the front of `from`.
template <class T>
std::vector<T> take(std::vector<T>& from, std::size_t max) {
  const auto n = static_cast<std::ptrdiff_t>(std::min(max, from.size()));
  std::vector<T> out(std::make_move_iterator(from.begin()),
                     std::make_move_iterator(from.begin() + n));
  from.erase(from.begin(), from.begin() + n);
  return out;
}

// Stores the items' values with `store_fn` and acknowledges each with the outcome.
template <class T, class F>
std::size_t store_and_ack(std::vector<std::pair<T, receipt_recorder::ack_fn>>& items,
                          const char* what, F&& store_fn) {
  if (items.empty()) return 0;
  std::vector<T> values;
  values.reserve(items.size());
  for (const auto& [value, ack] : items) values.push_back(value);
  const auto stored = store_fn(values);
  if (!stored) {
    spdlog::error("{} {} not stored (the SMSC will send them again): {}", items.size(), what,
                  stored.error().message);
  }
  for (auto& [value, ack] : items) {
    if (ack) ack(stored.has_value());
  }
  return items.size();
}

}  // namespace

receipt_recorder::receipt_recorder(report_store& store, std::chrono::seconds reply_parts_wait,
                                   std::size_t max_batch)
    : store_(store),
      reply_parts_wait_(reply_parts_wait),
      max_batch_(std::max<std::size_t>(1, max_batch)) {}

void receipt_recorder::add(delivery_report report, ack_fn ack) {
  {
    std::lock_guard lock(mutex_);
    reports_.emplace_back(std::move(report), std::move(ack));
  }
  added_.notify_one();
}

void receipt_recorder::add(inbound_message message, ack_fn ack) {
  {
    std::lock_guard lock(mutex_);
    inbound_.emplace_back(std::move(message), std::move(ack));
  }
  added_.notify_one();
}

std::size_t receipt_recorder::flush() {
  std::vector<std::pair<delivery_report, ack_fn>> reports;
  std::vector<std::pair<inbound_message, ack_fn>> inbound;
  {
    std::lock_guard lock(mutex_);
    reports = take(reports_, max_batch_);
    inbound = take(inbound_, max_batch_);
  }
  return store_and_ack(reports, "delivery reports",
                       [&](const auto& v) { return store_.record_reports(v); }) +
         store_and_ack(inbound, "inbound messages",
                       [&](const auto& v) { return store_.record_inbound(v); });
}

void receipt_recorder::match_stored(std::chrono::seconds window) {
  const auto matched = store_.match_stored_reports(window);
  if (!matched) {
    spdlog::error("receipts: cannot look for stored receipts that match no part yet: {}",
                  matched.error().message);
  } else if (*matched > 0) {
    spdlog::warn(
        "receipts: {} stored receipts matched their parts only on a second look (a "
        "process stopped between recording them and looking)",
        *matched);
  }
}

void receipt_recorder::store_incomplete_replies() {
  const auto stored = store_.store_incomplete_replies(reply_parts_wait_);
  if (!stored) {
    spdlog::error("replies: cannot store the replies still missing parts: {}",
                  stored.error().message);
  } else if (*stored > 0) {
    spdlog::warn("replies: stored {} concatenated replies still missing parts after {} s, as they "
                 "are (inbound_messages.parts_missing says which)",
                 *stored, reply_parts_wait_.count());
  }
}

void receipt_recorder::run(std::stop_token stop) {
  // At start the look goes back far enough for a process that was down for a while; after
  // that, an hour covers any transaction that was still open at the previous look.
  match_stored(std::chrono::hours(48));
  store_incomplete_replies();
  auto last_look = std::chrono::steady_clock::now();
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mutex_);
      added_.wait_for(lock, std::chrono::milliseconds(200),
                      [this] { return !reports_.empty() || !inbound_.empty(); });
    }
    flush();
    if (std::chrono::steady_clock::now() - last_look >= std::chrono::minutes(1)) {
      match_stored(std::chrono::hours(1));
      store_incomplete_replies();
      last_look = std::chrono::steady_clock::now();
    }
  }
  while (flush() > 0) {
  }
}

}  // namespace mail2sms::core
