#include "agent/sources/power_supply_source.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/testing/testing.h"

namespace vigie::agent {
namespace {

namespace fs = std::filesystem;

constexpr char kAcOnline[] =
    "sys/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0A08:00/device:00/PNP0C09:00/ACPI0003:00/"
    "power_supply/AC/online";
constexpr char kBatteryStatus[] =
    "sys/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0A08:00/device:00/PNP0C09:00/PNP0C0A:00/"
    "power_supply/BAT0/status";

v1::Report Collect(const FileTree& tree) {
  PowerSupplySource source(tree);
  v1::Report report;
  source.Collect(CollectContext{}, report);
  return report;
}

// Values of tests/fixtures/hosts/laptop-thinkpad (see its PROVENANCE.md):
// recorded on battery, AC unplugged.
TEST(PowerSupplySource, ReadsTheRecordedLaptopOnBattery) {
  const v1::Report report = Collect(FileTree(testing::FixturePath("hosts/laptop-thinkpad")));
  EXPECT_EQ(report.source_errors_size(), 0);
  ASSERT_TRUE(report.power().has_ac_online());
  EXPECT_FALSE(report.power().ac_online());
  ASSERT_EQ(report.power().batteries_size(), 1);
  const v1::Battery& battery = report.power().batteries(0);
  EXPECT_EQ(battery.name(), "BAT0");
  ASSERT_TRUE(battery.has_capacity_percent());
  EXPECT_EQ(battery.capacity_percent(), 98u);
  EXPECT_EQ(battery.status(), "Discharging");
}

TEST(PowerSupplySource, MainsOnlineMeansAcOnline) {
  testing::TempDir dir;
  fs::copy(testing::FixturePath("hosts/laptop-thinkpad"), dir.path(),
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  std::ofstream(dir.path() / kAcOnline, std::ios::trunc) << "1\n";
  const v1::Report report = Collect(FileTree(dir.path()));
  ASSERT_TRUE(report.power().has_ac_online());
  EXPECT_TRUE(report.power().ac_online());
}

TEST(PowerSupplySource, ADesktopWithoutSuppliesLeavesAcOnlineAbsent) {
  const v1::Report report = Collect(FileTree(testing::FixturePath("hosts/desktop-nct6775")));
  EXPECT_EQ(report.source_errors_size(), 0);
  EXPECT_FALSE(report.power().has_ac_online());
  EXPECT_EQ(report.power().batteries_size(), 0);
}

TEST(PowerSupplySource, AnUnreadableStatusIsAnErrorAndTheRestIsRead) {
  testing::TempDir dir;
  fs::copy(testing::FixturePath("hosts/laptop-thinkpad"), dir.path(),
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  fs::remove(dir.path() / kBatteryStatus);
  const v1::Report report = Collect(FileTree(dir.path()));
  ASSERT_EQ(report.source_errors_size(), 1);
  EXPECT_EQ(report.source_errors(0).source(), "power_supply");
  EXPECT_EQ(report.source_errors(0).code(), v1::SourceError::NOT_FOUND);
  EXPECT_NE(report.source_errors(0).message().find("BAT0/status"), std::string::npos);
  ASSERT_EQ(report.power().batteries_size(), 1);
  EXPECT_EQ(report.power().batteries(0).capacity_percent(), 98u);
  EXPECT_FALSE(report.power().ac_online());
}

}  // namespace
}  // namespace vigie::agent
