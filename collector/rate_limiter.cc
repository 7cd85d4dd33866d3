#include "collector/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace vigie::collector {

RateLimiter::RateLimiter(double per_minute) : capacity_(std::max(per_minute, 1.0)), per_ms_(capacity_ / 60'000.0) {}

bool RateLimiter::Allow(const std::string& node_id, int64_t now_ms, int* retry_after_seconds) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = buckets_.try_emplace(node_id, Bucket{capacity_, now_ms});
  Bucket& bucket = it->second;
  const int64_t elapsed = std::max<int64_t>(0, now_ms - bucket.updated_ms);
  bucket.tokens = std::min(capacity_, bucket.tokens + static_cast<double>(elapsed) * per_ms_);
  bucket.updated_ms = now_ms;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return true;
  }
  *retry_after_seconds = static_cast<int>(std::ceil((1.0 - bucket.tokens) / per_ms_ / 1000.0));
  return false;
}

}  // namespace vigie::collector
