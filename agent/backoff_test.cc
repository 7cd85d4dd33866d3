#include "agent/backoff.h"

#include <gtest/gtest.h>

namespace vigie::agent {
namespace {

using std::chrono::milliseconds;
constexpr int64_t kMs = 1'000'000;

TEST(Backoff, DelaysDoubleWithinJitterUpToTheCap) {
  Backoff backoff(milliseconds(1000), milliseconds(8000), 42);
  const int64_t expected_max_ms[] = {1000, 2000, 4000, 8000, 8000, 8000};
  for (int64_t max_ms : expected_max_ms) {
    backoff.Failed(0);
    EXPECT_GE(backoff.next_attempt_ns(), max_ms / 2 * kMs);
    EXPECT_LE(backoff.next_attempt_ns(), max_ms * kMs);
  }
  EXPECT_EQ(backoff.failures(), 6u);
}

TEST(Backoff, NotReadyUntilTheDelayPassesThenResetBySuccess) {
  Backoff backoff(milliseconds(1000), milliseconds(60'000), 7);
  EXPECT_TRUE(backoff.Ready(0));
  backoff.Failed(10 * kMs);
  EXPECT_FALSE(backoff.Ready(10 * kMs + 499 * kMs));
  EXPECT_TRUE(backoff.Ready(10 * kMs + 1000 * kMs));
  backoff.Succeeded();
  EXPECT_TRUE(backoff.Ready(0));
  EXPECT_EQ(backoff.failures(), 0u);
}

TEST(Backoff, TwoAgentsWithDifferentSeedsSpreadOut) {
  Backoff a(milliseconds(60'000), milliseconds(60'000), 1);
  Backoff b(milliseconds(60'000), milliseconds(60'000), 2);
  a.Failed(0);
  b.Failed(0);
  EXPECT_NE(a.next_attempt_ns(), b.next_attempt_ns());
}

}  // namespace
}  // namespace vigie::agent
