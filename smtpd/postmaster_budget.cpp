// Mails to the postmaster per client address and hour (see postmaster_budget.hpp).
#include "smtpd/postmaster_budget.hpp"

#include <iterator>

namespace mail2sms::smtpd {

namespace {
constexpr std::chrono::hours hour{1};
// Addresses remembered before those whose hour has passed are forgotten (memory stays bounded
// by the clients of the last hour).
constexpr std::size_t sweep_at = 4096;
}  // namespace

postmaster_budget::postmaster_budget(std::size_t per_hour, clock_fn now)
    : per_hour_(per_hour), now_(std::move(now)) {}

bool postmaster_budget::take(const std::string& client) {
  const auto now = now_();
  std::lock_guard lock(mutex_);
  if (clients_.size() >= sweep_at) {
    for (auto it = clients_.begin(); it != clients_.end();)
      it = now - it->second.start >= hour ? clients_.erase(it) : std::next(it);
  }
  auto& w = clients_[client];
  if (w.used == 0 || now - w.start >= hour) w = window{now, 0};
  if (w.used >= per_hour_) return false;
  ++w.used;
  return true;
}

}  // namespace mail2sms::smtpd
