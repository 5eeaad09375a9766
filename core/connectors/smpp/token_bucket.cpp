// The token bucket behind a connector's tps, refilled continuously at the rate.
#include "core/connectors/smpp/token_bucket.hpp"

#include <algorithm>

namespace mail2sms::smpp {
namespace {

// Refills add up in floating point (0.9 + 0.1 may fall short of 1): this much short still counts.
constexpr double rounding = 1e-9;

}  // namespace

token_bucket::token_bucket(double per_second, clock::time_point now)
    : rate_(per_second),
      capacity_(std::max(1.0, per_second / 10.0)),
      tokens_(capacity_),
      at_(now) {}

void token_bucket::refill(clock::time_point now) {
  if (now <= at_) return;
  const std::chrono::duration<double> elapsed = now - at_;
  tokens_ = std::min(capacity_, tokens_ + elapsed.count() * rate_);
  at_ = now;
}

bool token_bucket::take(clock::time_point now) {
  if (rate_ <= 0) return true;
  std::lock_guard lock(mutex_);
  refill(now);
  if (tokens_ < 1.0 - rounding) return false;
  tokens_ -= 1.0;
  return true;
}

std::chrono::microseconds token_bucket::wait(clock::time_point now) {
  if (rate_ <= 0) return std::chrono::microseconds(0);
  std::lock_guard lock(mutex_);
  refill(now);
  if (tokens_ >= 1.0 - rounding) return std::chrono::microseconds(0);
  return std::chrono::ceil<std::chrono::microseconds>(
      std::chrono::duration<double>((1.0 - tokens_) / rate_));
}

}  // namespace mail2sms::smpp
