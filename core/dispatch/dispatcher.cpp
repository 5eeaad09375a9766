// Dispatch loop. Every claimed message leaves with a recorded outcome: nothing claimed is left
// in `sending` by this loop unless the process dies (then the row is the evidence).
#include "core/dispatch/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/phone/phone.hpp"

namespace mail2sms::core {

dispatcher::dispatcher(dispatch_queue& queue, std::vector<route> routes, dispatch_settings settings,
                       clock_fn now)
    : queue_(queue), routes_(std::move(routes)), settings_(settings), now_(std::move(now)) {
  // Longest prefix first, so the first match is the best one.
  std::stable_sort(routes_.begin(), routes_.end(),
                   [](const route& a, const route& b) { return a.prefix.size() > b.prefix.size(); });
}

const route* dispatcher::route_for(const std::string& e164) const {
  for (const auto& r : routes_) {
    if (e164.rfind(r.prefix, 0) == 0) return &r;
  }
  return nullptr;
}

std::optional<std::chrono::system_clock::time_point> dispatcher::next_attempt(
    int attempts_so_far) const {
  if (attempts_so_far + 1 >= settings_.max_attempts) return std::nullopt;
  auto delay = settings_.retry_base;
  for (int i = 0; i < attempts_so_far && delay < settings_.retry_max; ++i) delay *= 2;
  return now_() + std::min(delay, settings_.retry_max);
}

void dispatcher::dispatch(const queued_message& message) {
  const route* r = route_for(message.recipient);
  submit_outcome outcome;
  std::string connector_name;
  if (r == nullptr) {
    outcome.state = submit_outcome::status::permanent_failure;
    outcome.reason = "no route for this number: add a [[route]] whose prefix matches it";
  } else {
    connector_name = r->connector->name();
    outcome = r->connector->submit(message);
  }
  std::optional<std::chrono::system_clock::time_point> retry_at;
  if (outcome.state == submit_outcome::status::transient_failure) {
    retry_at = next_attempt(message.attempts);
    if (!retry_at) outcome.reason = "gave up after " + std::to_string(settings_.max_attempts) +
                                    " attempts: " + outcome.reason;
  }
  const auto recorded = queue_.record(message.id, connector_name, outcome, retry_at);
  const auto masked = phone::mask(message.recipient);
  if (!recorded) {
    spdlog::error("message {} to {}: outcome not recorded: {}", message.queue_id, masked,
                  recorded.error().message);
    return;
  }
  switch (outcome.state) {
    case submit_outcome::status::submitted:
      spdlog::info("message {} to {} submitted via {} ({} parts)", message.queue_id, masked,
                   connector_name, message.segments.size());
      break;
    case submit_outcome::status::transient_failure:
      spdlog::warn("message {} to {} via {}: {}{}", message.queue_id, masked, connector_name,
                   outcome.reason, retry_at ? " (will retry)" : "");
      break;
    case submit_outcome::status::permanent_failure:
      spdlog::warn("message {} to {} failed: {}", message.queue_id, masked, outcome.reason);
      break;
  }
}

std::size_t dispatcher::run_once() {
  auto claimed = queue_.claim(settings_.batch_size);
  if (!claimed) {
    spdlog::error("dispatcher: cannot claim messages: {}", claimed.error().message);
    return 0;
  }
  for (const auto& message : *claimed) dispatch(message);
  return claimed->size();
}

void dispatcher::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (run_once() == 0) queue_.wait_for_work(settings_.idle_wait);
  }
}

}  // namespace mail2sms::core
