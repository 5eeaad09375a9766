// The dispatcher: claims due messages from the queue, routes each by the longest matching number
// prefix to a connector, and records the outcome (submitted, retry with backoff, or failed).
#pragma once

#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/ports.hpp"

namespace mail2sms::core {

struct route {
  std::string prefix;  // "+" matches every E.164 number; "+27" South Africa; longest wins
  sms_connector* connector = nullptr;
};

struct dispatch_settings {
  int batch_size = 50;
  int max_attempts = 10;
  std::chrono::seconds retry_base{30};
  std::chrono::seconds retry_max{3600};
  std::chrono::milliseconds idle_wait{1000};  // longest sleep between polls without a NOTIFY
};

class dispatcher {
 public:
  using clock_fn = std::function<std::chrono::system_clock::time_point()>;

  dispatcher(dispatch_queue& queue, std::vector<route> routes, dispatch_settings settings,
             clock_fn now = [] { return std::chrono::system_clock::now(); });

  // Until stop is requested: claim, send, record; sleep on LISTEN when there is nothing to do.
  void run(std::stop_token stop);
  // One batch; returns how many messages it handled (for tests and for run()).
  std::size_t run_once();

  const route* route_for(const std::string& e164) const;
  // When the next attempt after `attempts_so_far` failed attempts should happen; nullopt when
  // the message has used all its attempts.
  std::optional<std::chrono::system_clock::time_point> next_attempt(int attempts_so_far) const;

 private:
  void dispatch(const queued_message& message);

  dispatch_queue& queue_;
  std::vector<route> routes_;
  dispatch_settings settings_;
  clock_fn now_;
};

}  // namespace mail2sms::core
