#include "collector/fleet_state.h"

#include <gtest/gtest.h>

namespace vigie::collector {
namespace {

std::shared_ptr<v1::Report> ReportAt(int64_t timestamp_ms, bool disks_read, const std::string& disk_model) {
  auto report = std::make_shared<v1::Report>();
  report->set_timestamp_unix_ms(timestamp_ms);
  report->set_disks_read(disks_read);
  if (!disk_model.empty()) report->add_disks()->set_model(disk_model);
  return report;
}

TEST(FleetState, ReportsBetweenDiskCyclesKeepTheLastDisks) {
  FleetState state;
  state.Update("a", 1, ReportAt(1000, true, "ST3500418AS"), {});
  state.Update("a", 2, ReportAt(2000, false, ""), {});
  std::vector<NodeState> nodes = state.Snapshot();
  ASSERT_EQ(nodes[0].last_report->disks_size(), 1);
  EXPECT_EQ(nodes[0].last_report->disks(0).model(), "ST3500418AS");
  EXPECT_EQ(nodes[0].last_report->timestamp_unix_ms(), 2000);

  // A disk cycle that found no disk (the disk was removed) clears them.
  state.Update("a", 3, ReportAt(3000, true, ""), {});
  EXPECT_EQ(state.Snapshot()[0].last_report->disks_size(), 0);
}

TEST(FleetState, AnOlderReportDoesNotReplaceANewerOne) {
  FleetState state;
  state.Update("a", 10, ReportAt(5000, true, "new"), {});
  state.Update("a", 11, ReportAt(4000, true, "old"), {});
  const std::vector<NodeState> nodes = state.Snapshot();
  EXPECT_EQ(nodes[0].last_report->disks(0).model(), "new");
  EXPECT_EQ(nodes[0].last_seen_ms, 11);
}

}  // namespace
}  // namespace vigie::collector
