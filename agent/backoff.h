// When to try a collector again after a failed push: exponential backoff
// with jitter, capped, so that a fleet coming back from an outage does not
// hit the collector in lockstep. Pure: the caller gives the time and the
// random source.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace vigie::agent {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap, uint64_t seed);

  // After a failure at `now_ns`: the delay doubles from `initial` up to
  // `cap`, and the next attempt falls uniformly in [delay/2, delay].
  void Failed(int64_t now_ns);
  // After a success: try at once next time.
  void Succeeded();

  bool Ready(int64_t now_ns) const { return now_ns >= next_attempt_ns_; }
  int64_t next_attempt_ns() const { return next_attempt_ns_; }
  uint32_t failures() const { return failures_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds cap_;
  std::minstd_rand random_;
  uint32_t failures_ = 0;
  int64_t next_attempt_ns_ = 0;
};

}  // namespace vigie::agent
