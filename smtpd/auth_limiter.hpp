// Brute-force protection for SMTP AUTH: failure budgets per client address and per user name
// within a sliding window, with a growing delay before each failure is answered. Pure (the clock
// is injected) and thread-safe: every session of a server shares one.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace mail2sms::smtpd {

struct auth_limits {
  std::size_t per_ip = 10;    // failures from one address (IPv6: its /64) within `window`
  std::size_t per_user = 10;  // failures for one user name, from anywhere
  std::chrono::seconds window{900};
  std::chrono::milliseconds first_delay{1000};  // doubles with each failure ...
  std::chrono::milliseconds max_delay{8000};    // ... up to this
};

class auth_limiter {
 public:
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;

  explicit auth_limiter(auth_limits limits,
                        clock_fn now = [] { return std::chrono::steady_clock::now(); });

  enum class attempt {
    taken,    // verify now; end it with failed(), succeeded() or released()
    wait,     // the budget left is held by attempts still being verified: ask again shortly
    refused,  // the address or the user name has used its budget: 421
  };
  // Before verifying credentials: takes an attempt from the address's and the user name's
  // budgets. Attempts still being verified count against the budgets, so that ten sent at once
  // cannot all be tried on a budget of three; an attempt that finds the rest of the budget held
  // by them waits (`wait`) rather than being refused, so that a client opening twenty
  // connections at once with the right password gets all twenty in, a few at a time. Only
  // failures refuse.
  // An empty user name (one that names no account) is counted against the address's budget only.
  attempt take_attempt(const std::string& ip, const std::string& user);
  // Records the attempt as a failure; returns how long to wait before answering it.
  std::chrono::milliseconds failed(const std::string& ip, const std::string& user);
  // A success forgets the user name's failures (the address keeps its record: an attacker who
  // owns one account must not reset the budget for guessing the others).
  void succeeded(const std::string& ip, const std::string& user);
  // The attempt could not be verified (the account store was unavailable): not a failure.
  void released(const std::string& ip, const std::string& user);
  // The addresses and user names whose failures are remembered (stale ones included until the
  // next sweep): what the limiter holds in memory.
  std::size_t remembered();

 private:
  using failures = std::deque<std::chrono::steady_clock::time_point>;
  std::size_t recent(std::unordered_map<std::string, failures>& map, const std::string& key,
                     std::chrono::steady_clock::time_point now);
  void forget_stale(std::chrono::steady_clock::time_point now);
  void end_attempt(const std::string& ip, const std::string& user);  // with mutex_ held

  auth_limits limits_;
  clock_fn now_;
  std::mutex mutex_;
  std::unordered_map<std::string, failures> by_ip_;
  std::unordered_map<std::string, failures> by_user_;
  std::size_t next_sweep_ip_, next_sweep_user_;  // the sizes at which forget_stale sweeps them
  std::chrono::steady_clock::time_point last_sweep_;  // and at least once a window after this
  // Attempts taken and not yet ended, per address and per user name.
  std::unordered_map<std::string, std::size_t> pending_ip_, pending_user_;
};

}  // namespace mail2sms::smtpd
