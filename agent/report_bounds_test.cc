#include "agent/report_bounds.h"

#include <string>

#include <gtest/gtest.h>

#include "common/printable.h"

namespace vigie::agent {
namespace {

v1::Report ReportWithSensors(int count, size_t text_bytes = 8) {
  v1::Report report;
  report.set_node_id("rennes-1");
  report.set_boot_id("6ef63991-7ee5-4c0b-81a3-e6c91f946998");
  report.set_seq(7);
  for (int i = 0; i < count; ++i) {
    v1::Sensor& sensor = *report.add_sensors();
    sensor.set_chip(std::string(text_bytes, 'c'));
    sensor.set_label(std::string(text_bytes - 1, 'l') + std::to_string(i % 10));
    sensor.set_value(40.5);
  }
  return report;
}

TEST(ReportBounds, LeavesAReportWithinItsBoundsByteForByte) {
  v1::Report report = ReportWithSensors(60);
  const std::string before = report.SerializeAsString();
  ReportBounds bounds{ReportLimits{}};
  EXPECT_EQ(bounds.Apply(report), 0u);
  EXPECT_EQ(report.SerializeAsString(), before);
}

TEST(ReportBounds, CutsAListToItsLimitAndSaysSoInTheReport) {
  ReportLimits limits;
  limits.max_sensors = 100;
  v1::Report report = ReportWithSensors(130);
  ReportBounds bounds{limits};
  EXPECT_EQ(bounds.Apply(report), 30u);
  EXPECT_EQ(report.sensors_size(), 100);
  EXPECT_EQ(report.sensors(99).label(), "lllllll9");  // the first ones kept
  ASSERT_EQ(report.source_errors_size(), 1);
  EXPECT_EQ(report.source_errors(0).source(), "agent");
  EXPECT_EQ(report.source_errors(0).message(),
            "the report was over its bounds (130 sensors, over the limit of 100); capped: 30 item(s) dropped, "
            "text made printable and cut to length");
  EXPECT_EQ(ReportLimitViolation(report, limits), "");
  EXPECT_EQ(bounds.items_dropped(), 30u);
}

TEST(ReportBounds, MakesTextThatSlippedThroughPrintable) {
  v1::Report report = ReportWithSensors(2);
  report.add_disks()->set_model("WDC\xff\nBcc: x");
  ReportBounds bounds{ReportLimits{}};
  EXPECT_EQ(bounds.Apply(report), 0u);
  EXPECT_EQ(report.disks(0).model(), "WDC\uFFFD\uFFFDBcc: x");
  ASSERT_EQ(report.source_errors_size(), 1);
  EXPECT_NE(report.source_errors(0).message().find("(disks[0].model is not printable UTF-8)"), std::string::npos);
  EXPECT_EQ(ReportLimitViolation(report, ReportLimits{}), "");
}

// Every list within its count, the whole over max_report_bytes: the largest
// list is halved until the report fits, note included.
TEST(ReportBounds, HalvesTheLargestListOfAReportOverItsBytes) {
  const ReportLimits limits;
  v1::Report report = ReportWithSensors(1024, limits.max_name_bytes);
  report.mutable_system()->add_filesystems()->set_mountpoint("/");
  ASSERT_GT(report.ByteSizeLong(), limits.max_report_bytes);
  ReportBounds bounds{limits};
  const size_t dropped = bounds.Apply(report);
  EXPECT_EQ(report.sensors_size(), 1024 - static_cast<int>(dropped));
  EXPECT_EQ(report.sensors_size(), 256);
  EXPECT_EQ(report.system().filesystems_size(), 1);
  EXPECT_EQ(ReportLimitViolation(report, limits), "");
  ASSERT_EQ(report.source_errors_size(), 1);
  EXPECT_NE(report.source_errors(0).message().find("768 item(s) dropped"), std::string::npos)
      << report.source_errors(0).message();
}

TEST(ReportBounds, KeepsRoomForItsNoteAmongTheSourceErrors) {
  ReportLimits limits;
  limits.max_source_errors = 4;
  v1::Report report = ReportWithSensors(1);
  for (int i = 0; i < 9; ++i) report.add_source_errors()->set_source("hwmon");
  ReportBounds bounds{limits};
  EXPECT_EQ(bounds.Apply(report), 6u);
  ASSERT_EQ(report.source_errors_size(), 4);
  EXPECT_EQ(report.source_errors(3).source(), "agent");
  EXPECT_EQ(ReportLimitViolation(report, limits), "");
}

TEST(ReportBounds, LogsEachKindOfExcessOnce) {
  ReportLimits limits;
  limits.max_sensors = 10;
  limits.max_filesystems = 1;
  ReportBounds bounds{limits};
  ::testing::internal::CaptureStderr();
  for (int count : {11, 12, 30}) {
    v1::Report report = ReportWithSensors(count);
    bounds.Apply(report);
  }
  v1::Report two_filesystems = ReportWithSensors(1);
  two_filesystems.mutable_system()->add_filesystems();
  two_filesystems.mutable_system()->add_filesystems();
  bounds.Apply(two_filesystems);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("(11 sensors, over the limit of 10); capped: 1 item(s) dropped"), std::string::npos) << log;
  EXPECT_EQ(log.find("12 sensors"), std::string::npos) << log;
  EXPECT_NE(log.find("(2 system.filesystems, over the limit of 1)"), std::string::npos) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2) << log;
  EXPECT_EQ(bounds.items_dropped(), 1u + 2 + 20 + 1);
}

}  // namespace
}  // namespace vigie::agent
