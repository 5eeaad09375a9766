// A connector's segments-per-second limit (`tps`): one bucket shared by all of its binds, each of
// which runs on its own I/O thread, so it is thread-safe. Time is passed in (testable).
#pragma once

#include <chrono>
#include <mutex>

namespace mail2sms::smpp {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  // `per_second` <= 0: no limit. The bucket holds max(1, per_second / 10) tokens and starts
  // full, so a burst is at most 100 ms worth of the rate.
  token_bucket(double per_second, clock::time_point now);

  // Takes one token when there is one (always, without a limit).
  bool take(clock::time_point now);
  // How long until a token will be there (zero without a limit or with a token now).
  std::chrono::microseconds wait(clock::time_point now);

 private:
  void refill(clock::time_point now);  // mutex_ held

  const double rate_;
  const double capacity_;
  std::mutex mutex_;
  double tokens_;
  clock::time_point at_;
};

}  // namespace mail2sms::smpp
