#include "collector/remote_write_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vigie::collector {
namespace {

using ::testing::HasSubstr;

TEST(RemoteWriteMetrics, EveryCounterIsOnThePageWithItsValue) {
  RemoteWriteStats stats;
  stats.requests_delivered = 11;
  stats.requests_refused = 12;
  stats.attempts_failed = 13;
  stats.reports_sent = 14;
  stats.samples_sent = 15;
  stats.samples_refused = 16;
  stats.samples_conflicting = 17;
  stats.bytes_sent = 18;
  stats.pending_reports = 19;
  const std::string page = RenderRemoteWriteMetrics(stats);
  EXPECT_THAT(page, HasSubstr("# TYPE vigie_remote_write_requests_total counter\n"
                              "vigie_remote_write_requests_total{result=\"delivered\"} 11\n"
                              "vigie_remote_write_requests_total{result=\"refused\"} 12\n"));
  EXPECT_THAT(page, HasSubstr("\nvigie_remote_write_retries_total 13\n"));
  EXPECT_THAT(page, HasSubstr("\nvigie_remote_write_reports_sent_total 14\n"));
  EXPECT_THAT(page, HasSubstr("\nvigie_remote_write_samples_sent_total 15\n"));
  EXPECT_THAT(page, HasSubstr("\nvigie_remote_write_samples_dropped_total{reason=\"refused\"} 16\n"
                              "vigie_remote_write_samples_dropped_total{reason=\"conflicting_timestamp\"} 17\n"));
  EXPECT_THAT(page, HasSubstr("\nvigie_remote_write_sent_bytes_total 18\n"));
  EXPECT_THAT(page, HasSubstr("# TYPE vigie_remote_write_pending_reports gauge\nvigie_remote_write_pending_reports 19\n"));
}

}  // namespace
}  // namespace vigie::collector
