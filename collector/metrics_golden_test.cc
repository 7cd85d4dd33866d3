// The whole /metrics page for two nodes (one with every kind of hardware
// reading, one with system readings only) and a configured node never heard
// from, against a golden file: any change to the page's bytes shows here.
// Regenerate on purpose with UPDATE_GOLDEN=1.
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "collector/metrics_page.h"
#include "tests/testing/sample_reports.h"
#include "tests/testing/testing.h"

namespace vigie::collector {
namespace {

constexpr const char* kGolden = "metrics/two_nodes.txt";

TEST(MetricsGolden, PageIsByteIdenticalToGoldenFile) {
  CollectorConfig config;
  config.offline_after = std::chrono::minutes(5);
  config.nodes["lyon-1"] = NodeEntry{"lyon-1", "lyon", ""};
  config.nodes["rennes-1"] = NodeEntry{"rennes-1", "rennes", ""};
  config.nodes["rennes-2"] = NodeEntry{"rennes-2", "rennes \"2\"", ""};

  auto hardware = std::make_shared<v1::Report>(testing::SampleHardwareReport());
  hardware->set_timestamp_unix_ms(1'700'000'000'500);
  hardware->set_uptime_seconds(350.25);
  hardware->mutable_system()->set_load1(0.19);
  hardware->mutable_power()->add_batteries()->set_name("BAT0");
  hardware->mutable_power()->mutable_batteries(0)->set_capacity_percent(87);
  v1::SourceError* error = hardware->add_source_errors();
  error->set_source("hwmon");
  *hardware->add_source_errors() = *error;

  auto system = std::make_shared<v1::Report>();
  system->set_timestamp_unix_ms(1'700'000'030'000);
  system->mutable_system()->set_load5(1.5);
  system->mutable_system()->set_memory_available_bytes(1'234'567'890);
  v1::Filesystem* fs = system->mutable_system()->add_filesystems();
  fs->set_mountpoint("/srv/a\\b\nc");
  fs->set_device("/dev/sda2");
  fs->set_fstype("ext4");
  fs->set_size_bytes(500'000'000'000);
  fs->set_files(1e6);

  // "gone" is still in the store but no longer configured: empty site.
  hardware->set_reports_dropped(3);
  const auto system_series = std::make_shared<const NodeSeries>(*system);
  const std::vector<NodeMetrics> nodes = {
      {"gone", 1'699'000'000'000, NodeFacts{}, system_series},
      {"rennes-1", 1'700'000'001'000, NodeFacts{2, false, -1500}, std::make_shared<const NodeSeries>(*hardware)},
      {"rennes-2", 1'700'000'031'000, NodeFacts{0, true, 250}, system_series}};
  IngestCounters counters;
  counters.pushes_stored = 7;
  counters.reports_duplicate = 2;
  counters.bytes_received = 123456;
  GroupCommitter::Stats commits;
  commits.commits = 4;
  commits.batches = 9;
  commits.microseconds = 12'345;
  const std::string page = RenderMetrics(config, nodes, counters, commits, 1'700'000'060'000);

  if (std::getenv("UPDATE_GOLDEN") != nullptr) {
    std::ofstream(testing::FixturePath(kGolden), std::ios::binary) << page;
    GTEST_SKIP() << "rewrote " << testing::FixturePath(kGolden);
  }
  EXPECT_EQ(page, testing::ReadFixture(kGolden));
}

}  // namespace
}  // namespace vigie::collector
