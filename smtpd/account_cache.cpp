#include "smtpd/account_cache.hpp"

namespace mail2sms::smtpd {

account_cache::account_cache(account_cache_settings settings, clock_fn now)
    : settings_(settings), now_(std::move(now)) {}

account_cache::account_ptr account_cache::find(const std::string& key) {
  if (settings_.ttl.count() <= 0) return nullptr;
  const auto now = now_();
  const std::lock_guard lock(mutex_);
  const auto found = entries_.find(key);
  if (found == entries_.end()) return nullptr;
  if (found->second.expires <= now) {
    entries_.erase(found);
    return nullptr;
  }
  return found->second.account;
}

std::uint64_t account_cache::generation() const {
  const std::lock_guard lock(mutex_);
  return generation_;
}

void account_cache::remember(const std::string& key, account_ptr account, std::uint64_t asked) {
  if (settings_.ttl.count() <= 0 || !account) return;
  const auto now = now_();
  const std::lock_guard lock(mutex_);
  if (asked != generation_) return;
  if (entries_.size() >= settings_.capacity && !entries_.contains(key)) {
    // Many client addresses (a public port 25): the expired ones go, and if that frees
    // nothing, all of them; a full table only means more lookups, never a wrong answer.
    std::erase_if(entries_, [now](const auto& e) { return e.second.expires <= now; });
    if (entries_.size() >= settings_.capacity) entries_.clear();
  }
  entries_.insert_or_assign(key, entry{std::move(account), now + settings_.ttl});
}

void account_cache::clear() {
  const std::lock_guard lock(mutex_);
  entries_.clear();
  ++generation_;
}

std::size_t account_cache::size() const {
  const std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace mail2sms::smtpd
