#include "collector/rate_limiter.h"

#include <gtest/gtest.h>

namespace vigie::collector {
namespace {

TEST(RateLimiter, ABurstUpToTheLimitThen429UntilRefilled) {
  RateLimiter limiter(6);  // 6 a minute: one token every 10 s
  int retry_after = 0;
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(limiter.Allow("a", 0, &retry_after)) << i;
  EXPECT_FALSE(limiter.Allow("a", 0, &retry_after));
  EXPECT_EQ(retry_after, 10);
  EXPECT_FALSE(limiter.Allow("a", 9'000, &retry_after));
  EXPECT_EQ(retry_after, 1);
  EXPECT_TRUE(limiter.Allow("a", 10'000, &retry_after));
}

TEST(RateLimiter, NodesHaveTheirOwnBuckets) {
  RateLimiter limiter(1);
  int retry_after = 0;
  EXPECT_TRUE(limiter.Allow("a", 0, &retry_after));
  EXPECT_FALSE(limiter.Allow("a", 0, &retry_after));
  EXPECT_TRUE(limiter.Allow("b", 0, &retry_after));
}

}  // namespace
}  // namespace vigie::collector
