// The dispatcher: claims due messages from the queue in batches, routes each by the longest
// matching number prefix to a connector (the next one for that prefix when the first is down),
// keeps many in flight at once, and records the outcomes (submitted, retry with backoff until the
// validity period ends, failed, expired) in batches.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "core/outage_log.hpp"
#include "core/ports.hpp"

namespace mail2sms::core {

// Several routes with the same prefix are one route with failover, tried in their order.
struct route {
  std::string prefix;  // "+" matches every E.164 number; "+27" South Africa; longest wins
  sms_connector* connector = nullptr;
};

struct dispatch_settings {
  int batch_size = 200;  // messages claimed at once (see docs/PERFORMANCE.md, issue #6)
  int max_attempts = 10;
  std::chrono::seconds retry_base{30};
  std::chrono::seconds retry_max{3600};
  std::chrono::milliseconds idle_wait{1000};  // longest sleep between polls without a NOTIFY
  // How long a finished message waits for the others in flight before its outcome is recorded.
  std::chrono::milliseconds outcome_gather{5};
  // run(): the shortest time between two claims that are not full batches, so that mails
  // committed a few at a time are claimed together rather than one claim each.
  std::chrono::milliseconds claim_interval{0};
  int max_in_flight = 1000;                   // messages handed to connectors, not yet recorded
  std::chrono::seconds validity{48 * 3600};   // after acceptance; then `expired`, not retried
  std::chrono::seconds recovery_interval{60}; // how often to look for a dead dispatcher's rows
  // Connectors whose `unknown` messages (interrupted by a crash) stay `unknown` for an operator
  // instead of being sent again ("hold"; the default is "resend").
  std::set<std::string> hold_unknown;
};

class dispatcher {
 public:
  using clock_fn = std::function<std::chrono::system_clock::time_point()>;

  dispatcher(dispatch_queue& queue, std::vector<route> routes, dispatch_settings settings,
             clock_fn now = [] { return std::chrono::system_clock::now(); });

  // Until stop is requested: claim and send (many at once) on this thread, sleeping on LISTEN
  // when idle, while a second thread records the outcomes as they come: a claim never waits
  // for the previous batch's outcomes to be committed. Marks a dead dispatcher's `sending` rows
  // `unknown` at start and every recovery_interval. On stop, waits for what is in flight and
  // records it.
  void run(std::stop_token stop);
  // One batch, waiting for every outcome and recording it; returns how many messages it handled.
  std::size_t run_once();
  // Rows left `sending` by a dispatcher that died become `unknown`; those whose connector's
  // policy is resend are queued again. Returns how many were found.
  std::size_t recover();

  const route* route_for(const std::string& e164) const;
  // The connector to use now: the first of the longest prefix's routes that is available, else
  // the first of them; nullptr without a route.
  sms_connector* connector_for(const std::string& e164) const;
  // When the next attempt after `attempts_so_far` failed attempts should happen; nullopt when
  // the message has used all its attempts.
  std::optional<std::chrono::system_clock::time_point> next_attempt(int attempts_so_far) const;

 private:
  struct finished {
    queued_message message;  // without its segments
    std::string connector;
    submit_outcome outcome;
  };
  std::size_t claim_and_send(int limit);
  void start(const queued_message& message);
  void finish(finished f);
  // Records every finished message; returns how many (0 when the store failed: kept for later).
  std::size_t record_finished();
  recorded_outcome decide(finished& f) const;
  void log_outcome(const finished& f, const recorded_outcome& r) const;
  void wait_for_finished(std::chrono::milliseconds timeout);
  // Until `claiming` is false and nothing is in flight (or 30 s after): record outcomes.
  void record_until_drained(const std::atomic<bool>& claiming);

  dispatch_queue& queue_;
  std::vector<route> routes_;
  dispatch_settings settings_;
  // Claims failing while the database is away: logged when they start, once a minute, and
  // when they work again.
  outage_log claims_{"dispatcher", "cannot claim messages", "claiming messages again",
                     outage_log::severity::error};
  outage_log records_{"dispatcher", "cannot record outcomes", "recording outcomes again",
                      outage_log::severity::error};
  clock_fn now_;

  std::mutex finished_mutex_;
  std::condition_variable finished_cv_;
  std::condition_variable room_cv_;  // in_flight_ fell: run()'s claiming may go on
  std::vector<finished> finished_;  // filled by connectors' callbacks, drained by the recorder
  // Claimed and not yet recorded: raised by the claiming thread, lowered by the recording one.
  std::atomic<std::size_t> in_flight_ = 0;
};

}  // namespace mail2sms::core
