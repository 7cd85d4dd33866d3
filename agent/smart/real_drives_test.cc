// The decoders against 25 real drives: pages rebuilt from each drive's
// smartctl output (tests/fixtures/smart/<drive>/, see make_fixtures.py), and
// every value compared with what that smartctl printed (expected.tsv,
// extracted from the same output). Nothing expected here is typed by hand.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "agent/smart/ata_drivedb.h"
#include "agent/smart/ata_identify.h"
#include "agent/smart/ata_logs.h"
#include "agent/smart/ata_smart.h"
#include "agent/smart/fixture_expectations.h"
#include "agent/smart/nvme_health.h"
#include "agent/smart/nvme_identify.h"

namespace vigie::agent::smart {
namespace {

using testing::Bytes;
using testing::Expectations;
using testing::ReadSmartFixture;
using testing::SmartFixtureDrives;

// Where our decoders, which follow smartctl 7.3 and its Debian 12 drivedb,
// cannot print what an older smartctl printed. Each entry says what we print
// instead and why; the test checks that the difference is still exactly this,
// so a stale entry fails.
struct KnownDifference {
  std::string_view drive;
  int attribute_id;
  std::string_view field;
  std::string_view ours;
  std::string_view reason;
};
constexpr KnownDifference kKnownDifferences[] = {
    {"crucial_mx500_500gb_freebsd", 197, "name", "Current_Pending_ECC_Cnt",
     "smartctl 7.1's drivedb entry 'Crucial/Micron MX500 SSDs' named 197 Bogus_Current_Pend_Sect; the 7.3 "
     "drivedb (entry 'Crucial/Micron Client SSDs') names it Current_Pending_ECC_Cnt"},
};

// Outputs printed by a smartctl whose drivedb did not know the drive, where
// 7.3's does: those pages are decoded with the DEFAULT table only, as that
// smartctl did. (FindAtaDrivePreset still finds the newer entry; the agent
// reports 7.3's names for these drives.)
struct WithoutPreset {
  std::string_view drive;
  std::string_view reason;
};
constexpr WithoutPreset kDecodeWithoutPreset[] = {
    {"intel_ssdsc2kw120h6_540s",
     "smartctl 6.5 had no entry for the Intel 540s; 7.3's 'Intel 540 Series SSDs' renames 170-174, 183, 187, "
     "225-228, 249 and prints 9 as msec24hour32"},
};

const KnownDifference* FindDifference(std::string_view drive, int id, std::string_view field) {
  for (const KnownDifference& d : kKnownDifferences) {
    if (d.drive == drive && d.attribute_id == id && d.field == field) return &d;
  }
  return nullptr;
}

const WithoutPreset* FindWithoutPreset(std::string_view drive) {
  for (const WithoutPreset& w : kDecodeWithoutPreset) {
    if (w.drive == drive) return &w;
  }
  return nullptr;
}

// Compares one printed field; a listed difference must show exactly `ours`.
void ExpectField(std::string_view drive, int id, std::string_view field, const std::string& ours,
                 const std::string& printed) {
  if (const KnownDifference* d = FindDifference(drive, id, field)) {
    EXPECT_NE(ours, printed) << "stale known difference for " << drive << " attribute " << id << " " << field;
    EXPECT_EQ(ours, d->ours) << d->reason;
    return;
  }
  EXPECT_EQ(ours, printed) << drive << " attribute " << id << " " << field;
}

bool IsNvme(const Expectations& e) { return e.Has("nvme_model"); }

std::vector<std::string> DrivesWhere(bool nvme) {
  std::vector<std::string> out;
  for (const std::string& drive : SmartFixtureDrives()) {
    if (IsNvme(Expectations(drive)) == nvme) out.push_back(drive);
  }
  return out;
}

std::string Name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

// ------------------------------------------------------------------- ATA

// The agent's pipeline: IDENTIFY -> drivedb preset -> attribute table.
struct DecodedAta {
  std::optional<AtaIdentify> identify;
  const AtaDrivePreset* preset = nullptr;
  AtaAttributeDefs defs{};
  std::optional<AtaSmartData> data;
};

DecodedAta DecodeAta(const std::string& drive) {
  DecodedAta out;
  const Bytes identify = ReadSmartFixture(drive, "identify.bin");
  if (!identify.empty()) {
    const Result<Page512> page = ToPage512(identify, "identify.bin");
    EXPECT_TRUE(page) << page.error().message;
    if (!page) return out;
    Result<AtaIdentify> id = ParseAtaIdentify(*page);
    EXPECT_TRUE(id) << id.error().message;
    if (id) out.identify = *id;
  }
  if (out.identify && FindWithoutPreset(drive) == nullptr) {
    out.preset = FindAtaDrivePreset(out.identify->model, out.identify->firmware);
  }
  out.defs = AtaAttributeDefsFor(out.preset);
  const Bytes data = ReadSmartFixture(drive, "smart_data.bin");
  const Bytes thresholds = ReadSmartFixture(drive, "smart_thresholds.bin");
  if (data.empty()) return out;
  const Page512 data_page(data.data(), 512);
  const Page512 thresholds_page(thresholds.data(), 512);
  AtaDecodeOptions options;
  options.defs = &out.defs;
  options.rotation_rate_rpm = out.identify ? out.identify->rotation_rate_rpm : 0;
  Result<AtaSmartData> decoded = ParseAtaSmartData(data_page, thresholds.empty() ? nullptr : &thresholds_page, options);
  EXPECT_TRUE(decoded) << decoded.error().message;
  if (decoded) out.data = std::move(*decoded);
  return out;
}

std::string_view StateText(AtaAttributeState state) {
  switch (state) {
    case AtaAttributeState::kOk: return "-";
    case AtaAttributeState::kFailedPast: return "past";
    case AtaAttributeState::kFailedNow: return "now";
  }
  return "?";
}

class RealAtaDrive : public ::testing::TestWithParam<std::string> {};

TEST_P(RealAtaDrive, IdentifyMatchesSmartctl) {
  const std::string& drive = GetParam();
  const Expectations expected(drive);
  const DecodedAta decoded = DecodeAta(drive);
  if (!expected.Has("model")) {
    EXPECT_FALSE(decoded.identify) << "no identity printed, yet an identify page exists";
    GTEST_SKIP() << "the output (smartctl -A / -H) prints no identity";
  }
  ASSERT_TRUE(decoded.identify);
  const AtaIdentify& id = *decoded.identify;
  EXPECT_TRUE(id.checksum_verified);
  EXPECT_EQ(id.model, expected.One("model"));
  EXPECT_EQ(id.serial, expected.One("serial"));
  EXPECT_EQ(id.firmware, expected.One("firmware"));
  if (expected.Has("capacity_bytes")) {
    EXPECT_EQ(std::to_string(id.capacity_bytes), expected.One("capacity_bytes"));
  }
  if (expected.Has("sector_bytes")) {
    EXPECT_EQ(std::to_string(id.logical_sector_bytes), expected.All("sector_bytes")[0][0]);
    EXPECT_EQ(std::to_string(id.physical_sector_bytes), expected.All("sector_bytes")[0][1]);
  }
  if (expected.Has("rotation_rate_rpm")) {
    EXPECT_EQ(std::to_string(id.rotation_rate_rpm), expected.One("rotation_rate_rpm"));
  }
  if (expected.Has("smart_support")) {
    EXPECT_EQ(id.smart_supported, expected.All("smart_support")[0][0] == "1");
    EXPECT_EQ(id.smart_enabled, expected.All("smart_support")[0][1] == "1");
  }
}

TEST_P(RealAtaDrive, EveryAttributeMatchesSmartctl) {
  const std::string& drive = GetParam();
  const Expectations expected(drive);
  const DecodedAta decoded = DecodeAta(drive);
  ASSERT_TRUE(decoded.data);
  const auto& printed = expected.All("attr");
  ASSERT_EQ(decoded.data->attributes.size(), printed.size());
  if (expected.Has("smart_revision")) {
    EXPECT_EQ(std::to_string(decoded.data->revision), expected.One("smart_revision"));
  }
  for (size_t i = 0; i < printed.size(); ++i) {
    // id, name, flags, value, worst, threshold, when_failed, JSON raw.value
    // (or '-'), first number of the raw text, raw text.
    const std::vector<std::string>& p = printed[i];
    ASSERT_EQ(p.size(), 10u);
    const AtaAttribute& a = decoded.data->attributes[i];
    SCOPED_TRACE(drive + " attribute " + p[0]);
    EXPECT_EQ(std::to_string(a.id), p[0]);
    ExpectField(drive, a.id, "name", a.name, p[1]);
    EXPECT_EQ(std::to_string(a.flags), p[2]);
    EXPECT_EQ(a.prefailure, (std::stoi(p[2]) & 1) != 0);
    EXPECT_EQ(std::to_string(a.value), p[3]);
    EXPECT_EQ(std::to_string(a.worst), p[4]);
    EXPECT_EQ(std::to_string(a.threshold), p[5]);
    EXPECT_TRUE(a.threshold_found);
    EXPECT_EQ(StateText(a.state), p[6]);
    if (p[7] != "-") {
      EXPECT_EQ(std::to_string(a.raw_ordered), p[7]);
    }
    ExpectField(drive, a.id, "raw_decoded", std::to_string(a.raw_decoded), p[8]);
    ExpectField(drive, a.id, "raw_text", a.raw_text, p[9]);
  }
}

TEST_P(RealAtaDrive, TemperatureMatchesSmartctl) {
  const std::string& drive = GetParam();
  const Expectations expected(drive);
  if (!expected.Has("temperature")) GTEST_SKIP() << "the output prints no temperature";
  const DecodedAta decoded = DecodeAta(drive);
  ASSERT_TRUE(decoded.data);
  const std::optional<int> celsius = AtaTemperatureCelsius(decoded.data->attributes);
  ASSERT_TRUE(celsius);
  EXPECT_EQ(std::to_string(*celsius), expected.One("temperature"));
}

TEST_P(RealAtaDrive, ErrorCountMatchesSmartctl) {
  const std::string& drive = GetParam();
  const Expectations expected(drive);
  if (!expected.Has("error_count")) GTEST_SKIP() << "the output has no summary SMART error log";
  const Bytes page = ReadSmartFixture(drive, "error_log.bin");
  ASSERT_EQ(page.size(), 512u);
  const Result<AtaErrorLogSummary> log = ParseAtaSummaryErrorLog(Page512(page.data(), 512));
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_EQ(std::to_string(log->error_count), expected.One("error_count"));
}

// Compares decoded self-test entries with the printed ones: type, type text,
// status byte, status text, lifetime hours, LBA or '-'.
void ExpectSelfTests(const std::string& drive, const AtaSelfTestLog& log, const Expectations& expected,
                     std::string_view key) {
  const auto& printed = expected.All(key);
  ASSERT_EQ(std::to_string(log.entries.size()), expected.One(std::string(key) + "_count"));
  ASSERT_EQ(log.entries.size(), printed.size());
  for (size_t i = 0; i < printed.size(); ++i) {
    const AtaSelfTestEntry& e = log.entries[i];
    SCOPED_TRACE(drive + " " + std::string(key) + " #" + std::to_string(i + 1));
    EXPECT_EQ(std::to_string(e.type), printed[i][0]);
    EXPECT_EQ(e.type_text, printed[i][1]);
    EXPECT_EQ(std::to_string(e.status_byte), printed[i][2]);
    EXPECT_EQ(e.status_text, printed[i][3]);
    EXPECT_EQ(std::to_string(e.lifetime_hours), printed[i][4]);
    EXPECT_EQ(e.first_failure_lba ? std::to_string(*e.first_failure_lba) : "-", printed[i][5]);
  }
}

TEST_P(RealAtaDrive, SelfTestLogMatchesSmartctl) {
  const std::string& drive = GetParam();
  const Expectations expected(drive);
  if (!expected.Has("self_test_count")) GTEST_SKIP() << "the output has no SMART self-test log (06h)";
  const Bytes page = ReadSmartFixture(drive, "self_test_log.bin");
  ASSERT_EQ(page.size(), 512u);
  Result<AtaSelfTestLog> log = ParseAtaSelfTestLog(Page512(page.data(), 512));
  if (!log) {
    // Only a log smartctl itself called broken (the page keeps a wrong
    // checksum) may fail, and it must still decode when the caller accepts a
    // bad checksum, as smartctl does.
    EXPECT_EQ(log.error().code, ErrorCode::kMalformed);
    EXPECT_NE(log.error().message.find("checksum"), std::string::npos);
    log = ParseAtaSelfTestLog(Page512(page.data(), 512), /*ignore_checksum=*/true);
    ASSERT_TRUE(log) << log.error().message;
  }
  ExpectSelfTests(drive, *log, expected, "self_test");
}

TEST_P(RealAtaDrive, ExtendedErrorCountMatchesSmartctl) {
  const std::string& drive = GetParam();
  const Expectations expected(drive);
  if (!expected.Has("ext_error_count")) GTEST_SKIP() << "the output has no Extended Comprehensive error log (03h)";
  const Bytes page = ReadSmartFixture(drive, "ext_error_log.bin");
  const Result<Page512> first_page = ToPage512(page, "ext_error_log.bin");
  ASSERT_TRUE(first_page) << first_page.error().message;
  const Result<AtaExtErrorLogSummary> log = ParseAtaExtendedErrorLog(*first_page);
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_EQ(std::to_string(log->error_count), expected.One("ext_error_count"));
}

TEST_P(RealAtaDrive, ExtendedSelfTestLogMatchesSmartctl) {
  const std::string& drive = GetParam();
  const Expectations expected(drive);
  if (!expected.Has("ext_self_test_count")) GTEST_SKIP() << "the output has no Extended self-test log (07h)";
  const Bytes pages = ReadSmartFixture(drive, "ext_self_test_log.bin");
  const Result<AtaSelfTestLog> log = ParseAtaExtendedSelfTestLog(pages);
  ASSERT_TRUE(log) << log.error().message;
  ExpectSelfTests(drive, *log, expected, "ext_self_test");
}

INSTANTIATE_TEST_SUITE_P(Fleet, RealAtaDrive, ::testing::ValuesIn(DrivesWhere(/*nvme=*/false)), Name);

// ------------------------------------------------------------------ NVMe

class RealNvmeDrive : public ::testing::TestWithParam<std::string> {};

TEST_P(RealNvmeDrive, IdentifyControllerMatchesSmartctl) {
  const std::string& drive = GetParam();
  const Expectations expected(drive);
  const Bytes bytes = ReadSmartFixture(drive, "nvme_identify.bin");
  const Result<Page4096> page = ToPage4096(bytes, "nvme_identify.bin");
  ASSERT_TRUE(page) << page.error().message;
  const Result<NvmeIdentifyController> id = ParseNvmeIdentifyController(*page);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->model, expected.One("nvme_model"));
  EXPECT_EQ(id->serial, expected.One("nvme_serial"));
  EXPECT_EQ(id->firmware, expected.One("nvme_firmware"));
  if (expected.Has("nvme_total_capacity_bytes")) {
    ASSERT_TRUE(id->total_capacity_bytes);
    EXPECT_EQ(std::to_string(*id->total_capacity_bytes), expected.One("nvme_total_capacity_bytes"));
  } else {
    EXPECT_FALSE(id->total_capacity_bytes) << "smartctl printed no Total NVM Capacity";
  }
  if (expected.Has("nvme_vid")) {
    EXPECT_EQ(std::to_string(id->pci_vendor_id), expected.One("nvme_vid"));
  }
  if (expected.Has("nvme_ssvid")) {
    EXPECT_EQ(std::to_string(id->pci_subsystem_vendor_id), expected.One("nvme_ssvid"));
  }
  if (expected.Has("nvme_oui")) {
    EXPECT_EQ(std::to_string(id->ieee_oui), expected.One("nvme_oui"));
  }
  if (expected.Has("nvme_cntlid")) {
    EXPECT_EQ(std::to_string(id->controller_id), expected.One("nvme_cntlid"));
  }
  if (expected.Has("nvme_nn")) {
    EXPECT_EQ(std::to_string(id->namespace_count), expected.One("nvme_nn"));
  }
  if (expected.Has("nvme_ver")) {
    EXPECT_EQ(std::to_string(id->version), expected.One("nvme_ver"));
  }
  if (expected.Has("nvme_wctemp")) {
    EXPECT_EQ(std::to_string(KelvinToCelsius(id->warning_composite_temperature_kelvin)), expected.One("nvme_wctemp"));
  }
  if (expected.Has("nvme_cctemp")) {
    EXPECT_EQ(std::to_string(KelvinToCelsius(id->critical_composite_temperature_kelvin)),
              expected.One("nvme_cctemp"));
  }
}

TEST_P(RealNvmeDrive, EveryHealthFieldMatchesSmartctl) {
  const std::string& drive = GetParam();
  const Expectations expected(drive);
  const Bytes bytes = ReadSmartFixture(drive, "nvme_health.bin");
  const Result<Page512> page = ToPage512(bytes, "nvme_health.bin");
  ASSERT_TRUE(page) << page.error().message;
  const Result<NvmeHealth> h = ParseNvmeHealth(*page);
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(std::to_string(h->critical_warning), expected.One("nvme_critical_warning"));
  EXPECT_EQ(std::to_string(KelvinToCelsius(h->composite_temperature_kelvin)), expected.One("nvme_temperature"));
  EXPECT_EQ(std::to_string(h->available_spare_percent), expected.One("nvme_available_spare"));
  EXPECT_EQ(std::to_string(h->available_spare_threshold_percent), expected.One("nvme_available_spare_threshold"));
  EXPECT_EQ(std::to_string(h->percentage_used), expected.One("nvme_percentage_used"));
  EXPECT_EQ(Uint128ToString(h->data_units_read), expected.One("nvme_data_units_read"));
  EXPECT_EQ(Uint128ToString(h->data_units_written), expected.One("nvme_data_units_written"));
  EXPECT_EQ(Uint128ToString(h->host_read_commands), expected.One("nvme_host_reads"));
  EXPECT_EQ(Uint128ToString(h->host_write_commands), expected.One("nvme_host_writes"));
  EXPECT_EQ(Uint128ToString(h->controller_busy_time_minutes), expected.One("nvme_controller_busy_time"));
  EXPECT_EQ(Uint128ToString(h->power_cycles), expected.One("nvme_power_cycles"));
  EXPECT_EQ(Uint128ToString(h->power_on_hours), expected.One("nvme_power_on_hours"));
  EXPECT_EQ(Uint128ToString(h->unsafe_shutdowns), expected.One("nvme_unsafe_shutdowns"));
  EXPECT_EQ(Uint128ToString(h->media_errors), expected.One("nvme_media_errors"));
  EXPECT_EQ(Uint128ToString(h->error_log_entries), expected.One("nvme_num_err_log_entries"));
  EXPECT_EQ(std::to_string(h->warning_temperature_minutes), expected.One("nvme_warning_temp_time"));
  EXPECT_EQ(std::to_string(h->critical_temperature_minutes), expected.One("nvme_critical_comp_time"));
  // smartctl prints the implemented sensors (non-zero), in order.
  std::vector<std::string> sensors;
  for (uint16_t kelvin : h->temperature_sensors_kelvin) {
    if (kelvin != 0) sensors.push_back(std::to_string(KelvinToCelsius(kelvin)));
  }
  const auto& printed = expected.All("nvme_temperature_sensors");
  ASSERT_EQ(printed.size(), 1u);
  std::vector<std::string> printed_sensors = printed[0];
  printed_sensors.erase(std::remove(printed_sensors.begin(), printed_sensors.end(), ""), printed_sensors.end());
  EXPECT_EQ(sensors, printed_sensors);
}

INSTANTIATE_TEST_SUITE_P(Fleet, RealNvmeDrive, ::testing::ValuesIn(DrivesWhere(/*nvme=*/true)), Name);

// ------------------------------------------- the cases the fleet must cover
// Each names the drive and attribute it is about; the values still come from
// that drive's smartctl output.

void ExpectAttributeAsPrinted(const std::string& drive, int id) {
  const Expectations expected(drive);
  const DecodedAta decoded = DecodeAta(drive);
  ASSERT_TRUE(decoded.data);
  const auto& printed = expected.All("attr");
  const auto p = std::find_if(printed.begin(), printed.end(), [&](const auto& f) { return f[0] == std::to_string(id); });
  ASSERT_NE(p, printed.end()) << drive << " has no attribute " << id;
  const auto a = std::find_if(decoded.data->attributes.begin(), decoded.data->attributes.end(),
                              [&](const AtaAttribute& x) { return x.id == id; });
  ASSERT_NE(a, decoded.data->attributes.end());
  EXPECT_EQ(a->name, (*p)[1]);
  EXPECT_EQ(std::to_string(a->value), (*p)[3]);
  EXPECT_EQ(StateText(a->state), (*p)[6]);
  EXPECT_EQ(std::to_string(a->raw_decoded), (*p)[8]);
  EXPECT_EQ(a->raw_text, (*p)[9]);
}

TEST(RealDrives, HddWithReallocatedAndPendingSectors) {
  for (int id : {5, 187, 188, 197, 198}) ExpectAttributeAsPrinted("seagate_st3000dm001_pending_uncorrectable", id);
  ExpectAttributeAsPrinted("seagate_st3500418as_realloc304", 5);
  // Failed drive: 5 is below its threshold now ("FAILING_NOW").
  ExpectAttributeAsPrinted("hitachi_hds721050dle630_failed", 5);
  ExpectAttributeAsPrinted("unknown_hdd_failed_realloc_failing_now_H", 5);
}

TEST(RealDrives, SeagatePackedRawValues) {
  for (int id : {1, 7, 195}) ExpectAttributeAsPrinted("seagate_st3500418as_realloc304", id);
  for (int id : {1, 7, 195}) ExpectAttributeAsPrinted("seagate_st9320325as_320gb_laptop_x", id);
  for (int id : {188, 240}) ExpectAttributeAsPrinted("seagate_st2000nm0008_poh_ms", id);
}

TEST(RealDrives, PowerOnHoursWithMinutesAndMilliseconds) {
  ExpectAttributeAsPrinted("seagate_st2000nm0008_poh_ms", 9);
  ExpectAttributeAsPrinted("kingston_sv300s37a120g_poh_msec", 9);
  ExpectAttributeAsPrinted("seagate_sat_attrs_only", 9);  // raw24(raw8): "2725 (151 234 0)"
}

TEST(RealDrives, TemperatureWithMinMax) {
  ExpectAttributeAsPrinted("wd4000fyyx_megaraid_realloc", 194);
  ExpectAttributeAsPrinted("hitachi_hds721050dle630_failed", 194);
  ExpectAttributeAsPrinted("kingston_sv300s37a120g_poh_msec", 194);  // negative minimum
  ExpectAttributeAsPrinted("seagate_st3000dm001_pending_uncorrectable", 194);  // "37 (0 19 0 0 0)"
  ExpectAttributeAsPrinted("hitachi_hts725032a9a364_320gb_laptop_x", 190);  // failed in the past
}

TEST(RealDrives, SataSsdWear) {
  ExpectAttributeAsPrinted("samsung_850evo_500gb_worn_megaraid", 177);
  ExpectAttributeAsPrinted("kingston_skc400_ssd_wear", 173);  // "888 (Average 808)"
  ExpectAttributeAsPrinted("kingston_skc400_ssd_wear", 170);  // raw24/raw24 with byte order z54z10
  ExpectAttributeAsPrinted("micron_5300_ssd_crc_timeout", 199);
}

TEST(RealDrives, ThousandsOfAtaErrors) {
  const std::string drive = "seagate_st9320325as_320gb_laptop_x";
  const Bytes page = ReadSmartFixture(drive, "ext_error_log.bin");
  const Result<AtaExtErrorLogSummary> log = ParseAtaExtendedErrorLog(Page512(page.data(), 512));
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_EQ(std::to_string(log->error_count), Expectations(drive).One("ext_error_count"));
}

TEST(RealDrives, WornNvme) {
  const Expectations expected("intel_p4510_nvme_75pct_used");
  const Bytes bytes = ReadSmartFixture("intel_p4510_nvme_75pct_used", "nvme_health.bin");
  const Result<NvmeHealth> h = ParseNvmeHealth(Page512(bytes.data(), 512));
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(std::to_string(h->percentage_used), expected.One("nvme_percentage_used"));
}

TEST(RealDrives, NvmeMediaErrorsAndCriticalWarning) {
  for (const char* drive : {"samsung_970evo_nvme_media_errors", "plextor_px512m8peg_nvme_media_errors550",
                            "skhynix_bc501_nvme_bogus_media_errors"}) {
    const Bytes bytes = ReadSmartFixture(drive, "nvme_health.bin");
    const Result<NvmeHealth> h = ParseNvmeHealth(Page512(bytes.data(), 512));
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_EQ(Uint128ToString(h->media_errors), Expectations(drive).One("nvme_media_errors")) << drive;
  }
  const Bytes bytes = ReadSmartFixture("samsung_mzwll3t2_nvme_critwarn16_failed", "nvme_health.bin");
  const Result<NvmeHealth> h = ParseNvmeHealth(Page512(bytes.data(), 512));
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(std::to_string(h->critical_warning),
            Expectations("samsung_mzwll3t2_nvme_critwarn16_failed").One("nvme_critical_warning"));
  // 16 = bit 4: the volatile memory backup device has failed.
  EXPECT_NE(h->critical_warning & kNvmeWarnVolatileBackupFailed, 0);
}

TEST(RealDrives, PresetsFoundForTheFleet) {
  // The drivedb family smartctl printed ("Model Family:"), where 7.3 agrees.
  const struct {
    const char* drive;
    const char* family;
  } kCases[] = {
      {"seagate_st2000nm0008_poh_ms", "Seagate Enterprise Capacity 3.5 HDD"},
      {"seagate_st3000dm001_pending_uncorrectable", "Seagate Barracuda 7200.14 (AF)"},
      {"seagate_st3500418as_realloc304", "Seagate Barracuda 7200.12"},
      {"kingston_skc400_ssd_wear", "Phison Driven SSDs"},
      {"kingston_sv300s37a120g_poh_msec", "SandForce Driven SSDs"},
      {"samsung_860evo_500gb", "Samsung based SSDs"},
      {"hitachi_hds721050dle630_failed", "Hitachi Deskstar 7K1000.D"},
  };
  for (const auto& c : kCases) {
    const DecodedAta decoded = DecodeAta(c.drive);
    ASSERT_NE(decoded.preset, nullptr) << c.drive;
    EXPECT_EQ(decoded.preset->family, c.family) << c.drive;
  }
  // Not in 7.3's drivedb: decoded with the DEFAULT table, like smartctl.
  EXPECT_EQ(DecodeAta("wd4000fyyx_megaraid_realloc").preset, nullptr);
}

}  // namespace
}  // namespace vigie::agent::smart
