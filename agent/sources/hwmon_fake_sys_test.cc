// HwmonSource (and RaplSource on the live /sys) against Debian's own
// `sensors`, on the recorded tree tests/fixtures/hosts/desktop-nct6775.
// Runs only inside tests/hwmon/run_in_fake_sys.sh, which overlays that tree
// on /sys/class and /sys/devices in a private mount namespace and names the
// writable copy in VIGIE_FAKE_SYS; anywhere else every test skips.
#include <stdio.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent/sources/hwmon_source.h"
#include "agent/sources/rapl_source.h"
#include "agent/sources/sensor_text.h"
#include "tests/testing/testing.h"

// libsensors 3.6.0's configuration parser leaks the name of a `label` line
// it rejects (5 bytes for "fan2", ASyntaxErrorIsAWarning... below): theirs,
// not ours. Read by LeakSanitizer in VIGIE_SANITIZE builds only.
extern "C" const char* __lsan_default_suppressions() { return "leak:libsensors.so\n"; }

namespace vigie::agent {
namespace {

namespace fs = std::filesystem;

constexpr char kCoretemp[] = "devices/platform/coretemp.0/hwmon/hwmon0";
constexpr char kPackageEnergy[] = "devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj";
// Features of the fixture: acpitz 1, coretemp 3, nct6775 9, nvme 2,
// drivetemp 1, amdgpu 4.
constexpr int kSensorCount = 20;

class FakeSys : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* sys = getenv("VIGIE_FAKE_SYS");
    if (sys == nullptr) {
      GTEST_SKIP() << "not inside tests/hwmon/run_in_fake_sys.sh (VIGIE_FAKE_SYS unset); "
                      "run it through ctest -R hwmon_fake_sys";
    }
    sys_ = sys;
  }

  // Changes a value in place (same inode), as the kernel would.
  void Set(const std::string& relative, const std::string& value) {
    std::ofstream out(sys_ / relative, std::ios::in | std::ios::out | std::ios::trunc);
    ASSERT_TRUE(out) << relative;
    out << value << '\n';
  }

  fs::path sys_;
};

std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  return out;
}

// `sensors -u`: chip -> label -> subfeature name ("temp1_input") -> value.
using RawReadings = std::map<std::string, std::map<std::string, std::map<std::string, double>>>;

RawReadings ParseSensorsU(const std::string& text) {
  RawReadings readings;
  std::istringstream in(text);
  std::string line, chip, label;
  while (std::getline(in, line)) {
    if (line.empty()) {
      chip.clear();
      continue;
    }
    if (chip.empty()) {
      chip = line;
      readings[chip];
      continue;
    }
    if (line.rfind("Adapter: ", 0) == 0) continue;
    if (line.rfind("  ", 0) == 0) {
      const size_t colon = line.find(": ");
      readings[chip][label][line.substr(2, colon - 2)] = std::stod(line.substr(colon + 2));
    } else if (line.back() == ':') {
      label = line.substr(0, line.size() - 1);
      readings[chip][label];
    }
  }
  return readings;
}

std::string Prefix(const std::map<std::string, double>& subfeatures) {
  const std::string& any = subfeatures.begin()->first;
  return any.substr(0, any.find('_') + 1);  // "temp1_"
}

v1::Sensor::Kind KindOfPrefix(const std::string& prefix) {
  if (prefix.rfind("temp", 0) == 0) return v1::Sensor::TEMPERATURE;
  if (prefix.rfind("fan", 0) == 0) return v1::Sensor::FAN;
  if (prefix.rfind("in", 0) == 0 && prefix.rfind("intrusion", 0) != 0) return v1::Sensor::VOLTAGE;
  if (prefix.rfind("curr", 0) == 0) return v1::Sensor::CURRENT;
  if (prefix.rfind("power", 0) == 0) return v1::Sensor::POWER;
  if (prefix.rfind("energy", 0) == 0) return v1::Sensor::ENERGY;
  if (prefix.rfind("humidity", 0) == 0) return v1::Sensor::HUMIDITY;
  if (prefix.rfind("intrusion", 0) == 0) return v1::Sensor::INTRUSION;
  return v1::Sensor::KIND_UNSPECIFIED;
}

// `sensors -u` prints 3 decimals.
void ExpectClose(double sensors_value, double ours, const std::string& what) {
  EXPECT_NEAR(sensors_value, ours, 0.0005 + std::fabs(ours) * 1e-9) << what;
}

void ExpectLimit(const std::map<std::string, double>& raw, const std::string& name, bool has,
                 double ours, const std::string& what) {
  const auto it = raw.find(name);
  if (it == raw.end()) {
    EXPECT_FALSE(has) << what << ": we report " << name << " = " << ours << ", sensors has none";
  } else {
    EXPECT_TRUE(has) << what << ": sensors has " << name << " = " << it->second;
    if (has) ExpectClose(it->second, ours, what + " " + name);
  }
}

// Every chip, label, value, limit and alarm flag of ours against `sensors -u`
// run with the same configuration, and every feature of `sensors -u` ours.
void ExpectSameAsSensorsU(const v1::Report& report, const std::string& sensors_command) {
  const RawReadings raw = ParseSensorsU(RunCommand(sensors_command + " -u 2>/dev/null"));
  ASSERT_FALSE(raw.empty()) << sensors_command << " printed nothing";
  std::set<std::pair<std::string, std::string>> seen;
  for (const v1::Sensor& s : report.sensors()) {
    const std::string what = s.chip() + " / " + s.label();
    seen.insert({s.chip(), s.label()});
    const auto chip = raw.find(s.chip());
    ASSERT_NE(chip, raw.end()) << "sensors has no chip " << s.chip();
    const auto feature = chip->second.find(s.label());
    ASSERT_NE(feature, chip->second.end()) << "sensors has no feature " << what;
    const std::map<std::string, double>& sub = feature->second;
    const std::string p = Prefix(sub);
    EXPECT_EQ(s.kind(), KindOfPrefix(p)) << what;
    if (s.kind() == v1::Sensor::INTRUSION) {
      ExpectClose(sub.at(p + "alarm"), s.value(), what);
    } else if (s.kind() == v1::Sensor::POWER && !sub.count(p + "input")) {
      ExpectClose(sub.at(p + "average"), s.value(), what);
    } else {
      ASSERT_TRUE(sub.count(p + "input")) << what;
      ExpectClose(sub.at(p + "input"), s.value(), what);
    }
    ExpectLimit(sub, p + "min", s.has_min(), s.min(), what);
    if (s.kind() == v1::Sensor::POWER && !sub.count(p + "max")) {
      ExpectLimit(sub, p + "cap", s.has_max(), s.max(), what);
    } else {
      ExpectLimit(sub, p + "max", s.has_max(), s.max(), what);
    }
    ExpectLimit(sub, p + "crit", s.has_crit(), s.crit(), what);
    ExpectLimit(sub, p + "lcrit", s.has_lcrit(), s.lcrit(), what);
    bool alarm = false;
    for (const auto& [name, value] : sub) {
      const bool flag = name.size() > 6 && (name.ends_with("_alarm") || name.ends_with("_fault"));
      if (flag && value != 0) alarm = true;
    }
    EXPECT_EQ(s.alarm(), alarm) << what;
  }
  for (const auto& [chip, features] : raw) {
    for (const auto& [label, sub] : features) {
      EXPECT_TRUE(seen.count({chip, label})) << "we miss " << chip << " / " << label;
    }
  }
}

v1::Report CollectOnce(Source& source, int64_t monotonic_ns = 0) {
  v1::Report report;
  CollectContext context;
  context.monotonic_ns = monotonic_ns;
  source.Collect(context, report);
  return report;
}

const v1::Sensor* Find(const v1::Report& report, const std::string& chip, const std::string& label) {
  for (const v1::Sensor& s : report.sensors()) {
    if (s.chip() == chip && s.label() == label) return &s;
  }
  return nullptr;
}

TEST_F(FakeSys, EveryChipLabelValueLimitAndAlarmMatchesSensorsU) {
  HwmonSource source;
  ASSERT_FALSE(source.init_error()) << source.init_error()->message;
  const v1::Report report = CollectOnce(source);
  EXPECT_EQ(report.source_errors_size(), 0);
  ExpectSameAsSensorsU(report, "sensors");
}

// The values written in tests/fixtures/hosts/desktop-nct6775 (its
// PROVENANCE.md), as the agent reports them.
TEST_F(FakeSys, ReadsTheRecordedChipsInTheProtosUnits) {
  HwmonSource source;
  // In /sys/class/hwmon's readdir order, which depends on the file system.
  std::vector<std::string> chips = source.ChipNames();
  std::sort(chips.begin(), chips.end());
  EXPECT_EQ(chips, (std::vector<std::string>{"acpitz-acpi-0", "amdgpu-pci-0100", "coretemp-isa-0000",
                                             "drivetemp-scsi-0-0", "nct6775-isa-0290",
                                             "nvme-pci-3d00"}));
  const v1::Report report = CollectOnce(source);
  EXPECT_EQ(report.sensors_size(), kSensorCount);

  const v1::Sensor* package = Find(report, "coretemp-isa-0000", "Package id 0");
  ASSERT_NE(package, nullptr);
  EXPECT_EQ(package->kind(), v1::Sensor::TEMPERATURE);
  EXPECT_DOUBLE_EQ(package->value(), 45.0);
  EXPECT_DOUBLE_EQ(package->max(), 80.0);
  EXPECT_DOUBLE_EQ(package->crit(), 100.0);
  EXPECT_FALSE(package->has_min());
  EXPECT_FALSE(package->alarm());

  // sensors3.conf labels in0 of the nct6775 "Vcore".
  const v1::Sensor* vcore = Find(report, "nct6775-isa-0290", "Vcore");
  ASSERT_NE(vcore, nullptr);
  EXPECT_EQ(vcore->kind(), v1::Sensor::VOLTAGE);
  EXPECT_DOUBLE_EQ(vcore->value(), 1.032);
  EXPECT_DOUBLE_EQ(vcore->max(), 1.744);

  const v1::Sensor* dead_fan = Find(report, "nct6775-isa-0290", "fan2");
  ASSERT_NE(dead_fan, nullptr);
  EXPECT_EQ(dead_fan->kind(), v1::Sensor::FAN);
  EXPECT_DOUBLE_EQ(dead_fan->value(), 0.0);
  EXPECT_DOUBLE_EQ(dead_fan->min(), 300.0);
  EXPECT_TRUE(dead_fan->alarm());
  EXPECT_FALSE(Find(report, "nct6775-isa-0290", "fan1")->alarm());

  const v1::Sensor* intrusion = Find(report, "nct6775-isa-0290", "intrusion0");
  ASSERT_NE(intrusion, nullptr);
  EXPECT_EQ(intrusion->kind(), v1::Sensor::INTRUSION);
  EXPECT_DOUBLE_EQ(intrusion->value(), 0.0);

  const v1::Sensor* disk = Find(report, "drivetemp-scsi-0-0", "temp1");
  ASSERT_NE(disk, nullptr);
  EXPECT_DOUBLE_EQ(disk->value(), 36.0);
  EXPECT_DOUBLE_EQ(disk->min(), 0.0);
  EXPECT_DOUBLE_EQ(disk->max(), 60.0);
  EXPECT_DOUBLE_EQ(disk->lcrit(), -40.0);
  EXPECT_DOUBLE_EQ(disk->crit(), 70.0);

  const v1::Sensor* nvme = Find(report, "nvme-pci-3d00", "Composite");
  ASSERT_NE(nvme, nullptr);
  EXPECT_DOUBLE_EQ(nvme->value(), 38.85);
  EXPECT_DOUBLE_EQ(nvme->min(), -273.15);
  EXPECT_DOUBLE_EQ(nvme->crit(), 84.85);

  // amdgpu has power1_average and power1_cap, no power1_input or _max.
  const v1::Sensor* gpu = Find(report, "amdgpu-pci-0100", "PPT");
  ASSERT_NE(gpu, nullptr);
  EXPECT_EQ(gpu->kind(), v1::Sensor::POWER);
  EXPECT_DOUBLE_EQ(gpu->value(), 30.0);
  EXPECT_DOUBLE_EQ(gpu->max(), 145.0);
  EXPECT_FALSE(gpu->alarm());
  const v1::Sensor* vddgfx = Find(report, "amdgpu-pci-0100", "vddgfx");
  ASSERT_NE(vddgfx, nullptr);
  EXPECT_DOUBLE_EQ(vddgfx->value(), 0.75);
  EXPECT_FALSE(vddgfx->has_min());
}

TEST_F(FakeSys, AValueChangedInPlaceIsSeenAtTheNextCycle) {
  HwmonSource source;
  Set(std::string(kCoretemp) + "/temp1_input", "101000");
  Set(std::string(kCoretemp) + "/temp1_crit_alarm", "1");
  const v1::Report hot = CollectOnce(source);
  Set(std::string(kCoretemp) + "/temp1_input", "45000");
  Set(std::string(kCoretemp) + "/temp1_crit_alarm", "0");
  const v1::Sensor* package = Find(hot, "coretemp-isa-0000", "Package id 0");
  ASSERT_NE(package, nullptr);
  EXPECT_DOUBLE_EQ(package->value(), 101.0);
  EXPECT_TRUE(package->alarm());
  EXPECT_FALSE(Find(CollectOnce(source), "coretemp-isa-0000", "Package id 0")->alarm());
}

// The kernel fails a read with an errno (a drivetemp disk gone, an I2C
// timeout); in a recorded tree the closest is a value libsensors cannot
// parse, which it reports the same way (SENSORS_ERR_ACCESS_R).
TEST_F(FakeSys, AFeatureThatFailsToReadIsASourceErrorAndTheRestIsRead) {
  HwmonSource source;
  Set(std::string(kCoretemp) + "/temp2_input", "garbage");
  const v1::Report report = CollectOnce(source);
  Set(std::string(kCoretemp) + "/temp2_input", "43000");
  ASSERT_EQ(report.source_errors_size(), 1);
  EXPECT_EQ(report.source_errors(0).source(), "hwmon");
  EXPECT_EQ(report.source_errors(0).code(), v1::SourceError::IO);
  EXPECT_EQ(report.source_errors(0).message(), "coretemp-isa-0000 Core 0 (temp2_input): Can't read");
  EXPECT_EQ(Find(report, "coretemp-isa-0000", "Core 0"), nullptr);
  EXPECT_NE(Find(report, "coretemp-isa-0000", "Core 1"), nullptr);
  EXPECT_EQ(report.sensors_size(), kSensorCount - 1);
}

TEST_F(FakeSys, AChipThatFailsWholeIsOneSourceError) {
  HwmonSource source;
  for (const char* input : {"/temp1_input", "/temp2_input", "/temp3_input"}) {
    Set(std::string(kCoretemp) + input, "garbage");
  }
  const v1::Report report = CollectOnce(source);
  Set(std::string(kCoretemp) + "/temp1_input", "45000");
  Set(std::string(kCoretemp) + "/temp2_input", "43000");
  Set(std::string(kCoretemp) + "/temp3_input", "44000");
  ASSERT_EQ(report.source_errors_size(), 1);
  EXPECT_EQ(report.source_errors(0).code(), v1::SourceError::IO);
  EXPECT_EQ(report.source_errors(0).message(),
            "coretemp-isa-0000: none of its 3 features could be read; first: "
            "coretemp-isa-0000 Package id 0 (temp1_input): Can't read");
  EXPECT_EQ(report.sensors_size(), kSensorCount - 3);
}

TEST_F(FakeSys, MayReadSkipsAChipAndSeesEveryChipPath) {
  std::set<std::string> asked;
  HwmonOptions options;
  // The drivetemp chip of the recorded disk sda is hwmon2.
  options.may_read = [&](const std::string& path) {
    asked.insert(path);
    return path != "/sys/class/hwmon/hwmon2";
  };
  HwmonSource source(options);
  const v1::Report report = CollectOnce(source);
  EXPECT_EQ(asked, (std::set<std::string>{"/sys/class/hwmon/hwmon0", "/sys/class/hwmon/hwmon1",
                                          "/sys/class/hwmon/hwmon2", "/sys/class/hwmon/hwmon3",
                                          "/sys/class/hwmon/hwmon4", "/sys/class/hwmon/hwmon5"}));
  EXPECT_EQ(report.source_errors_size(), 0);
  EXPECT_EQ(report.sensors_size(), kSensorCount - 1);
  EXPECT_EQ(Find(report, "drivetemp-scsi-0-0", "temp1"), nullptr);
}

// What the disk source's predicate would do: leave the chip of a sleeping
// disk (here sda) unread.
TEST_F(FakeSys, DrivetempBlockDeviceNamesTheDiskOfTheChip) {
  const FileTree root("/");
  EXPECT_EQ(DrivetempBlockDevice(root, "/sys/class/hwmon/hwmon2"), "sda");
  EXPECT_EQ(DrivetempBlockDevice(root, "/sys/class/hwmon/hwmon0"), std::nullopt);  // coretemp
  EXPECT_EQ(DrivetempBlockDevice(root, "/sys/class/hwmon/hwmon9"), std::nullopt);  // none

  HwmonOptions options;
  options.may_read = [&](const std::string& path) {
    return DrivetempBlockDevice(root, path) != "sda";
  };
  HwmonSource source(options);
  const v1::Report report = CollectOnce(source);
  EXPECT_EQ(report.sensors_size(), kSensorCount - 1);
  EXPECT_EQ(Find(report, "drivetemp-scsi-0-0", "temp1"), nullptr);
}

TEST_F(FakeSys, ConfigLabelsAndComputeLinesApplyAndReloadRereadsThem) {
  testing::TempDir dir;
  const fs::path config = dir.Write("sensors3.conf",
                                    "chip \"nct6775-*\"\n"
                                    "  label fan1 \"CPU fan\"\n"
                                    "  label in1 \"+5V\"\n"
                                    "  compute in1 @*(30/10), @/(30/10)\n");
  HwmonOptions options;
  options.config_path = config.string();
  HwmonSource source(options);
  ASSERT_FALSE(source.init_error()) << source.init_error()->message;
  const v1::Report report = CollectOnce(source);
  ASSERT_NE(Find(report, "nct6775-isa-0290", "CPU fan"), nullptr);
  const v1::Sensor* five = Find(report, "nct6775-isa-0290", "+5V");
  ASSERT_NE(five, nullptr);
  EXPECT_NEAR(five->value(), 1.840 * 3, 1e-9);
  EXPECT_NEAR(five->max(), 2.040 * 3, 1e-9);
  ExpectSameAsSensorsU(report, "sensors -c " + config.string());

  dir.Write("sensors3.conf", "chip \"nct6775-*\"\n  label fan1 \"Rear fan\"\n");
  ASSERT_TRUE(source.Reload());
  const v1::Report reloaded = CollectOnce(source);
  EXPECT_NE(Find(reloaded, "nct6775-isa-0290", "Rear fan"), nullptr);
  EXPECT_EQ(Find(reloaded, "nct6775-isa-0290", "CPU fan"), nullptr);
  EXPECT_DOUBLE_EQ(Find(reloaded, "nct6775-isa-0290", "in1")->value(), 1.840);
}

TEST_F(FakeSys, AMissingConfigIsAnErrorUntilAReloadFindsIt) {
  testing::TempDir dir;
  HwmonOptions options;
  options.config_path = (dir.path() / "sensors3.conf").string();
  HwmonSource source(options);
  ASSERT_TRUE(source.init_error());
  const v1::Report report = CollectOnce(source);
  ASSERT_EQ(report.source_errors_size(), 1);
  EXPECT_EQ(report.source_errors(0).source(), "hwmon");
  EXPECT_EQ(report.source_errors(0).code(), v1::SourceError::NOT_FOUND);
  EXPECT_EQ(report.source_errors(0).message(), options.config_path + ": No such file or directory");
  EXPECT_EQ(report.sensors_size(), 0);

  dir.Write("sensors3.conf", "chip \"nct6775-*\"\n  label fan1 \"CPU fan\"\n");
  ASSERT_TRUE(source.Reload());
  EXPECT_FALSE(source.init_error());
  EXPECT_NE(Find(CollectOnce(source), "nct6775-isa-0290", "CPU fan"), nullptr);
}

// libsensors' parser recovers from a bad line, as `sensors` does: the rest
// of the file applies and the problem is kept as a warning.
TEST_F(FakeSys, ASyntaxErrorIsAWarningAndTheRestOfTheConfigApplies) {
  testing::TempDir dir;
  const fs::path config = dir.Write("sensors3.conf",
                                    "chip \"nct6775-*\"\n"
                                    "  label fan2\n"
                                    "  label fan1 \"CPU fan\"\n");
  HwmonOptions options;
  options.config_path = config.string();
  HwmonSource source(options);
  ASSERT_FALSE(source.init_error()) << source.init_error()->message;
  ASSERT_EQ(source.config_warnings().size(), 1u);
  EXPECT_EQ(source.config_warnings()[0], config.string() + ":3: syntax error");
  const v1::Report report = CollectOnce(source);
  EXPECT_EQ(report.source_errors_size(), 0);
  EXPECT_NE(Find(report, "nct6775-isa-0290", "CPU fan"), nullptr);
  EXPECT_NE(Find(report, "nct6775-isa-0290", "fan2"), nullptr);
}

TEST_F(FakeSys, OnlyOneSourceOwnsLibsensors) {
  HwmonSource first;
  HwmonSource second;
  ASSERT_TRUE(second.init_error());
  const v1::Report report = CollectOnce(second);
  ASSERT_EQ(report.source_errors_size(), 1);
  EXPECT_EQ(report.source_errors(0).code(), v1::SourceError::UNAVAILABLE);
  EXPECT_EQ(CollectOnce(first).sensors_size(), kSensorCount);
}

// chip -> feature label -> its lines in `sensors`' text (the label's line and
// the continuation lines of limits), without the "Adapter:" lines.
using TextBlocks = std::map<std::string, std::map<std::string, std::string>>;

TextBlocks ParseText(const std::string& text) {
  TextBlocks blocks;
  std::istringstream in(text);
  std::string line, chip, label;
  while (std::getline(in, line)) {
    if (line.empty()) {
      chip.clear();
    } else if (chip.empty()) {
      chip = line;
    } else if (line.rfind("Adapter: ", 0) == 0) {
      continue;
    } else if (line[0] == ' ') {
      blocks[chip][label] += "\n" + line;
    } else {
      label = line.substr(0, line.find(':'));
      blocks[chip][label] = line;
    }
  }
  return blocks;
}

// Our text against the live `sensors` output: every feature whose details a
// v1::Sensor carries prints the same, chip by chip.
TEST_F(FakeSys, TextMatchesSensorsFeatureForFeature) {
  HwmonSource source;
  const TextBlocks ours = ParseText(FormatSensors(CollectOnce(source).sensors()));
  const TextBlocks theirs = ParseText(RunCommand("sensors 2>/dev/null"));
  // What `sensors` prints beyond a v1::Sensor: hyst and the sensor type
  // (nct6775 temperatures), hyst (amdgpu edge), lowest/highest (drivetemp),
  // "cap" where the proto has max (amdgpu PPT).
  const std::set<std::pair<std::string, std::string>> not_compared = {
      {"nct6775-isa-0290", "SYSTIN"},  {"nct6775-isa-0290", "CPUTIN"},
      {"amdgpu-pci-0100", "edge"},     {"drivetemp-scsi-0-0", "temp1"},
      {"amdgpu-pci-0100", "PPT"}};
  EXPECT_EQ(ours.size(), theirs.size());
  int compared = 0;
  for (const auto& [chip, features] : ours) {
    for (const auto& [label, text] : features) {
      if (not_compared.count({chip, label})) continue;
      ASSERT_TRUE(theirs.count(chip) && theirs.at(chip).count(label)) << chip << " / " << label;
      EXPECT_EQ(text, theirs.at(chip).at(label)) << chip << " / " << label;
      ++compared;
    }
  }
  EXPECT_EQ(compared, kSensorCount - static_cast<int>(not_compared.size()));
}

// The powercap tree of the same machine, read by RaplSource on the live
// /sys while its package counter wraps.
TEST_F(FakeSys, RaplCounterWrapsDuringTheTest) {
  const FileTree root("/");
  RaplSource source(root);
  ASSERT_EQ(source.zones().size(), 4u);
  const uint64_t range = source.zones()[0].max_energy_range_uj;
  EXPECT_EQ(range, 262143328850u);
  Set(kPackageEnergy, std::to_string(range - 3'000'000));
  const v1::Report first = CollectOnce(source, 1'000'000'000);
  EXPECT_EQ(first.source_errors_size(), 0);
  EXPECT_EQ(first.power().rapl_size(), 0);
  Set(kPackageEnergy, std::to_string(9'000'000));  // wrapped: 12 J in 0.5 s
  const v1::Report second = CollectOnce(source, 1'500'000'000);
  ASSERT_EQ(second.source_errors_size(), 0) << second.source_errors(0).message();
  ASSERT_EQ(second.power().rapl_size(), 4);
  EXPECT_EQ(second.power().rapl(0).name(), "package-0");
  EXPECT_DOUBLE_EQ(second.power().rapl(0).watts(), 24.0);
  EXPECT_EQ(second.power().rapl(3).name(), "dram");
  EXPECT_DOUBLE_EQ(second.power().rapl(3).watts(), 0.0);  // unchanged counter
  Set(kPackageEnergy, "123456789");
}

}  // namespace
}  // namespace vigie::agent
