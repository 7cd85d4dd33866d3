#include "collector/node_series.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "collector/exposition.h"
#include "collector/report_metrics.h"
#include "tests/testing/sample_reports.h"
#include "tests/testing/testing.h"

namespace vigie::collector {
namespace {

// The page's lines for one node written straight from the report, family by family.
std::string FromReport(const SeriesLabels& node_labels, const v1::Report& report) {
  Exposition page;
  AppendReportMetrics({{node_labels, &report}}, page);
  return page.Take();
}

std::string FromSeries(const SeriesLabels& node_labels, const NodeSeries& series) {
  std::string labels;
  AppendLabels(labels, node_labels);
  Exposition page;
  for (size_t f = 0; f < ReportFamilies().size(); ++f) {
    const FamilyInfo& family = ReportFamilies()[f];
    page.Family(family.name, family.type, family.help);
    page.Lines([&](std::string& out) { series.AppendLines(f, family.name, labels, out); });
  }
  return page.Take();
}

TEST(NodeSeries, WritesTheSameLinesAsTheReport) {
  v1::Report report = testing::SampleHardwareReport();
  v1::Filesystem* fs = report.mutable_system()->add_filesystems();
  fs->set_mountpoint("/srv/a\\b\n\"c\"");
  fs->set_size_bytes(500'000'000'000);
  const SeriesLabels node = {{"node", "rennes-1"}, {"site", "rennes \"2\""}};
  const std::string expected = FromReport(node, report);
  ASSERT_NE(expected.find("mountpoint=\"/srv/a\\\\b\\n\\\"c\\\"\""), std::string::npos);
  EXPECT_EQ(FromSeries(node, NodeSeries(report)), expected);
}

TEST(NodeSeries, AnEmptyReportWritesItsNodeGauges) {
  const SeriesLabels node = {{"node", "a"}, {"site", ""}};
  EXPECT_EQ(FromSeries(node, NodeSeries(v1::Report())), FromReport(node, v1::Report()));
}

TEST(NodeSeries, ManyDistinctLabelsKeepTheirOwnValues) {
  v1::Report report;
  for (int i = 0; i < 1000; ++i) {
    v1::Sensor* sensor = report.add_sensors();
    sensor->set_chip("chip");
    sensor->set_label(fmt::format("s{}", i));
    sensor->set_value(i);
  }
  const SeriesLabels node = {{"node", "a"}, {"site", "b"}};
  EXPECT_EQ(FromSeries(node, NodeSeries(report)), FromReport(node, report));
}

// Issue 14: 16 000 mountpoints alike in their first and last 8 bytes and
// their length took 2.8 s to intern against 47 ms for ordinary ones.
TEST(NodeSeries, LabelsCraftedToCollideCostAboutAsMuchAsOrdinaryOnes) {
  constexpr int kFilesystems = 16'000;
  constexpr size_t kWholeSeries = 64 << 20;
  const auto with_mountpoints = [](const auto& mountpoint) {
    v1::Report report;
    for (int i = 0; i < kFilesystems; ++i) report.mutable_system()->add_filesystems()->set_mountpoint(mountpoint(i));
    return report;
  };
  const v1::Report ordinary = with_mountpoints([](int i) { return fmt::format("{:08d}/srv/aaabbbbbbbb", i); });
  const v1::Report crafted = with_mountpoints([](int i) { return fmt::format("/srv/aaa{:08d}bbbbbbbb", i); });
  const auto build_ms = [](const v1::Report& report) {
    const double start = testing::ThreadCpuMs();
    // Past the default bound: all 16 000 interned.
    const NodeSeries series(report, kWholeSeries);
    EXPECT_EQ(series.dropped_samples(), 0u);
    return testing::ThreadCpuMs() - start;
  };
  const double ordinary_ms = build_ms(ordinary);
  const double crafted_ms = build_ms(crafted);
  EXPECT_LT(crafted_ms, 5 * ordinary_ms + 50) << "ordinary mountpoints: " << ordinary_ms << " ms";
  const SeriesLabels node = {{"node", "a"}, {"site", "b"}};
  // Not EXPECT_EQ: gtest's diff of two pages of megabytes takes gigabytes.
  EXPECT_TRUE(FromSeries(node, NodeSeries(crafted, kWholeSeries)) == FromReport(node, crafted));
}

TEST(NodeSeries, SamplesPastTheBoundAreLeftOutAndCounted) {
  v1::Report report;
  for (int i = 0; i < 1000; ++i) report.mutable_system()->add_filesystems()->set_mountpoint(fmt::format("/srv/{}", i));
  const NodeSeries whole(report);
  const NodeSeries bounded(report, 4096);
  EXPECT_EQ(whole.dropped_samples(), 0u);
  // 5 filesystem families of 1000 samples; about 4 KiB keep a few hundred.
  EXPECT_GT(bounded.dropped_samples(), 4000u);
  EXPECT_LT(bounded.HeapBytes(), 4096u + 1024u);
  // What is kept is the start of the whole series, line for line.
  const SeriesLabels node = {{"node", "a"}, {"site", "b"}};
  const std::string all = FromSeries(node, whole);
  const std::string kept = FromSeries(node, bounded);
  const std::string first_kept_line = kept.substr(kept.find("\nvigie_filesystem_size_bytes{") + 1, 80);
  EXPECT_NE(all.find(first_kept_line), std::string::npos);
  EXPECT_LT(kept.size(), all.size());
}

}  // namespace
}  // namespace vigie::collector
