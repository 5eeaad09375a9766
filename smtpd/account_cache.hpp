// The accounts that client networks and TLS client certificates identify, remembered for a few
// seconds. Without it every connection asked the database (a read transaction of five round
// trips, about 2.5 ms on the benchmark VM) before its greeting, which set the rate of clients
// that open a connection per mail: legacy systems, alerting tools, sendmail(1). Pure (the clock
// is injected) and thread-safe: every session of a server shares one.
//
// Only accounts found are kept, each for `ttl`; "no account" and failed lookups are not, so a
// network or certificate just added is trusted by the next connection. serve forgets everything
// (clear()) when the database says accounts changed (sql/account_changes.hpp: a network or
// certificate removed or moved, an account suspended or its settings changed) and on SIGHUP;
// `ttl` bounds what a missed notification can leave behind. Whether the account may send
// (active, credit, limits) is decided at every commit from its row whatever the cache holds.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/ports.hpp"

namespace mail2sms::smtpd {

struct account_cache_settings {
  std::chrono::seconds ttl{5};   // 0: nothing is remembered
  std::size_t capacity = 10000;  // keys at most; past it, the expired ones go, then all
};

class account_cache {
 public:
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;
  using account_ptr = std::shared_ptr<const core::account>;

  explicit account_cache(
      account_cache_settings settings,
      clock_fn now = [] { return std::chrono::steady_clock::now(); });

  // The keys: a client address, a certificate's fingerprint (two kinds that never collide).
  static std::string network_key(const std::string& address) { return "n " + address; }
  static std::string certificate_key(const std::string& fingerprint) { return "c " + fingerprint; }

  // The account remembered for key if it is fresh; null when there is none (ask the store).
  account_ptr find(const std::string& key);
  // Counts the clear()s: taken before asking the store, and given to remember().
  std::uint64_t generation() const;
  // Keeps the account the store found for key (null: nothing is kept), unless the cache was
  // cleared since `asked` (generation() before the question): the answer may predate the change
  // that cleared it.
  void remember(const std::string& key, account_ptr account, std::uint64_t asked);
  // Forgets everything: accounts changed.
  void clear();
  std::size_t size() const;

 private:
  struct entry {
    account_ptr account;
    std::chrono::steady_clock::time_point expires;
  };
  account_cache_settings settings_;
  clock_fn now_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry> entries_;
  std::uint64_t generation_ = 0;
};

}  // namespace mail2sms::smtpd
