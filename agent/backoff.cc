#include "agent/backoff.h"

#include <algorithm>

namespace vigie::agent {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap, uint64_t seed)
    : initial_(initial), cap_(std::max(cap, initial)), random_(static_cast<std::minstd_rand::result_type>(seed)) {}

void Backoff::Failed(int64_t now_ns) {
  ++failures_;
  int64_t delay_ms = initial_.count();
  for (uint32_t i = 1; i < failures_ && delay_ms < cap_.count(); ++i) delay_ms *= 2;
  delay_ms = std::min<int64_t>(delay_ms, cap_.count());
  std::uniform_int_distribution<int64_t> jitter(delay_ms / 2, delay_ms);
  next_attempt_ns_ = now_ns + jitter(random_) * 1'000'000;
}

void Backoff::Succeeded() {
  failures_ = 0;
  next_attempt_ns_ = 0;
}

}  // namespace vigie::agent
