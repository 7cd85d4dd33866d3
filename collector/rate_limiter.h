// Pushes per node over time: a token bucket per node that holds up to
// `per_minute` pushes and refills at per_minute/60 a second. A node that
// drains a backlog in a few batches stays well inside it; a runaway or
// replaying client gets 429 and costs nothing more. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace vigie::collector {

class RateLimiter {
 public:
  explicit RateLimiter(double per_minute);

  // True when `node_id` may push at `now_ms` (and takes one token); false
  // with *retry_after_seconds set when it must wait.
  bool Allow(const std::string& node_id, int64_t now_ms, int* retry_after_seconds);

 private:
  struct Bucket {
    double tokens;
    int64_t updated_ms;
  };
  const double capacity_;
  const double per_ms_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace vigie::collector
