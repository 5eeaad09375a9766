// How many mails to the postmaster one client address may send in an hour. The mailbox's size
// bounds what all clients together can store; this keeps one of them from filling it (or the
// forwarding relay) alone. Thread-safe: every session of a server shares one. The clock is
// injected for tests.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace mail2sms::smtpd {

class postmaster_budget {
 public:
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;

  explicit postmaster_budget(
      std::size_t per_hour, clock_fn now = [] { return std::chrono::steady_clock::now(); });

  // Takes one mail from the address's budget for its current hour (which starts with its first
  // mail); false when there is none left. An IPv6 address counts as its /64 (what one host
  // usually has to pick from).
  bool take(const std::string& client);
  // The mail taken was not stored (the mailbox was full, the database away): the client will
  // try again, and that is not another mail.
  void give_back(const std::string& client);
  // How many addresses (IPv6: /64s) it remembers now.
  std::size_t remembered();

 private:
  struct window {
    std::chrono::steady_clock::time_point start;
    std::size_t used = 0;
  };
  std::size_t per_hour_;
  clock_fn now_;
  std::mutex mutex_;
  std::unordered_map<std::string, window> clients_;
  std::size_t next_sweep_;  // the map's size at which the next take sweeps it
};

}  // namespace mail2sms::smtpd
