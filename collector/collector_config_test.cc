#include "collector/collector_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/config.h"
#include "tests/testing/testing.h"

namespace vigie::collector {
namespace {

using ::testing::HasSubstr;

const std::string kHash = std::string(64, 'a');

std::string LoadError(const std::filesystem::path& path) {
  try {
    LoadCollectorConfig(path);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

TEST(CollectorConfig, ReadsListenStoreAndNodes) {
  testing::TempDir dir;
  const auto path = dir.Write("collector.toml", "listen = \"[::1]:0\"\ndatabase = \"state/c.db\"\n"
                                                "offline_after = \"10m\"\n[[node]]\nid = \"rennes-1\"\n"
                                                "site = \"rennes\"\ntoken_sha256 = \"" + kHash + "\"\n");
  const CollectorConfig config = LoadCollectorConfig(path);
  EXPECT_EQ(config.listen_host, "::1");
  EXPECT_EQ(config.listen_port, 0);
  EXPECT_EQ(config.database, dir.path() / "state/c.db");
  EXPECT_EQ(config.offline_after, std::chrono::minutes(10));
  EXPECT_EQ(config.alerting.defaults.offline_after, config.offline_after);
  ASSERT_EQ(config.nodes.count("rennes-1"), 1u);
  EXPECT_EQ(config.nodes.at("rennes-1").site, "rennes");
}

TEST(CollectorConfig, NodeUpAndTheOfflineAlertShareOneDefault) {
  testing::TempDir dir;
  const CollectorConfig config = LoadCollectorConfig(dir.Write("collector.toml", "listen = \"127.0.0.1:0\"\n"));
  EXPECT_EQ(config.offline_after, std::chrono::minutes(4));
  EXPECT_EQ(config.alerting.defaults.offline_after, config.offline_after);
}

TEST(CollectorConfig, ATokenInsteadOfItsHashIsRejected) {
  testing::TempDir dir;
  const auto path =
      dir.Write("collector.toml", "[[node]]\nid = \"a\"\nsite = \"s\"\ntoken_sha256 = \"my-secret-token\"\n");
  EXPECT_THAT(LoadError(path), HasSubstr("collector.toml:4: node[0].token_sha256: expected 64 lower-case hex"));
}

TEST(CollectorConfig, ANodeDeclaredTwiceIsRejected) {
  testing::TempDir dir;
  const std::string node = "[[node]]\nid = \"a\"\nsite = \"s\"\ntoken_sha256 = \"" + kHash + "\"\n";
  const auto path = dir.Write("collector.toml", node + node);
  EXPECT_THAT(LoadError(path), HasSubstr("collector.toml:6: node[1].id: node 'a' is declared twice"));
}

TEST(CollectorConfig, BadListenAddressIsExplained) {
  testing::TempDir dir;
  const auto path = dir.Write("collector.toml", "listen = \"9470\"\n");
  EXPECT_THAT(LoadError(path), HasSubstr("collector.toml:1: listen: '9470' is not HOST:PORT"));
}

TEST(CollectorConfig, MissingSiteNamesTheNode) {
  testing::TempDir dir;
  const auto path = dir.Write("collector.toml", "\n[[node]]\nid = \"a\"\ntoken_sha256 = \"" + kHash + "\"\n");
  EXPECT_THAT(LoadError(path), HasSubstr("collector.toml:2: node[0].site: missing (required)"));
}

TEST(CollectorConfig, ReportLimitsDefaultToTheSharedOnesAndCanBeRaised) {
  testing::TempDir dir;
  const CollectorConfig defaults = LoadCollectorConfig(dir.Write("default.toml", ""));
  EXPECT_EQ(defaults.report_limits.max_sensors, ReportLimits{}.max_sensors);
  EXPECT_EQ(defaults.report_limits.max_report_bytes, ReportLimits{}.max_report_bytes);
  const CollectorConfig raised = LoadCollectorConfig(
      dir.Write("raised.toml", "[ingest.limits]\nmax_sensors = 300000\nmax_report_bytes = 524288\n"));
  EXPECT_EQ(raised.report_limits.max_sensors, 300000u);
  EXPECT_EQ(raised.report_limits.max_report_bytes, 524288u);
  EXPECT_EQ(raised.report_limits.max_disks, ReportLimits{}.max_disks);
}

TEST(CollectorConfig, AReportLimitBelowTheAgentsCapIsRefusedWithTheReason) {
  testing::TempDir dir;
  const auto path = dir.Write("collector.toml", "[ingest.limits]\nmax_disks = 10\n");
  EXPECT_THAT(LoadError(path), HasSubstr("collector.toml:2: ingest.limits.max_disks: 10 is below the default 256, "
                                         "which the agents cap their reports at"));
}

TEST(CollectorConfig, AReportLimitNoPushCouldCarryIsRefused) {
  testing::TempDir dir;
  const auto path =
      dir.Write("collector.toml", "[ingest]\nmax_body_bytes = 300000\n[ingest.limits]\nmax_report_bytes = 400000\n");
  EXPECT_THAT(LoadError(path), HasSubstr("ingest.limits.max_report_bytes: 400000 is over [ingest] max_body_bytes"));
}

TEST(CollectorConfig, AnUnknownReportLimitIsNamed) {
  testing::TempDir dir;
  const auto path = dir.Write("collector.toml", "[ingest.limits]\nmax_sensor = 2000\n");
  EXPECT_THAT(LoadError(path), HasSubstr("ingest.limits.max_sensor"));
}

TEST(CollectorConfig, ConnectionLimitsAndTheHeaderDeadlineAreRead) {
  testing::TempDir dir;
  const CollectorConfig config = LoadCollectorConfig(
      dir.Write("collector.toml", "[ingest]\nmax_connections = 500\nheader_timeout = \"3s\"\n"));
  EXPECT_EQ(config.max_connections, 500u);
  EXPECT_EQ(config.header_timeout, std::chrono::milliseconds(3000));
  const auto small = dir.Write("small.toml", "[ingest]\nmax_connections = 32\nmax_connections_per_address = 64\n");
  EXPECT_THAT(LoadError(small), HasSubstr("max_connections: 32 is below max_connections_per_address (64)"));
}

}  // namespace
}  // namespace vigie::collector
