// A failure that repeats while something it needs is away (the database, mostly), logged when it
// starts, at most once a minute while it goes on, and when it ends: not once per attempt. A loop
// that retries every second while PostgreSQL restarts would otherwise write a line a second for
// every loop (the dispatcher's claims, the notifier's, the LISTEN connections). One per loop: not
// for several threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace mail2sms::core {

class outage_log {
 public:
  enum class severity { warning, error };
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds repeat{60};

  // Lines read "<name>: <failing>: <reason>", "<name>: still <failing> after N s (K failures):
  // <reason>" and "<name>: <back> after N s (K failure(s))"; e.g. "dispatcher", "cannot claim
  // messages", "claiming messages again". The first two at `level`, the last at info.
  outage_log(std::string name, std::string failing, std::string back,
             severity level = severity::warning);

  // A failed attempt. The first of an outage is logged with its reason (`first`, if given,
  // stands for `failing` in that line: "connection lost"); later ones at most once a `repeat`.
  // Returns how many attempts have failed in a row, this one included.
  std::uint64_t failed(std::string_view reason, std::string_view first = {},
                       clock::time_point now = clock::now());
  // A successful attempt: the end of the outage, if one was under way, is logged.
  void succeeded(clock::time_point now = clock::now());

  std::uint64_t failures() const { return failures_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_, failing_, back_;
  severity level_;
  std::uint64_t failures_ = 0;
  clock::time_point since_, logged_at_;
};

}  // namespace mail2sms::core
