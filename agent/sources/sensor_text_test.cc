#include "agent/sources/sensor_text.h"

#include <gtest/gtest.h>

namespace vigie::agent {
namespace {

v1::Sensor Make(const char* chip, const char* label, v1::Sensor::Kind kind, double value) {
  v1::Sensor s;
  s.set_chip(chip);
  s.set_label(label);
  s.set_kind(kind);
  s.set_value(value);
  return s;
}

// Expected lines are those Debian 12's `sensors` (lm-sensors 3.6.0) printed
// for tests/fixtures/hosts/desktop-nct6775 (tests/hwmon/run_in_fake_sys.sh);
// the namespace test checks the same against the live `sensors` output.
TEST(SensorText, TemperatureWithHighAndCrit) {
  v1::Sensor s = Make("coretemp-isa-0000", "Package id 0", v1::Sensor::TEMPERATURE, 45.0);
  s.set_max(80.0);
  s.set_crit(100.0);
  EXPECT_EQ(FormatSensor(s, 14), "Package id 0:  +45.0°C  (high = +80.0°C, crit = +100.0°C)");
}

TEST(SensorText, DeadFanWithAlarm) {
  v1::Sensor s = Make("nct6775-isa-0290", "fan2", v1::Sensor::FAN, 0);
  s.set_min(300);
  s.set_alarm(true);
  EXPECT_EQ(FormatSensor(s), "fan2:           0 RPM  (min =  300 RPM)  ALARM");
}

TEST(SensorText, VoltageWithMinAndMax) {
  v1::Sensor s = Make("nct6775-isa-0290", "Vcore", v1::Sensor::VOLTAGE, 1.032);
  s.set_min(0);
  s.set_max(1.744);
  EXPECT_EQ(FormatSensor(s), "Vcore:         1.03 V  (min =  +0.00 V, max =  +1.74 V)");
}

TEST(SensorText, FourLimitsGoOnTwoLines) {
  v1::Sensor s = Make("drivetemp-scsi-0-0", "temp1", v1::Sensor::TEMPERATURE, 36.0);
  s.set_min(0);
  s.set_max(60);
  s.set_lcrit(-40);
  s.set_crit(70);
  EXPECT_EQ(FormatSensor(s),
            "temp1:        +36.0°C  (low  =  +0.0°C, high = +60.0°C)\n"
            "                       (crit low = -40.0°C, crit = +70.0°C)");
}

TEST(SensorText, IntrusionIsOkOrAlarm) {
  v1::Sensor s = Make("nct6775-isa-0290", "intrusion0", v1::Sensor::INTRUSION, 0);
  EXPECT_EQ(FormatSensor(s), "intrusion0:  OK");
  s.set_value(1);
  s.set_alarm(true);
  EXPECT_EQ(FormatSensor(s), "intrusion0:  ALARM");
}

TEST(SensorText, TemperatureAlarmWithoutLimitsAndSmallPower) {
  v1::Sensor t = Make("acpitz-acpi-0", "temp1", v1::Sensor::TEMPERATURE, 27.8);
  t.set_alarm(true);
  // print_alarms() right-aligns "ALARM" in 32 + 7 columns after the value.
  EXPECT_EQ(FormatSensor(t), "temp1:        +27.8°C  " + std::string(34, ' ') + "ALARM");
  // 0.5 W prints in milliwatts, as `sensors` scales it.
  const v1::Sensor p = Make("fam15h_power-pci-00c4", "power1", v1::Sensor::POWER, 0.5);
  EXPECT_EQ(FormatSensor(p), "power1:      500.00 mW ");
}

TEST(SensorText, GroupsByChipWithTheLongestLabelSettingTheColumn) {
  v1::Report report;
  v1::Sensor& a = *report.add_sensors();
  a = Make("acpitz-acpi-0", "temp1", v1::Sensor::TEMPERATURE, 27.8);
  a.set_crit(105);
  v1::Sensor& b = *report.add_sensors();
  b = Make("coretemp-isa-0000", "Package id 0", v1::Sensor::TEMPERATURE, 45);
  b.set_max(80);
  b.set_crit(100);
  v1::Sensor& c = *report.add_sensors();
  c = Make("coretemp-isa-0000", "Core 0", v1::Sensor::TEMPERATURE, 43);
  c.set_max(80);
  c.set_crit(100);
  EXPECT_EQ(FormatSensors(report.sensors()),
            "acpitz-acpi-0\n"
            "temp1:        +27.8°C  (crit = +105.0°C)\n"
            "\n"
            "coretemp-isa-0000\n"
            "Package id 0:  +45.0°C  (high = +80.0°C, crit = +100.0°C)\n"
            "Core 0:        +43.0°C  (high = +80.0°C, crit = +100.0°C)\n"
            "\n");
}

}  // namespace
}  // namespace vigie::agent
