// Sliding-window failure counts; the maps are swept of stale entries when they grow, so an
// attacker cycling addresses or names cannot grow them without bound, and once a window, so that
// what a burst left is not kept for the process's life.
#include "smtpd/auth_limiter.hpp"

#include "smtpd/client_key.hpp"

#include <algorithm>

namespace mail2sms::smtpd {
namespace {

// Entries per map before stale ones are first dropped; after a sweep, the next comes when the
// map has doubled (memory stays within twice the live entries, and a failure costs O(1)
// amortised: with more live entries than this, every failure used to walk them all, under the
// lock every login takes).
constexpr std::size_t sweep_above = 100000;

}  // namespace

auth_limiter::auth_limiter(auth_limits limits, clock_fn now)
    : limits_(limits),
      now_(std::move(now)),
      next_sweep_ip_(sweep_above),
      next_sweep_user_(sweep_above),
      last_sweep_(now_()) {}

std::size_t auth_limiter::recent(std::unordered_map<std::string, failures>& map,
                                 const std::string& key,
                                 std::chrono::steady_clock::time_point now) {
  auto it = map.find(key);
  if (it == map.end()) return 0;
  auto& times = it->second;
  while (!times.empty() && now - times.front() >= limits_.window) times.pop_front();
  if (times.empty()) {
    map.erase(it);
    return 0;
  }
  return times.size();
}

void auth_limiter::forget_stale(std::chrono::steady_clock::time_point now) {
  const bool due = now - last_sweep_ >= limits_.window;
  if (due) last_sweep_ = now;
  for (auto [map, next] :
       {std::pair{&by_ip_, &next_sweep_ip_}, std::pair{&by_user_, &next_sweep_user_}}) {
    if (map->size() <= *next && !due) continue;
    std::erase_if(*map, [&](const auto& entry) {
      return entry.second.empty() || now - entry.second.back() >= limits_.window;
    });
    *next = std::max(sweep_above, 2 * map->size());
  }
}

auth_limiter::attempt auth_limiter::take_attempt(const std::string& address,
                                                 const std::string& user) {
  const auto ip = client_key(address);
  std::lock_guard lock(mutex_);
  const auto now = now_();
  forget_stale(now);
  auto pending = [](const auto& map, const std::string& key) {
    const auto it = map.find(key);
    return it == map.end() ? std::size_t{0} : it->second;
  };
  const std::size_t ip_failures = recent(by_ip_, ip, now);
  const std::size_t user_failures = user.empty() ? 0 : recent(by_user_, user, now);
  if (ip_failures >= limits_.per_ip || user_failures >= limits_.per_user) return attempt::refused;
  if (ip_failures + pending(pending_ip_, ip) >= limits_.per_ip ||
      user_failures + pending(pending_user_, user) >= limits_.per_user)
    return attempt::wait;
  ++pending_ip_[ip];
  if (!user.empty()) ++pending_user_[user];
  return attempt::taken;
}

void auth_limiter::end_attempt(const std::string& ip, const std::string& user) {
  for (auto [map, key] : {std::pair{&pending_ip_, &ip}, std::pair{&pending_user_, &user}}) {
    if (key->empty()) continue;
    const auto it = map->find(*key);
    if (it != map->end() && --it->second == 0) map->erase(it);
  }
}

std::chrono::milliseconds auth_limiter::failed(const std::string& address,
                                               const std::string& user) {
  const auto ip = client_key(address);
  std::lock_guard lock(mutex_);
  end_attempt(ip, user);
  const auto now = now_();
  forget_stale(now);
  const auto user_failures = user.empty() ? 0 : recent(by_user_, user, now);
  const auto count = std::max(recent(by_ip_, ip, now), user_failures) + 1;  // this one included
  by_ip_[ip].push_back(now);
  if (!user.empty()) by_user_[user].push_back(now);
  auto delay = limits_.first_delay;
  for (std::size_t i = 1; i < count && delay < limits_.max_delay; ++i) delay *= 2;
  return std::min(delay, limits_.max_delay);
}

void auth_limiter::succeeded(const std::string& address, const std::string& user) {
  const auto ip = client_key(address);
  std::lock_guard lock(mutex_);
  end_attempt(ip, user);
  by_user_.erase(user);
}

void auth_limiter::released(const std::string& address, const std::string& user) {
  const auto ip = client_key(address);
  std::lock_guard lock(mutex_);
  end_attempt(ip, user);
}

std::size_t auth_limiter::remembered() {
  std::lock_guard lock(mutex_);
  return by_ip_.size() + by_user_.size();
}

}  // namespace mail2sms::smtpd
