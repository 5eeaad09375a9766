// Mails to the postmaster per client address and hour (see postmaster_budget.hpp).
#include "smtpd/postmaster_budget.hpp"

#include "smtpd/client_key.hpp"

#include <algorithm>
#include <array>
#include <iterator>

namespace mail2sms::smtpd {

namespace {
constexpr std::chrono::hours hour{1};
// Addresses remembered before those whose hour has passed are first forgotten; after a sweep,
// the next comes when the map has doubled. Memory stays bounded by twice the clients of the
// last hour, and a take costs O(1) amortised: with more than this many clients in the hour, a
// sweep at every take walked them all each time.
constexpr std::size_t sweep_at = 4096;

}  // namespace

postmaster_budget::postmaster_budget(std::size_t per_hour, clock_fn now)
    : per_hour_(per_hour), now_(std::move(now)), next_sweep_(sweep_at) {}

bool postmaster_budget::take(const std::string& client) {
  const auto now = now_();
  std::lock_guard lock(mutex_);
  if (clients_.size() >= next_sweep_) {
    for (auto it = clients_.begin(); it != clients_.end();)
      it = now - it->second.start >= hour ? clients_.erase(it) : std::next(it);
    next_sweep_ = std::max(sweep_at, 2 * clients_.size());
  }
  auto& w = clients_[client_key(client)];
  if (w.used == 0 || now - w.start >= hour) w = window{now, 0};
  if (w.used >= per_hour_) return false;
  ++w.used;
  return true;
}

std::size_t postmaster_budget::remembered() {
  std::lock_guard lock(mutex_);
  return clients_.size();
}

void postmaster_budget::give_back(const std::string& client) {
  std::lock_guard lock(mutex_);
  const auto it = clients_.find(client_key(client));
  if (it != clients_.end() && it->second.used > 0) --it->second.used;
}

}  // namespace mail2sms::smtpd
