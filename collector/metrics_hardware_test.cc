#include "collector/metrics_hardware.h"

#include "collector/exposition.h"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/sample_reports.h"
#include "tests/testing/testing.h"

namespace vigie::collector {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Render(const v1::Report& report) {
  Exposition page;
  AppendHardwareMetrics({{{{"node", "n"}, {"site", "s"}}, &report}}, page);
  return page.Take();
}

v1::Report SensorsLabeled(const std::vector<std::string>& labels) {
  v1::Report report;
  for (const std::string& label : labels) {
    v1::Sensor* sensor = report.add_sensors();
    sensor->set_chip("nct6775-isa-0290");
    sensor->set_kind(v1::Sensor::TEMPERATURE);
    sensor->set_label(label);
  }
  return report;
}

// The sensor labels of vigie_sensor_temperature_celsius, in page order.
std::vector<std::string> TemperatureLabels(const std::string& page) {
  std::vector<std::string> labels;
  const std::string family = "\nvigie_sensor_temperature_celsius{";
  for (size_t at = page.find(family); at != std::string::npos; at = page.find(family, at + 1)) {
    const size_t begin = page.find("sensor=\"", at) + 8;
    labels.push_back(page.substr(begin, page.find("\"}", begin) - begin));
  }
  return labels;
}

// CPU time of rendering `report`, in ms.
double RenderCpuMs(const v1::Report& report) {
  const double start = testing::ThreadCpuMs();
  const std::string page = Render(report);
  EXPECT_FALSE(page.empty());
  return testing::ThreadCpuMs() - start;
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

TEST(MetricsHardware, ADuplicateLabelTakesTheFirstNumberNoOtherSensorHas) {
  const v1::Report report = SensorsLabeled({"x", "x #2", "x", "x", "x #3", "y"});
  EXPECT_THAT(TemperatureLabels(Render(report)),
              ::testing::ElementsAre("x", "x #2", "x #3", "x #4", "x #3 #2", "y"));
}

TEST(MetricsHardware, ALabelIsNumberedPerChipAndKind) {
  v1::Report report = SensorsLabeled({"x", "x"});
  v1::Sensor* other_chip = report.add_sensors();
  other_chip->set_chip("coretemp-isa-0000");
  other_chip->set_kind(v1::Sensor::TEMPERATURE);
  other_chip->set_label("x");
  v1::Sensor* fan = report.add_sensors();
  fan->set_chip("nct6775-isa-0290");
  fan->set_kind(v1::Sensor::FAN);
  fan->set_label("x");
  const std::string page = Render(report);
  EXPECT_THAT(TemperatureLabels(page), ::testing::ElementsAre("x", "x #2", "x"));
  EXPECT_THAT(page, HasSubstr("vigie_sensor_fan_rpm{node=\"n\",site=\"s\",chip=\"nct6775-isa-0290\",sensor=\"x\"} 0\n"));
}

// Issue 14: 8 000 sensors of one label took 5.3 s, 200 000 never ended.
TEST(MetricsHardware, ManySensorsOfOneLabelCostAboutAsMuchAsAsManyLabels) {
  constexpr int kSensors = 30'000;
  std::vector<std::string> distinct;
  std::vector<std::string> same(kSensors, "Package id 0");
  // Real labels taking the numbers the duplicates would try first.
  std::vector<std::string> numbers_taken;
  for (int i = 0; i < kSensors; ++i) {
    distinct.push_back(fmt::format("Package id {}", i));
    numbers_taken.push_back(i < kSensors / 2 ? fmt::format("Package id 0 #{}", i + 2) : "Package id 0");
  }
  const double distinct_ms = RenderCpuMs(SensorsLabeled(distinct));
  const double same_ms = RenderCpuMs(SensorsLabeled(same));
  const double taken_ms = RenderCpuMs(SensorsLabeled(numbers_taken));
  EXPECT_LT(same_ms, 5 * distinct_ms + 100) << "distinct labels: " << distinct_ms << " ms";
  EXPECT_LT(taken_ms, 5 * distinct_ms + 100) << "distinct labels: " << distinct_ms << " ms";
  const std::vector<std::string> labels = TemperatureLabels(Render(SensorsLabeled(numbers_taken)));
  ASSERT_EQ(labels.size(), static_cast<size_t>(kSensors));
  EXPECT_EQ(labels.back(), fmt::format("Package id 0 #{}", kSensors));
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
