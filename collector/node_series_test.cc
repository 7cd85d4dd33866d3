#include "collector/node_series.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "collector/exposition.h"
#include "collector/report_metrics.h"
#include "tests/testing/sample_reports.h"

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

}  // namespace
}  // namespace vigie::collector
