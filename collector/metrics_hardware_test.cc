#include "collector/metrics_hardware.h"

#include "collector/exposition.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/sample_reports.h"

namespace vigie::collector {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Render(const v1::Report& report) {
  Exposition page;
  AppendHardwareMetrics({{{{"node", "n"}, {"site", "s"}}, &report}}, page);
  return page.Take();
}

TEST(MetricsHardware, SensorsWithTheirLimitsAndAlarms) {
  const std::string page = Render(testing::SampleHardwareReport());
  const std::string cpu = "node=\"n\",site=\"s\",chip=\"coretemp-isa-0000\",sensor=\"Package id 0\"";
  EXPECT_THAT(page, HasSubstr("vigie_sensor_temperature_celsius{" + cpu + "} 45\n"));
  EXPECT_THAT(page, HasSubstr("vigie_sensor_temperature_limit_celsius{" + cpu + ",limit=\"max\"} 80\n"));
  EXPECT_THAT(page, HasSubstr("vigie_sensor_temperature_limit_celsius{" + cpu + ",limit=\"crit\"} 100\n"));
  EXPECT_THAT(page, HasSubstr("vigie_sensor_fan_rpm{node=\"n\",site=\"s\",chip=\"nct6775-isa-0290\",sensor=\"fan2\"} 0\n"));
  EXPECT_THAT(page, HasSubstr("vigie_sensor_alarm{node=\"n\",site=\"s\",chip=\"nct6775-isa-0290\",sensor=\"fan2\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("sensor=\"Package id 0 #2\"} 45\n"));
  // No voltage was read: no empty family either.
  EXPECT_THAT(page, Not(HasSubstr("vigie_sensor_voltage_volts")));
}

TEST(MetricsHardware, DisksAttributesAndNvmeHealth) {
  const std::string page = Render(testing::SampleHardwareReport());
  const std::string sda = "node=\"n\",site=\"s\",disk=\"sda\",model=\"ST3500418AS\",serial=\"9VM1\"";
  EXPECT_THAT(page, HasSubstr("vigie_disk_smart_healthy{" + sda + "} 1\n"));
  EXPECT_THAT(page, HasSubstr("vigie_disk_temperature_celsius{" + sda + "} 36\n"));
  EXPECT_THAT(page, HasSubstr("vigie_disk_power_on_seconds_total{" + sda + "} 133394400\n"));
  EXPECT_THAT(page, HasSubstr("vigie_disk_ata_attribute_raw{" + sda + ",id=\"5\",attribute=\"Reallocated_Sector_Ct\"} 304\n"));
  EXPECT_THAT(page, HasSubstr("vigie_disk_ata_attribute_threshold{" + sda + ",id=\"5\",attribute=\"Reallocated_Sector_Ct\"} 36\n"));
  const std::string nvme = "node=\"n\",site=\"s\",disk=\"nvme0n1\",model=\"QEMU NVMe Ctrl\",serial=\"deadbeef\"";
  EXPECT_THAT(page, HasSubstr("vigie_disk_nvme_critical_warning{" + nvme + "} 4\n"));
  EXPECT_THAT(page, HasSubstr("vigie_disk_nvme_percentage_used_ratio{" + nvme + "} 0.75\n"));
  EXPECT_THAT(page, HasSubstr("vigie_disk_read_bytes_total{" + nvme + "} 1024000\n"));
  EXPECT_THAT(page, HasSubstr("vigie_disk_power_on_seconds_total{" + nvme + "} 36000\n"));
}

TEST(MetricsHardware, ASleepingDiskIsMarkedAndNotGivenStaleValues) {
  const std::string page = Render(testing::SampleHardwareReport());
  const std::string sdb = "node=\"n\",site=\"s\",disk=\"sdb\",model=\"WDC WD140EDFZ\",serial=\"\"";
  EXPECT_THAT(page, HasSubstr("vigie_disk_asleep{" + sdb + "} 1\n"));
  EXPECT_THAT(page, HasSubstr("vigie_disk_last_read_timestamp_seconds{" + sdb + "} 1700000000\n"));
  EXPECT_THAT(page, Not(HasSubstr("vigie_disk_temperature_celsius{" + sdb)));
  EXPECT_THAT(page, HasSubstr("vigie_disk_info{" + sdb + ",kind=\"unknown\",firmware=\"\",status=\"asleep\"} 1\n"));
}

TEST(MetricsHardware, Power) {
  const std::string page = Render(testing::SampleHardwareReport());
  EXPECT_THAT(page, HasSubstr("vigie_power_rapl_watts{node=\"n\",site=\"s\",zone=\"package-0\"} 6.5\n"));
  EXPECT_THAT(page, HasSubstr("vigie_power_ac_online{node=\"n\",site=\"s\"} 1\n"));
}

TEST(MetricsHardware, EachFamilyAppearsOnceAcrossNodes) {
  const v1::Report a = testing::SampleHardwareReport();
  const v1::Report b = testing::SampleHardwareReport();
  Exposition page;
  AppendHardwareMetrics({{{{"node", "a"}, {"site", "s"}}, &a}, {{{"node", "b"}, {"site", "s"}}, &b}}, page);
  const std::string text = page.Take();
  size_t count = 0;
  for (size_t at = text.find("# TYPE vigie_sensor_temperature_celsius "); at != std::string::npos;
       at = text.find("# TYPE vigie_sensor_temperature_celsius ", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 1u);
}

}  // namespace
}  // namespace vigie::collector
