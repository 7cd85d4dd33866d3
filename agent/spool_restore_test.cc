#include <string>

#include <gtest/gtest.h>

#include "agent/agent.h"
#include "agent/spool_file.h"
#include "tests/testing/testing.h"

namespace vigie::agent {
namespace {

std::string Report(const std::string& node_id, uint64_t seq, const std::string& model = "WDC WD40EFRX") {
  v1::Report report;
  report.set_node_id(node_id);
  report.set_boot_id("6ef63991-7ee5-4c0b-81a3-e6c91f946998");
  report.set_seq(seq);
  report.add_disks()->set_model(model);
  return report.SerializeAsString();
}

uint64_t SeqOf(const std::string& bytes) {
  v1::Report report;
  EXPECT_TRUE(report.ParseFromString(bytes));
  return report.seq();
}

// The node was renamed before this start: its old name's reports would be
// refused by every collector and hold back the new ones.
TEST(RestoreSpoolFile, DropsAnotherNodesReportsAndKeepsEachCollectorsProgress) {
  testing::TempDir dir;
  const auto path = dir.path() / "spool";
  SpoolContents contents;
  contents.collectors = {{"http://a", 2}, {"http://b", 0}};
  contents.reports = {Report("rennes-1", 1), Report("old-name", 9), Report("rennes-1", 2), Report("old-name", 10),
                      Report("rennes-1", 3)};
  ASSERT_TRUE(WriteSpoolFile(path, contents));

  ReportSpool spool({"http://a", "http://b"}, 100);
  const SpoolRestore restored = RestoreSpoolFile(path, "rennes-1", spool, 0);
  EXPECT_EQ(restored.read, 5u);
  EXPECT_EQ(restored.dropped, 2u);
  ASSERT_EQ(spool.size(), 3u);
  // a had the first two of the file, its own report 1 among them: 2 and 3 are left.
  EXPECT_EQ(spool.pending(0), 2u);
  EXPECT_EQ(spool.pending(1), 3u);
  size_t count = 0;
  v1::Batch batch;
  ASSERT_TRUE(batch.ParseFromString(spool.NextBatch(0, 10, &count)));
  ASSERT_EQ(batch.reports_size(), 2);
  EXPECT_EQ(batch.reports(0).seq(), 2u);
  EXPECT_EQ(batch.reports(1).seq(), 3u);
  EXPECT_EQ(SeqOf(spool.ReportAt(0)), 1u);
}

// A name that starts like this node's, a report without a node_id, and one
// whose length runs past its end are not this node's.
TEST(RestoreSpoolFile, ReadsTheNodeIdExactlyFromTheWire) {
  testing::TempDir dir;
  SpoolContents contents;
  contents.collectors = {{"http://a", 0}};
  v1::Report no_node_id;
  no_node_id.set_seq(4);
  const std::string long_id(300, 'n');  // a two-byte length
  contents.reports = {Report("rennes-1", 1),        Report("rennes-10", 2),      no_node_id.SerializeAsString(),
                      std::string("\x0a\x08renn", 6), Report(long_id, 5)};
  ASSERT_TRUE(WriteSpoolFile(dir.path() / "spool", contents));

  ReportSpool spool({"http://a"}, 100);
  EXPECT_EQ(RestoreSpoolFile(dir.path() / "spool", "rennes-1", spool, 0).dropped, 4u);
  ASSERT_EQ(spool.size(), 1u);
  EXPECT_EQ(spool.ReportAt(0), contents.reports[0]);  // byte for byte

  ReportSpool long_spool({"http://a"}, 100);
  EXPECT_EQ(RestoreSpoolFile(dir.path() / "spool", long_id, long_spool, 0).dropped, 4u);
  ASSERT_EQ(long_spool.size(), 1u);
  EXPECT_EQ(SeqOf(long_spool.ReportAt(0)), 5u);
}

}  // namespace
}  // namespace vigie::agent
