// The rules over single reports: the real drives of tests/fixtures/smart
// (smartctl outputs from public repositories, see each PROVENANCE.md) as
// smartctl decoded them, and the known traps (QEMU's NVMe spare, packed
// vendor raw values). tests/alerting/real_drives_alert_test.cc does the same
// through the agent's own decoders.
#include "alerting/rules.h"

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/alerting/peers.h"
#include "tests/testing/process.h"

namespace vigie::alerting {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kT0 = 1'764'000'000'000;

std::set<std::string> RulesFired(const v1::Report& report, Counters& counters, int64_t now = kT0) {
  const Thresholds thresholds;
  const std::string node = "n", site = "s";
  const Evaluation e = EvaluateReport(RuleInput{report, node, site, thresholds, now}, counters,
                                      [](const AlertKey&) { return false; });
  std::set<std::string> rules;
  for (const Finding& f : e.findings) rules.insert(f.key.rule);
  return rules;
}

std::set<std::string> RulesFired(const v1::Report& report) {
  Counters counters;
  return RulesFired(report, counters);
}

// tests/alerting/realdrives.py's paragraphs -> one report per drive.
std::map<std::string, v1::Report> LoadRealDrives() {
  const std::filesystem::path dir = std::filesystem::path(VIGIE_SOURCE_DIR) / "tests/fixtures/smart";
  std::vector<std::string> argv{"/usr/bin/python3", std::string(VIGIE_SOURCE_DIR) + "/tests/alerting/realdrives.py"};
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_directory() || entry.path().filename().string().starts_with("qemu")) continue;
    for (const char* output : {"smartctl.json", "smartctl.txt"}) {
      if (std::filesystem::exists(entry.path() / output)) argv.push_back((entry.path() / output).string());
    }
  }
  const testing::CommandResult out = testing::RunCommand(argv);
  EXPECT_EQ(out.exit_code, 0);
  std::map<std::string, v1::Report> drives;
  std::istringstream lines(out.out);
  std::string line;
  v1::Disk* disk = nullptr;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string word;
    words >> word;
    if (word == "drive") {
      std::string name;
      words >> name;
      v1::Report& r = drives[name];
      disk = r.add_disks();
      disk->set_device("sda");
      disk->set_serial(name);
      disk->set_model(name);
      disk->set_status(v1::Disk::READ);
    } else if (word == "kind") {
      words >> word;
      disk->set_kind(word == "nvme" ? v1::Disk::NVME : v1::Disk::ATA_HDD);
    } else if (word == "health") {
      words >> word;
      disk->set_health(word == "FAILED" ? v1::Disk::FAILED : word == "PASSED" ? v1::Disk::PASSED
                                                                               : v1::Disk::HEALTH_UNSPECIFIED);
    } else if (word == "attr") {
      uint32_t id, value, worst, thresh, prefail;
      int64_t raw;
      words >> id >> value >> worst >> thresh >> prefail >> raw;
      std::string text;
      std::getline(words, text);
      v1::AtaAttribute* a = disk->add_ata_attributes();
      a->set_id(id);
      a->set_name("attr" + std::to_string(id));
      a->set_value(value);
      a->set_worst(worst);
      a->set_threshold(thresh);
      a->set_prefailure(prefail != 0);
      a->set_raw_decoded(raw);
      a->set_raw_text(text.empty() ? text : text.substr(1));
    } else if (word == "nvme") {
      uint32_t warning, spare, spare_threshold, used;
      uint64_t media;
      words >> warning >> spare >> spare_threshold >> used >> media;
      v1::NvmeHealth* h = disk->mutable_nvme();
      h->set_critical_warning(warning);
      h->set_available_spare_percent(spare);
      h->set_available_spare_threshold_percent(spare_threshold);
      h->set_percentage_used(used);
      h->set_media_errors(media);
    }
  }
  return drives;
}

TEST(Rules, RealDrivesFireExactlyTheExpectedRules) {
  const std::set<std::string> none;
  const std::set<std::string> degrading{kRuleDiskDegrading};
  const std::set<std::string> failing{kRuleSmartFailing};
  const std::set<std::string> both{kRuleSmartFailing, kRuleDiskDegrading};
  const std::map<std::string, std::set<std::string>> expected = {
      {"crucial_mx500_500gb_freebsd", none},
      {"hitachi_hds721050dle630_failed", both},
      {"hitachi_hts725032a9a364_320gb_laptop_x", degrading},  // 5=15, 188=9592; 187's packed value ignored
      {"intel_p4510_nvme_75pct_used", none},                 // 75 % used: under 90
      {"intel_ssdsc2kw120h6_540s", none},
      {"kingston_skc400_ssd_wear", degrading},  // 1 reallocated
      {"kingston_sv300s37a120g_poh_msec", none},
      {"micron_5300_ssd_crc_timeout", degrading},  // 188=29; 199=24 fires only when rising
      {"plextor_px512m8peg_nvme_media_errors550", degrading},
      {"samsung_840_crc_errors", none},  // 199 constant: fires only when rising
      {"samsung_850evo_500gb_worn_megaraid", degrading},
      {"samsung_850evo_500gb_x_crc10", none},
      {"samsung_860evo_500gb", none},
      {"samsung_970evo_nvme_media_errors", degrading},
      {"samsung_mzwll3t2_nvme_critwarn16_failed", failing},
      {"seagate_sat_attrs_only", none},
      {"seagate_st2000nm0008_poh_ms", none},  // huge 1/7/195, packed 188 "2 2 2"
      {"seagate_st3000dm001_pending_uncorrectable", degrading},
      {"seagate_st3500418as_realloc304", degrading},
      {"seagate_st9320325as_320gb_laptop_x", degrading},
      {"skhynix_bc501_nvme_bogus_media_errors", none},  // ~4.5e24 media errors: a firmware bug
      {"skhynix_pc300_nvme_errlog", none},
      {"unknown_hdd_failed_realloc_failing_now_H", both},
      {"wd140edfz_14tb", none},
      {"wd4000fyyx_megaraid_realloc", degrading},
  };
  const std::map<std::string, v1::Report> drives = LoadRealDrives();
  ASSERT_EQ(drives.size(), expected.size());
  for (const auto& [name, rules] : expected) {
    ASSERT_TRUE(drives.contains(name)) << name;
    EXPECT_EQ(RulesFired(drives.at(name)), rules) << name;
  }
}

TEST(Rules, QemuNvmeWithZeroSpareAndZeroThresholdDoesNotFire) {
  v1::Report r = testing::BasicReport("n", kT0, 1);
  v1::Disk* d = r.add_disks();
  d->set_device("nvme0n1");
  d->set_kind(v1::Disk::NVME);
  d->set_status(v1::Disk::READ);
  d->mutable_nvme()->set_available_spare_percent(0);
  d->mutable_nvme()->set_available_spare_threshold_percent(0);
  EXPECT_THAT(RulesFired(r), IsEmpty());
  d->mutable_nvme()->set_available_spare_percent(5);
  d->mutable_nvme()->set_available_spare_threshold_percent(10);
  EXPECT_THAT(RulesFired(r), ElementsAre(kRuleDiskDegrading));
}

TEST(Rules, NvmeWornPastNinetyPercentIsAWarning) {
  v1::Report r = testing::BasicReport("n", kT0, 1);
  v1::Disk* d = r.add_disks();
  d->set_device("nvme0n1");
  d->set_kind(v1::Disk::NVME);
  d->set_status(v1::Disk::READ);
  d->mutable_nvme()->set_available_spare_threshold_percent(10);
  d->mutable_nvme()->set_available_spare_percent(100);
  d->mutable_nvme()->set_percentage_used(90);
  Counters counters;
  const Thresholds thresholds;
  const std::string node = "n", site = "s";
  const Evaluation e = EvaluateReport(RuleInput{r, node, site, thresholds, kT0}, counters,
                                      [](const AlertKey&) { return false; });
  ASSERT_EQ(e.findings.size(), 1u);
  EXPECT_EQ(e.findings[0].key.subject, "nvme0n1 wear");
  EXPECT_EQ(e.findings[0].severity, Severity::kWarning);
}

TEST(Rules, MaskedNvmeCriticalWarningBitDoesNotFire) {
  v1::Report r = testing::BasicReport("n", kT0, 1);
  v1::Disk* d = r.add_disks();
  d->set_device("nvme0n1");
  d->set_kind(v1::Disk::NVME);
  d->set_status(v1::Disk::READ);
  d->mutable_nvme()->set_critical_warning(0x02);  // temperature
  Thresholds masked;
  masked.nvme_critical_warning_mask = 0xfd;
  Counters counters;
  const std::string node = "n", site = "s";
  const auto inactive = [](const AlertKey&) { return false; };
  EXPECT_TRUE(EvaluateReport(RuleInput{r, node, site, masked, kT0}, counters, inactive).findings.empty());
  EXPECT_EQ(RulesFired(r), std::set<std::string>{kRuleSmartFailing});
}

// The findings of a disk whose CRC error count reads 10 at each of
// `ten_at_ms` (the first is kT0), then 13 at `rise_ms`.
Evaluation CrcErrorsRiseTo13(std::vector<int64_t> ten_at_ms, int64_t rise_ms) {
  v1::Report r = testing::BasicReport("n", kT0, 1);
  v1::Disk* d = testing::AddAtaDisk(r, "sda", "S1");
  testing::AddAttribute(d, 199, "UDMA_CRC_Error_Count", 200, 0, 10, false);
  Counters counters;
  for (const int64_t at_ms : ten_at_ms) EXPECT_THAT(RulesFired(r, counters, at_ms), IsEmpty());
  d->mutable_ata_attributes(0)->set_raw_decoded(13);
  const Thresholds thresholds;
  const std::string node = "n", site = "s";
  return EvaluateReport(RuleInput{r, node, site, thresholds, rise_ms}, counters,
                        [](const AlertKey&) { return false; });
}

TEST(Rules, ARiseWithinASecondSaysTheLastSecond) {
  const Evaluation e = CrcErrorsRiseTo13({kT0}, kT0 + 999);
  ASSERT_EQ(e.findings.size(), 1u);
  EXPECT_THAT(e.findings[0].summary, HasSubstr("(+3 in the last 1 second)"));
}

TEST(Rules, CrcErrorsFireWhenTheyRiseAndNameTheCable) {
  const Evaluation e = CrcErrorsRiseTo13({kT0, kT0 + 3'600'000}, kT0 + 7'200'000);
  ASSERT_EQ(e.findings.size(), 1u);
  EXPECT_EQ(e.findings[0].key.subject, "sda cable");
  EXPECT_THAT(e.findings[0].summary, HasSubstr("13 transfer (CRC) errors (+3 in the last 2 hours)"));
  EXPECT_THAT(e.findings[0].advice, HasSubstr("SATA cable"));
}

TEST(Rules, DiskAsleepKeepsItsAlertsUnevaluated) {
  v1::Report r = testing::BasicReport("n", kT0, 1);
  v1::Disk* d = testing::AddAtaDisk(r, "sda", "S1");
  d->set_status(v1::Disk::SKIPPED_ASLEEP);
  Counters counters;
  const Thresholds thresholds;
  const std::string node = "n", site = "s";
  const Evaluation e = EvaluateReport(RuleInput{r, node, site, thresholds, kT0}, counters,
                                      [](const AlertKey&) { return false; });
  EXPECT_FALSE(e.evaluated.contains({kRuleSmartFailing, "sda"}));
  EXPECT_FALSE(e.evaluated.contains({kRuleDiskDegrading, "sda"}));
}

TEST(Rules, SensorWithoutLimitsOrWithZeroLimitsNeverFires) {
  v1::Report r = testing::BasicReport("n", kT0, 1);
  v1::Sensor* s = r.add_sensors();
  s->set_chip("acpitz-acpi-0");
  s->set_label("temp1");
  s->set_kind(v1::Sensor::TEMPERATURE);
  s->set_value(60);
  s->set_max(0);
  EXPECT_THAT(RulesFired(r), IsEmpty());
}

TEST(Rules, HddOver55IsTooHot) {
  v1::Report r = testing::BasicReport("n", kT0, 1);
  v1::Disk* d = testing::AddAtaDisk(r, "sda", "S1");
  d->set_temperature_celsius(56);
  EXPECT_EQ(RulesFired(r), std::set<std::string>{kRuleTemperature});
}

}  // namespace
}  // namespace vigie::alerting
