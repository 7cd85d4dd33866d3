#include "collector/fleet_state.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace vigie::collector {
namespace {

v1::Report ReportAt(int64_t timestamp_ms, bool disks_read, const std::string& disk_model) {
  v1::Report report;
  report.set_timestamp_unix_ms(timestamp_ms);
  report.set_disks_read(disks_read);
  if (!disk_model.empty()) report.add_disks()->set_model(disk_model);
  return report;
}

// As ingest updates the state: the report with the bytes it came in.
void Update(FleetState& state, int64_t seen_ms, v1::Report report) {
  const std::string bytes = report.SerializeAsString();
  state.Update("a", seen_ms, &report, bytes, {});
}

TEST(FleetState, ReportsBetweenDiskCyclesKeepTheLastDisks) {
  FleetState state;
  Update(state, 1, ReportAt(1000, true, "ST3500418AS"));
  Update(state, 2, ReportAt(2000, false, ""));
  std::vector<NodeState> nodes = state.Snapshot();
  ASSERT_EQ(nodes[0].last_report->disks_size(), 1);
  EXPECT_EQ(nodes[0].last_report->disks(0).model(), "ST3500418AS");
  EXPECT_EQ(nodes[0].last_report->timestamp_unix_ms(), 2000);

  // A disk cycle that found no disk (the disk was removed) clears them.
  Update(state, 3, ReportAt(3000, true, ""));
  EXPECT_EQ(state.Snapshot()[0].last_report->disks_size(), 0);
}

// The disk lines of a node's series, with their labels after node and site.
std::string DiskInfoLines(const FleetState& state) {
  const std::vector<FamilyInfo>& families = ReportFamilies();
  size_t info = 0;
  while (families[info].name != "vigie_disk_info") ++info;
  std::string lines;
  state.MetricsSnapshot()[0].series->AppendLines(info, "i", "n=\"a\"", lines);
  return lines;
}

TEST(FleetState, SeriesBetweenDiskCyclesKeepTheLastDisks) {
  FleetState state;
  Update(state, 1, ReportAt(1000, true, "ST3500418AS"));
  Update(state, 2, ReportAt(2000, false, ""));
  EXPECT_EQ(DiskInfoLines(state),
            "i{n=\"a\",disk=\"\",model=\"ST3500418AS\",serial=\"\",kind=\"unknown\",firmware=\"\","
            "status=\"unknown\"} 1\n");
  Update(state, 3, ReportAt(3000, true, ""));
  EXPECT_EQ(DiskInfoLines(state), "");
}

// Issue 14: 5 pushes of 3 000 disks with new serials each.
TEST(FleetState, KeepsTheDisksOfTheLastDiskCycleOnly) {
  FleetState state;
  for (int push = 0; push < 5; ++push) {
    v1::Report report = ReportAt(1000 * (push + 1), true, "");
    for (int i = 0; i < 3000; ++i) report.add_disks()->set_serial(fmt::format("S{}-{}", push, i));
    Update(state, push + 1, report);
  }
  Update(state, 6, ReportAt(6000, false, ""));
  const std::vector<NodeState> nodes = state.Snapshot();
  ASSERT_EQ(nodes[0].last_report->disks_size(), 3000);
  EXPECT_EQ(nodes[0].last_report->disks(0).serial(), "S4-0");
  EXPECT_EQ(nodes[0].last_report->disks(2999).serial(), "S4-2999");
}

TEST(FleetState, KeptDisksExpireWhenNoDiskCycleCameForTooLong) {
  FleetState state(FleetLimits{.kept_disks_ms = 10'000});
  Update(state, 1'000, ReportAt(1000, true, "ST3500418AS"));
  Update(state, 11'000, ReportAt(2000, false, ""));
  EXPECT_EQ(state.Snapshot()[0].last_report->disks_size(), 1);
  Update(state, 11'001, ReportAt(3000, false, ""));
  EXPECT_EQ(state.Snapshot()[0].last_report->disks_size(), 0);
  EXPECT_EQ(DiskInfoLines(state), "");
  // A later disk cycle brings them back.
  Update(state, 12'000, ReportAt(4000, true, "ST3500418AS"));
  Update(state, 13'000, ReportAt(5000, false, ""));
  EXPECT_EQ(state.Snapshot()[0].last_report->disks_size(), 1);
}

TEST(FleetState, ANodesSeriesStayWithinTheBound) {
  FleetState state(FleetLimits{.max_series_bytes = 64 * 1024});
  v1::Report report = ReportAt(1000, true, "");
  for (int i = 0; i < 256; ++i) {
    v1::Disk* disk = report.add_disks();
    disk->set_status(v1::Disk::READ);
    disk->set_serial(fmt::format("S{}", i));
    for (int id = 1; id <= 255; ++id) disk->add_ata_attributes()->set_id(static_cast<uint32_t>(id));
  }
  Update(state, 1, report);
  const std::vector<NodeMetrics> nodes = state.MetricsSnapshot();
  EXPECT_LE(nodes[0].series->HeapBytes(), 64u * 1024 + 1024);
  EXPECT_GT(nodes[0].series->dropped_samples(), 200'000u);
}

TEST(FleetState, ANodeWithoutReportHasTheSeriesOfAnEmptyOne) {
  FleetState state;
  state.Update("a", 1, nullptr, {}, {});
  const std::vector<NodeMetrics> nodes = state.MetricsSnapshot();
  ASSERT_EQ(nodes.size(), 1u);
  std::string lines;
  nodes[0].series->AppendLines(0, "dropped", "n=\"a\"", lines);
  EXPECT_EQ(lines, "dropped{n=\"a\"} 0\n");
}

TEST(FleetState, AnOlderReportDoesNotReplaceANewerOne) {
  FleetState state;
  // Older by its seq, in the same boot; its clock says otherwise and is not trusted.
  v1::Report newer = ReportAt(4000, true, "new");
  newer.set_seq(2);
  v1::Report older = ReportAt(5000, true, "old");
  older.set_seq(1);
  Update(state, 10, newer);
  Update(state, 11, older);
  const std::vector<NodeState> nodes = state.Snapshot();
  EXPECT_EQ(nodes[0].last_report->disks(0).model(), "new");
  EXPECT_EQ(nodes[0].last_seen_ms, 11);
}

TEST(FleetState, KeepsTheReportAsItsBytesCame) {
  v1::Report report = ReportAt(1000, true, "ST3500418AS");
  // Field 999, varint 7: unknown to this schema, as from a newer agent.
  const std::string bytes = report.SerializeAsString() + "\xb8\x3e\x07";
  FleetState state;
  state.Update("a", 1, &report, bytes, {});
  EXPECT_EQ(state.Snapshot()[0].last_report->SerializeAsString(), bytes);
}

}  // namespace
}  // namespace vigie::collector
