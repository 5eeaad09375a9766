// Waits that end early when the thread is asked to stop, so that stopping serve does not wait
// out a poll interval or an idle wait (up to a second or more) first.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace mail2sms::core {

// How long a wait on something that cannot see the stop token (a LISTEN on the database) lasts
// at most before the token is looked at again.
inline constexpr std::chrono::milliseconds stop_check{100};

// Sleeps for `duration`, or until a stop is requested.
inline void sleep_unless_stopped(std::stop_token stop, std::chrono::milliseconds duration) {
  std::mutex mutex;
  std::condition_variable_any never;
  std::unique_lock lock(mutex);
  never.wait_for(lock, stop, duration, [] { return false; });
}

// Up to `timeout` for `wait(slice)` to say true, in slices of at most stop_check: false when the
// time is up or a stop was requested (seen within one slice). `wait` is asked at least once.
template <class Wait>
bool wait_unless_stopped(std::stop_token stop, std::chrono::milliseconds timeout, Wait wait) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!stop.stop_requested()) {
    const auto left = std::max(std::chrono::milliseconds(0),
                               std::chrono::duration_cast<std::chrono::milliseconds>(
                                   until - std::chrono::steady_clock::now()));
    if (wait(std::min(left, stop_check))) return true;
    if (left <= stop_check) return false;
  }
  return false;
}

}  // namespace mail2sms::core
