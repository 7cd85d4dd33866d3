#include "common/report_limits.h"

#include <gtest/gtest.h>

#include "common/printable.h"

namespace vigie {
namespace {

v1::Report OrdinaryReport() {
  v1::Report report;
  report.set_node_id("tiny-07");
  report.set_boot_id("0b1c");
  report.set_seq(1);
  v1::Sensor* sensor = report.add_sensors();
  sensor->set_chip("coretemp-isa-0000");
  sensor->set_label("Package id 0");
  v1::Disk* disk = report.add_disks();
  disk->set_device("sda");
  disk->set_model("WDC WD3200BEKT-08PVMT1");
  disk->add_ata_attributes()->set_name("Reallocated_Sector_Ct");
  report.mutable_system()->add_filesystems()->set_mountpoint("/");
  return report;
}

TEST(ReportLimits, AnOrdinaryReportIsWithinTheDefaults) {
  v1::Report report = OrdinaryReport();
  EXPECT_EQ(ReportLimitViolation(report, ReportLimits{}), "");
  const std::string before = report.SerializeAsString();
  EXPECT_EQ(CapReport(report, ReportLimits{}), 0u);
  EXPECT_EQ(report.SerializeAsString(), before);
}

TEST(ReportLimits, NamesTheFieldOverItsCountAndCapsIt) {
  v1::Report report = OrdinaryReport();
  for (int i = 0; i < 300; ++i) report.add_disks()->set_device("sd" + std::to_string(i));
  EXPECT_EQ(ReportLimitViolation(report, ReportLimits{}), "301 disks, over the limit of 256");
  EXPECT_EQ(CapReport(report, ReportLimits{}), 45u);
  EXPECT_EQ(report.disks_size(), 256);
  EXPECT_EQ(report.disks(0).device(), "sda");  // the first ones kept
  EXPECT_EQ(ReportLimitViolation(report, ReportLimits{}), "");
}

TEST(ReportLimits, NamesAStringThatIsNotPrintableAndRepairsIt) {
  v1::Report report = OrdinaryReport();
  report.mutable_disks(0)->set_serial("WD-\xff\xfe\nBcc: x");
  EXPECT_EQ(ReportLimitViolation(report, ReportLimits{}), "disks[0].serial is not printable UTF-8");
  CapReport(report, ReportLimits{});
  EXPECT_TRUE(IsPrintableUtf8(report.disks(0).serial()));
  EXPECT_EQ(ReportLimitViolation(report, ReportLimits{}), "");
}

TEST(ReportLimits, NamesANestedStringOverItsLength) {
  v1::Report report = OrdinaryReport();
  report.mutable_disks(0)->mutable_ata_attributes(0)->set_name(std::string(300, 'x'));
  EXPECT_EQ(ReportLimitViolation(report, ReportLimits{}), "disks[0].ata_attributes[0].name is over 256 bytes");
  CapReport(report, ReportLimits{});
  EXPECT_EQ(report.disks(0).ata_attributes(0).name().size(), 256u);
}

TEST(ReportLimits, BoundsTheWholeReportUnknownFieldsIncluded) {
  v1::Report report = OrdinaryReport();
  // Field 99, length-delimited, 5 000 bytes: what a newer agent could send.
  std::string unknown = "\x9a\x06";
  unknown += "\x88\x27";  // varint 5000
  unknown += std::string(5000, 'u');
  v1::System system;
  ASSERT_TRUE(system.ParseFromString(report.system().SerializeAsString() + unknown));
  *report.mutable_system() = system;
  ReportLimits limits;
  limits.max_report_bytes = 4096;
  EXPECT_EQ(ReportLimitViolation(report, limits).rfind("the report is 51", 0), 0u);
  limits.max_report_bytes = 8192;
  EXPECT_EQ(ReportLimitViolation(report, limits), "");
}

TEST(ReportLimits, TakesAKnownSizeAsTheReportsOwn) {
  const v1::Report report = OrdinaryReport();
  ReportLimits limits;
  limits.max_report_bytes = 1000;
  EXPECT_EQ(ReportLimitViolation(report, limits, 1000), "");
  EXPECT_EQ(ReportLimitViolation(report, limits, 1001), "the report is 1001 bytes, over the limit of 1000");
}

}  // namespace
}  // namespace vigie
