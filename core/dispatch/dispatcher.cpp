// Dispatch loop. Every claimed message leaves with a recorded outcome: nothing claimed is left
// in `sending` by this loop unless the process dies (then the row is the evidence, and another
// dispatcher's recover() makes it `unknown`).
#include "core/dispatch/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "core/backoff.hpp"
#include "core/phone/phone.hpp"
#include "core/stop_wait.hpp"

namespace mail2sms::core {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

dispatcher::dispatcher(dispatch_queue& queue, std::vector<route> routes, dispatch_settings settings,
                       clock_fn now)
    : queue_(queue), routes_(std::move(routes)), settings_(std::move(settings)), now_(std::move(now)) {
  // Longest prefix first, so the first match is the best one; equal prefixes keep their order
  // (primary first, then failover).
  std::stable_sort(routes_.begin(), routes_.end(),
                   [](const route& a, const route& b) { return a.prefix.size() > b.prefix.size(); });
}

const route* dispatcher::route_for(const std::string& e164) const {
  for (const auto& r : routes_) {
    if (e164.rfind(r.prefix, 0) == 0) return &r;
  }
  return nullptr;
}

sms_connector* dispatcher::connector_for(const std::string& e164) const {
  const route* best = route_for(e164);
  if (best == nullptr) return nullptr;
  for (const auto& r : routes_) {
    if (r.prefix == best->prefix && r.connector->available()) return r.connector;
  }
  return best->connector;
}

std::optional<std::chrono::system_clock::time_point> dispatcher::next_attempt(
    int attempts_so_far) const {
  if (attempts_so_far + 1 >= settings_.max_attempts) return std::nullopt;
  return now_() + doubled(settings_.retry_base, attempts_so_far, settings_.retry_max);
}

// --- sending ----------------------------------------------------------------------------------

void dispatcher::finish(finished f) {
  {
    std::lock_guard lock(finished_mutex_);
    finished_.push_back(std::move(f));
  }
  finished_cv_.notify_one();
}

void dispatcher::start(const queued_message& message) {
  ++in_flight_;
  finished f;
  f.message.id = message.id;
  f.message.queue_id = message.queue_id;
  f.message.recipient = message.recipient;
  f.message.attempts = message.attempts;
  f.message.accepted_at = message.accepted_at;
  f.message.coding = message.coding;
  if (now_() >= message.accepted_at + settings_.validity) {
    f.outcome.state = submit_outcome::status::expired;
    f.outcome.reason = "its validity period ended before it could be sent";
    finish(std::move(f));
    return;
  }
  if (message.segments.empty()) {
    // Only a message whose stored parts are missing or unreadable (a database edited by hand):
    // no connector is asked to send nothing, and none reports it submitted.
    f.outcome.state = submit_outcome::status::permanent_failure;
    f.outcome.reason = "no SMS parts are stored for it (messages.parts is empty or unreadable)";
    finish(std::move(f));
    return;
  }
  sms_connector* connector = connector_for(message.recipient);
  if (connector == nullptr) {
    f.outcome.state = submit_outcome::status::permanent_failure;
    f.outcome.reason = "no route for this number: add a [[route]] whose prefix matches it";
    finish(std::move(f));
    return;
  }
  f.connector = connector->name();
  f.message.segments.resize(message.segments.size());  // only their count is logged
  connector->submit_async(message, [this, f = std::move(f)](submit_outcome outcome) mutable {
    f.outcome = std::move(outcome);
    finish(std::move(f));
  });
}

std::size_t dispatcher::claim_and_send(int limit) {
  auto claimed = queue_.claim(limit);
  if (!claimed) {
    claims_.failed(claimed.error().message);
    return 0;
  }
  claims_.succeeded();
  for (const auto& message : *claimed) start(message);
  return claimed->size();
}

// --- recording --------------------------------------------------------------------------------

recorded_outcome dispatcher::decide(finished& f) const {
  recorded_outcome r{f.message.id, f.connector, f.outcome, std::nullopt};
  if (r.outcome.state != submit_outcome::status::transient_failure) return r;
  r.retry_at = next_attempt(f.message.attempts);
  if (!r.retry_at) {
    r.outcome.reason =
        "gave up after " + std::to_string(settings_.max_attempts) + " attempts: " + r.outcome.reason;
  } else if (*r.retry_at >= f.message.accepted_at + settings_.validity) {
    r.retry_at.reset();
    r.outcome.state = submit_outcome::status::expired;
    r.outcome.reason = "its validity period ends before the next attempt: " + r.outcome.reason;
  }
  return r;
}

void dispatcher::log_outcome(const finished& f, const recorded_outcome& r) const {
  const auto masked = phone::mask(f.message.recipient);
  switch (r.outcome.state) {
    case submit_outcome::status::submitted:
      spdlog::info("message {} to {} submitted via {} ({} parts)", f.message.queue_id, masked,
                   r.connector, f.message.segments.size());
      break;
    case submit_outcome::status::transient_failure:
      spdlog::warn("message {} to {} via {}: {}{}", f.message.queue_id, masked, r.connector,
                   r.outcome.reason, r.retry_at ? " (will retry)" : "");
      break;
    case submit_outcome::status::permanent_failure:
      spdlog::warn("message {} to {} failed: {}", f.message.queue_id, masked, r.outcome.reason);
      break;
    case submit_outcome::status::expired:
      spdlog::warn("message {} to {} expired: {}", f.message.queue_id, masked, r.outcome.reason);
      break;
  }
}

std::size_t dispatcher::record_finished() {
  std::vector<finished> batch;
  {
    std::lock_guard lock(finished_mutex_);
    batch.swap(finished_);
  }
  if (batch.empty()) return 0;
  std::vector<recorded_outcome> outcomes;
  outcomes.reserve(batch.size());
  for (auto& f : batch) outcomes.push_back(decide(f));
  const auto recorded = queue_.record_batch(outcomes);
  if (!recorded) {
    records_.failed(std::to_string(batch.size()) +
                    " kept to record later: " + recorded.error().message);
    {
      std::lock_guard lock(finished_mutex_);
      finished_.insert(finished_.begin(), std::make_move_iterator(batch.begin()),
                       std::make_move_iterator(batch.end()));
    }
    std::this_thread::sleep_for(settings_.idle_wait);  // the database is down: not in a loop
    return 0;
  }
  records_.succeeded();
  for (std::size_t i = 0; i < batch.size(); ++i) log_outcome(batch[i], outcomes[i]);
  {
    std::lock_guard lock(finished_mutex_);
    in_flight_ -= batch.size();
  }
  room_cv_.notify_one();
  return batch.size();
}

void dispatcher::wait_for_finished(milliseconds timeout) {
  std::unique_lock lock(finished_mutex_);
  if (!finished_cv_.wait_for(lock, timeout, [this] { return !finished_.empty(); })) return;
  // The rest of what is in flight usually answers within a round trip to the SMSC: waiting a
  // little for it makes one outcome transaction of a claim instead of one per response, which
  // below the peak rate (responses trickling in) cost more CPU per message than at the peak.
  finished_cv_.wait_for(lock, settings_.outcome_gather,
                        [this] { return finished_.size() >= in_flight_; });
}

// --- loops ------------------------------------------------------------------------------------

std::size_t dispatcher::recover() {
  auto interrupted = queue_.mark_interrupted();
  if (!interrupted) {
    spdlog::error("dispatcher: cannot look for interrupted messages: {}",
                  interrupted.error().message);
    return 0;
  }
  if (interrupted->empty()) return 0;
  std::vector<std::int64_t> resend;
  for (const auto& m : *interrupted) {
    const route* r = route_for(m.recipient);
    if (r == nullptr || !settings_.hold_unknown.contains(r->connector->name())) resend.push_back(m.id);
  }
  spdlog::warn(
      "dispatcher: {} messages were being sent by a dispatcher that stopped without recording "
      "the outcome: now unknown; {} queued again (they may reach the handset twice), {} held",
      interrupted->size(), resend.size(), interrupted->size() - resend.size());
  if (!resend.empty()) {
    if (const auto requeued = queue_.requeue_unknown(resend); !requeued) {
      spdlog::error("dispatcher: cannot queue unknown messages again: {}",
                    requeued.error().message);
    }
  }
  return interrupted->size();
}

std::size_t dispatcher::run_once() {
  const auto started = claim_and_send(settings_.batch_size);
  std::size_t recorded = 0;
  while (in_flight_ > 0) {
    wait_for_finished(settings_.idle_wait);
    recorded += record_finished();
  }
  return std::max(started, recorded);
}

void dispatcher::record_until_drained(const std::atomic<bool>& claiming) {
  while (claiming.load()) {
    wait_for_finished(milliseconds(100));
    record_finished();
  }
  // Connectors answer (or fail) what they hold when they stop; record what comes back.
  const auto deadline = steady_clock::now() + std::chrono::seconds(30);
  while (in_flight_ > 0 && steady_clock::now() < deadline) {
    wait_for_finished(milliseconds(100));
    record_finished();
  }
  if (in_flight_ > 0)
    spdlog::warn("dispatcher: stopped with {} messages in flight (left `sending`)",
                 in_flight_.load());
}

void dispatcher::run(std::stop_token stop) {
  recover();
  std::atomic<bool> claiming = true;
  std::jthread recorder([this, &claiming] { record_until_drained(claiming); });
  // However this loop ends (an exception too), the recorder drains and stops before it is
  // joined, instead of recording forever.
  struct stop_recording {
    std::atomic<bool>& claiming;
    ~stop_recording() { claiming = false; }
  } stop_recording{claiming};
  auto last_recovery = steady_clock::now();
  auto last_claim = steady_clock::time_point{};
  bool want_claim = true;
  while (!stop.stop_requested()) {
    const auto now = steady_clock::now();
    if (now - last_recovery >= settings_.recovery_interval) {
      recover();
      last_recovery = now;
    }
    if (!want_claim && now - last_claim >= settings_.idle_wait) want_claim = true;
    const auto room = settings_.max_in_flight - static_cast<int>(in_flight_.load());
    if (room <= 0) {  // wait for the recorder to make room
      std::unique_lock lock(finished_mutex_);
      room_cv_.wait_for(lock, milliseconds(20), [this] {
        return static_cast<int>(in_flight_.load()) < settings_.max_in_flight;
      });
      continue;
    }
    if (want_claim) {
      if (const auto early = last_claim + settings_.claim_interval - now; early.count() > 0) {
        sleep_unless_stopped(stop, std::chrono::ceil<milliseconds>(early));
        continue;
      }
      const int limit = std::min(settings_.batch_size, room);
      const auto claimed = claim_and_send(limit);
      last_claim = steady_clock::now();
      want_claim = static_cast<int>(claimed) == limit;  // a full batch: there may be more
      if (want_claim) continue;
    }
    const auto work_came = [this](milliseconds slice) { return queue_.wait_for_work(slice); };
    if (wait_unless_stopped(stop, settings_.idle_wait, work_came)) want_claim = true;
  }
}

}  // namespace mail2sms::core
