// Retry delays that double from a base up to a ceiling: the dispatcher's retries and the
// notifier's. Pure.
#pragma once

#include <algorithm>

namespace mail2sms::core {

// base * 2^doublings, at most `ceiling` (and never more than `ceiling` on the way: no overflow).
template <class Duration>
Duration doubled(Duration base, int doublings, Duration ceiling) {
  for (int i = 0; i < doublings && base < ceiling; ++i) base *= 2;
  return std::min(base, ceiling);
}

}  // namespace mail2sms::core
