// The alert rules over what the agent itself decodes from real drives: the
// decoders' fixtures (tests/fixtures/smart/<drive>/, pages rebuilt from the
// smartctl outputs of /work/shared/realdrives, and QEMU recordings) replayed
// through the agent's DiskSource into a report, then EvaluateReport. Healthy
// drives (the Seagates with huge packed raw values for 1, 7 and 195 among
// them) fire nothing; failing and degrading ones fire what they must.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "agent/smart/recorded_device_io.h"
#include "agent/sources/disk_source.h"
#include "alerting/rules.h"
#include "tests/testing/testing.h"

namespace vigie::alerting {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A recording (recorded_device_io.h) of one fixture drive, as
// tests/qemu/check_against_smartctl.py builds it.
fs::path MakeRecording(const fs::path& fixture, const fs::path& out) {
  if (fs::exists(fixture / "nvme0n1") || fs::exists(fixture / "sda")) return fixture;  // already a recording
  const bool nvme = fs::exists(fixture / "nvme_health.bin");
  const fs::path disk = out / (nvme ? "nvme0n1" : "sda");
  fs::create_directories(disk);
  const std::map<std::string, std::string> names = {
      {"identify.bin", "identify.bin"},       {"smart_data.bin", "smart_data.bin"},
      {"smart_thresholds.bin", "smart_thresholds.bin"}, {"error_log.bin", "log_01.bin"},
      {"self_test_log.bin", "log_06.bin"},    {"nvme_identify.bin", "nvme_identify.bin"},
      {"nvme_health.bin", "nvme_log_02.bin"}};
  for (const auto& [theirs, ours] : names) {
    if (fs::exists(fixture / theirs)) fs::copy_file(fixture / theirs, disk / ours);
  }
  if (!nvme) {
    std::ofstream(disk / "power_mode") << "active\n";
    // SMART RETURN STATUS as smartctl printed it: "smart_status": {"passed": true|false}
    // in its JSON, "self-assessment test result: PASSED" in its text.
    std::string status;
    if (fs::exists(fixture / "smartctl.json")) {
      const std::string json = Slurp(fixture / "smartctl.json");
      const size_t at = json.find("\"smart_status\"");
      if (at != std::string::npos) {
        const size_t passed = json.find("\"passed\"", at);
        const size_t value = json.find_first_not_of(" \t\n:", passed + 8);
        status = json.compare(value, 4, "true") == 0 ? "passed" : "failed";
      }
    } else if (fs::exists(fixture / "smartctl.txt")) {
      const std::string text = Slurp(fixture / "smartctl.txt");
      if (text.find("self-assessment test result: PASSED") != std::string::npos) status = "passed";
      if (text.find("self-assessment test result: FAILED") != std::string::npos) status = "failed";
    }
    if (!status.empty()) std::ofstream(disk / "smart_status") << status << "\n";
    // smartctl printed no IDENTIFY for this one: a nearly blank page stands in (no model,
    // no serial), saying only what ACS-3 section 7.12.7 needs for SMART: word 82 bit 0
    // (SMART supported), word 85 bit 0 (enabled), words 83/84/87 bit 14 (valid). No
    // signature in word 255, hence no checksum.
    if (!fs::exists(disk / "identify.bin")) {
      std::string page(512, '\0');
      const auto set_word = [&](int word, uint16_t value) {
        page[2 * word] = static_cast<char>(value & 0xff);
        page[2 * word + 1] = static_cast<char>(value >> 8);
      };
      set_word(0, 0x0040);
      set_word(82, 0x0001);
      set_word(83, 0x4000);
      set_word(84, 0x4000);
      set_word(85, 0x0001);
      set_word(87, 0x4000);
      std::ofstream(disk / "identify.bin") << page;
    }
  }
  return out;
}

std::set<std::string> RulesFired(const v1::Report& report) {
  Counters counters;
  const Thresholds thresholds;
  const std::string node = "n", site = "s";
  const Evaluation e = EvaluateReport(RuleInput{report, node, site, thresholds, 1'764'000'000'000}, counters,
                                      [](const AlertKey&) { return false; });
  std::set<std::string> rules;
  for (const Finding& f : e.findings) rules.insert(f.key.rule + " " + f.key.subject);
  return rules;
}

TEST(RealDrivesAlerts, TheAgentsDecodingOfEachDriveFiresExactlyTheExpectedRules) {
  const std::set<std::string> none;
  const std::set<std::string> degrading{"disk_degrading sda"};
  const std::map<std::string, std::set<std::string>> expected = {
      {"crucial_mx500_500gb_freebsd", none},
      {"hitachi_hds721050dle630_failed", {"smart_failing sda", "disk_degrading sda"}},
      {"hitachi_hts725032a9a364_320gb_laptop_x", degrading},
      {"intel_p4510_nvme_75pct_used", none},
      {"intel_ssdsc2kw120h6_540s", none},
      {"kingston_skc400_ssd_wear", degrading},
      {"kingston_sv300s37a120g_poh_msec", none},
      {"micron_5300_ssd_crc_timeout", degrading},
      {"plextor_px512m8peg_nvme_media_errors550", {"disk_degrading nvme0n1"}},
      {"qemu_ahci", none},
      // Read without the capabilities: unreadable, which fires after a day (pending now).
      {"qemu_nocaps", {"source_unreadable disk sda", "source_unreadable disk nvme0n1"}},
      {"qemu_nvme", none},  // 0 % spare with a 0 % threshold
      {"qemu_nvme_critical_warning", {"smart_failing nvme0n1"}},
      {"samsung_840_crc_errors", none},
      {"samsung_850evo_500gb_worn_megaraid", degrading},
      {"samsung_850evo_500gb_x_crc10", none},
      {"samsung_860evo_500gb", none},
      {"samsung_970evo_nvme_media_errors", {"disk_degrading nvme0n1"}},
      {"samsung_mzwll3t2_nvme_critwarn16_failed", {"smart_failing nvme0n1"}},
      {"seagate_sat_attrs_only", none},
      {"seagate_st2000nm0008_poh_ms", none},
      {"seagate_st3000dm001_pending_uncorrectable", degrading},
      {"seagate_st3500418as_realloc304", degrading},
      {"seagate_st9320325as_320gb_laptop_x", degrading},
      {"skhynix_bc501_nvme_bogus_media_errors", none},
      {"skhynix_pc300_nvme_errlog", none},
      {"unknown_hdd_failed_realloc_failing_now_H", {"smart_failing sda", "disk_degrading sda"}},
      {"wd140edfz_14tb", none},
      {"wd4000fyyx_megaraid_realloc", degrading},
  };
  const fs::path root = testing::FixturePath("smart");
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename();
    testing::TempDir dir;
    const fs::path recording = MakeRecording(entry.path(), dir.path());
    std::unique_ptr<agent::smart::DeviceIo> io = agent::smart::MakeRecordedDeviceIo(recording);
    agent::DiskSource source(agent::RecordedDiskLister(recording), *io);
    v1::Report report;
    source.Collect(agent::CollectContext{1'764'000'000'000, 0}, report);
    ASSERT_GE(report.disks_size(), 1) << name;
    ASSERT_TRUE(expected.contains(name)) << "a new fixture: say what it must fire: " << name << " fires "
                                         << ::testing::PrintToString(RulesFired(report));
    EXPECT_EQ(RulesFired(report), expected.at(name)) << name << " status " << report.disks(0).status() << " "
                                                     << report.disks(0).error();
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(expected.size()));
}

}  // namespace
}  // namespace vigie::alerting
