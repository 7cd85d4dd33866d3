// Unit tests of the ATA decoders on small synthetic pages: error paths and
// the rules the real-drive fixtures do not reach.
#include <array>

#include <gtest/gtest.h>

#include "agent/smart/ata_drivedb.h"
#include "agent/smart/ata_identify.h"
#include "agent/smart/ata_logs.h"
#include "agent/smart/ata_smart.h"
#include "agent/smart/ata_status.h"

namespace vigie::agent::smart {
namespace {

using Block = std::array<std::byte, 512>;

void Put(Block& page, size_t offset, uint64_t value, size_t size) {
  for (size_t i = 0; i < size; ++i) page[offset + i] = static_cast<std::byte>(value >> (8 * i));
}

void Seal(Block& page) {
  page[511] = std::byte{0};
  page[511] = static_cast<std::byte>(-ByteSum(page));
}

// A SMART READ DATA page with one attribute in slot `slot`.
void PutAttribute(Block& page, size_t slot, uint8_t id, uint16_t flags, uint8_t value, uint8_t worst, uint64_t raw) {
  const size_t offset = 2 + 12 * slot;
  Put(page, offset, id, 1);
  Put(page, offset + 1, flags, 2);
  Put(page, offset + 3, value, 1);
  Put(page, offset + 4, worst, 1);
  Put(page, offset + 5, raw, 6);
}

TEST(AtaSmartData, RejectsBadChecksumUnlessAsked) {
  Block data{};
  PutAttribute(data, 0, 5, 0x33, 100, 100, 0);
  Seal(data);
  data[511] ^= std::byte{1};
  const Result<AtaSmartData> strict = ParseAtaSmartData(data, nullptr);
  ASSERT_FALSE(strict);
  EXPECT_EQ(strict.error().code, ErrorCode::kMalformed);
  EXPECT_EQ(strict.error().message, "SMART READ DATA: checksum mismatch (bytes sum to 0x01, not 0)");
  AtaDecodeOptions lenient;
  lenient.ignore_checksum = true;
  EXPECT_TRUE(ParseAtaSmartData(data, nullptr, lenient));
}

TEST(AtaSmartData, EmptyPageIsAnError) {
  const Block zeros{};
  const Result<AtaSmartData> data = ParseAtaSmartData(zeros, nullptr);
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error().message, "SMART READ DATA: no attribute in the page");
}

TEST(AtaSmartData, ThresholdsMatchedByIdNotSlot) {
  Block data{};
  PutAttribute(data, 0, 5, 0x33, 9, 9, 7461);
  PutAttribute(data, 1, 190, 0x22, 60, 37, 40);
  Seal(data);
  Block thresholds{};
  Put(thresholds, 2 + 12 * 3, 190, 1);  // another slot than in the data page
  Put(thresholds, 2 + 12 * 3 + 1, 45, 1);
  Put(thresholds, 2, 5, 1);
  Put(thresholds, 3, 10, 1);
  Seal(thresholds);
  const Page512 thresholds_page(thresholds);
  const Result<AtaSmartData> decoded = ParseAtaSmartData(data, &thresholds_page);
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->attributes.size(), 2u);
  EXPECT_EQ(decoded->attributes[0].threshold, 10);
  EXPECT_EQ(decoded->attributes[0].state, AtaAttributeState::kFailedNow);
  EXPECT_EQ(decoded->attributes[1].threshold, 45);
  EXPECT_EQ(decoded->attributes[1].state, AtaAttributeState::kFailedPast);
}

TEST(AtaSmartData, WithoutThresholdsNothingFails) {
  Block data{};
  PutAttribute(data, 0, 5, 0x33, 1, 1, 1975);
  Seal(data);
  const Result<AtaSmartData> decoded = ParseAtaSmartData(data, nullptr);
  ASSERT_TRUE(decoded);
  EXPECT_FALSE(decoded->attributes[0].threshold_found);
  EXPECT_EQ(decoded->attributes[0].state, AtaAttributeState::kOk);
}

TEST(AtaSmartData, HddOnlyNamesDependOnRotationRate) {
  Block data{};
  PutAttribute(data, 0, 7, 0x0f, 100, 100, 0);    // Seek_Error_Rate, HDD only
  PutAttribute(data, 1, 177, 0x13, 100, 100, 0);  // Wear_Leveling_Count, SSD only
  PutAttribute(data, 2, 99, 0x02, 100, 100, 0);   // not in the table
  Seal(data);
  AtaDecodeOptions ssd;
  ssd.rotation_rate_rpm = 1;
  AtaDecodeOptions hdd;
  hdd.rotation_rate_rpm = 7200;
  const Result<AtaSmartData> on_ssd = ParseAtaSmartData(data, nullptr, ssd);
  const Result<AtaSmartData> on_hdd = ParseAtaSmartData(data, nullptr, hdd);
  const Result<AtaSmartData> unknown = ParseAtaSmartData(data, nullptr);
  ASSERT_TRUE(on_ssd && on_hdd && unknown);
  EXPECT_EQ(on_ssd->attributes[0].name, "Unknown_SSD_Attribute");
  EXPECT_EQ(on_ssd->attributes[1].name, "Wear_Leveling_Count");
  EXPECT_EQ(on_hdd->attributes[0].name, "Seek_Error_Rate");
  EXPECT_EQ(on_hdd->attributes[1].name, "Unknown_HDD_Attribute");
  EXPECT_EQ(unknown->attributes[0].name, "Seek_Error_Rate");
  EXPECT_EQ(unknown->attributes[1].name, "Wear_Leveling_Count");
  EXPECT_EQ(unknown->attributes[2].name, "Unknown_Attribute");
}

TEST(AtaSmartData, TemperatureFollowsSmartctlOrderAndSanity) {
  const auto make = [](uint8_t id, AtaRawFormat format, uint64_t raw_ordered) {
    AtaAttribute attribute;
    attribute.id = id;
    attribute.format = format;
    attribute.raw_ordered = raw_ordered;
    return attribute;
  };
  const AtaAttribute airflow = make(190, AtaRawFormat::kTempMinMax, 0x1d);
  AtaAttribute temperature = make(194, AtaRawFormat::kTempMinMax, 0x1100000013);
  EXPECT_EQ(AtaTemperatureCelsius({airflow, temperature}), 19);  // 194 first
  temperature.raw_ordered = 0;                                   // 0 is not a temperature
  EXPECT_EQ(AtaTemperatureCelsius({airflow, temperature}), 29);
  temperature.format = AtaRawFormat::kRaw48;  // a preset that made 194 something else
  temperature.raw_ordered = 40;
  EXPECT_EQ(AtaTemperatureCelsius({temperature}), std::nullopt);
  const AtaAttribute tenths = make(194, AtaRawFormat::kTemp10x, 355);
  EXPECT_EQ(AtaTemperatureCelsius({tenths}), 36);
  const AtaAttribute hours = make(9, AtaRawFormat::kRaw24OptRaw8, 30);
  EXPECT_EQ(AtaTemperatureCelsius({hours}), std::nullopt);
}

TEST(AtaDrivedb, FirstMatchingFamilyWithPresets) {
  const AtaDrivePreset* preset = FindAtaDrivePreset("ST2000NM0008-2F3100", "SN02");
  ASSERT_NE(preset, nullptr);
  EXPECT_EQ(preset->family, "Seagate Enterprise Capacity 3.5 HDD");
  const AtaAttributeDefs defs = AtaAttributeDefsFor(preset);
  EXPECT_EQ(defs[9].format, AtaRawFormat::kMsec24Hour32);
  EXPECT_EQ(defs[9].name, "Power_On_Hours");  // the preset gives no name
  EXPECT_EQ(defs[188].format, AtaRawFormat::kRaw16);
  EXPECT_EQ(FindAtaDrivePreset("ST2000NM0008", ""), nullptr);  // whole-string match
  EXPECT_EQ(FindAtaDrivePreset("WDC WD40EFRX-68N32N0", "82.00A82"), nullptr);
  EXPECT_EQ(AtaAttributeDefsFor(nullptr)[9].format, AtaRawFormat::kRaw24OptRaw8);
}

TEST(AtaDrivedb, EveryPatternCompilesAsPosixExtended) {
  for (const AtaDrivePreset& preset : AtaDrivePresets()) {
    EXPECT_TRUE(AtaDrivePatternCompiles(preset.model_regex)) << preset.model_regex;
    if (!preset.firmware_regex.empty()) {
      EXPECT_TRUE(AtaDrivePatternCompiles(preset.firmware_regex)) << preset.firmware_regex;
    }
  }
  EXPECT_FALSE(AtaDrivePatternCompiles("ST(1000"));
}

TEST(AtaDrivedb, AnAlternationMatchesOnlyWhole) {
  // "^(a|b)$", not "^a|b$": the second alternative must end the string too.
  EXPECT_NE(FindAtaDrivePreset("CT500MX500SSD1", "M3CR046"), nullptr);
  EXPECT_EQ(FindAtaDrivePreset("CT500MX500SSD1 extra", "M3CR046"), nullptr);
  EXPECT_EQ(FindAtaDrivePreset("xCT240BX500SSD1", ""), nullptr);
  // A preset without a firmware pattern matches any firmware, asked again
  // (a kept answer) or not.
  EXPECT_EQ(FindAtaDrivePreset("CT500MX500SSD1", "M3CR046"), FindAtaDrivePreset("CT500MX500SSD1", "other"));
}

// ------------------------------------------------------------- IDENTIFY

Block IdentifyPage() {
  Block page{};
  const auto ata_string = [&](size_t word, size_t words, std::string_view text) {
    for (size_t i = 0; i < 2 * words; ++i) {
      const char c = i < text.size() ? text[i] : ' ';
      page[2 * word + (i ^ 1)] = static_cast<std::byte>(c);
    }
  };
  ata_string(10, 10, "  Z1E0ABCD");
  ata_string(23, 4, "CC26");
  ata_string(27, 20, "ST3000DM001-1ER166");
  Put(page, 2 * 83, 0x4400, 2);
  Put(page, 2 * 82, 0x0001, 2);
  Put(page, 2 * 87, 0x4000, 2);
  Put(page, 2 * 85, 0x0001, 2);
  Put(page, 2 * 100, 5860533168, 8);
  Put(page, 2 * 106, 0x6003, 2);  // 8 logical sectors per physical
  Put(page, 2 * 217, 7200, 2);
  Put(page, 2 * 255, 0xa5, 1);
  Seal(page);
  return page;
}

TEST(AtaIdentify, DecodesStringsCapacityAndFeatures) {
  const Result<AtaIdentify> id = ParseAtaIdentify(IdentifyPage());
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->model, "ST3000DM001-1ER166");
  EXPECT_EQ(id->serial, "Z1E0ABCD");
  EXPECT_EQ(id->firmware, "CC26");
  EXPECT_EQ(id->capacity_bytes, 3000592982016u);
  EXPECT_EQ(id->logical_sector_bytes, 512u);
  EXPECT_EQ(id->physical_sector_bytes, 4096u);
  EXPECT_EQ(id->rotation_rate_rpm, 7200u);
  EXPECT_TRUE(id->smart_supported);
  EXPECT_TRUE(id->smart_enabled);
  EXPECT_TRUE(id->checksum_verified);
}

TEST(AtaIdentify, ChecksumCheckedOnlyWithSignature) {
  Block page = IdentifyPage();
  page[100] ^= std::byte{0x20};
  const Result<AtaIdentify> id = ParseAtaIdentify(page);
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().message, "IDENTIFY DEVICE: integrity word checksum mismatch (bytes sum to 0x20)");
  page[510] = std::byte{0};  // no A5h signature: an old drive, not checked
  const Result<AtaIdentify> unsigned_id = ParseAtaIdentify(page);
  ASSERT_TRUE(unsigned_id);
  EXPECT_FALSE(unsigned_id->checksum_verified);
}

TEST(AtaIdentify, AllZerosIsAnError) {
  const Block zeros{};
  EXPECT_FALSE(ParseAtaIdentify(zeros));
}

// ------------------------------------------------------------------ logs

TEST(AtaLogs, SummaryErrorCount) {
  Block page{};
  page[0] = std::byte{1};
  page[1] = std::byte{3};
  Put(page, 452, 54376, 2);
  Seal(page);
  const Result<AtaErrorLogSummary> log = ParseAtaSummaryErrorLog(page);
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_EQ(log->error_count, 54376);
  EXPECT_EQ(log->most_recent_index, 3);
  page[1] = std::byte{6};
  Seal(page);
  EXPECT_FALSE(ParseAtaSummaryErrorLog(page));
}

TEST(AtaLogs, SelfTestsMostRecentFirstAcrossTheWrap) {
  Block page{};
  Put(page, 0, 1, 2);
  // Descriptors 21 (index 20) then 1 (index 0): the buffer wrapped.
  const auto descriptor = [&](size_t index, uint8_t type, uint8_t status, uint16_t hours, uint32_t lba) {
    const size_t offset = 2 + 24 * index;
    Put(page, offset, type, 1);
    Put(page, offset + 1, status, 1);
    Put(page, offset + 2, hours, 2);
    Put(page, offset + 5, lba, 4);
  };
  descriptor(20, 0x02, 0x79, 27196, 4132075584u);  // read failure, 90% left
  descriptor(0, 0x01, 0x00, 27200, 0xffffffff);
  page[508] = std::byte{1};
  Seal(page);
  const Result<AtaSelfTestLog> log = ParseAtaSelfTestLog(page);
  ASSERT_TRUE(log) << log.error().message;
  ASSERT_EQ(log->entries.size(), 2u);
  EXPECT_EQ(log->entries[0].lifetime_hours, 27200);
  EXPECT_EQ(log->entries[0].status_text, "Completed without error");
  EXPECT_FALSE(log->entries[0].first_failure_lba);
  EXPECT_EQ(log->entries[1].type_text, "Extended offline");
  EXPECT_EQ(log->entries[1].status_text, "Completed: read failure");
  EXPECT_EQ(log->entries[1].remaining_percent, 90);
  EXPECT_TRUE(log->entries[1].failed);
  EXPECT_EQ(log->entries[1].first_failure_lba, 4132075584u);
}

TEST(AtaLogs, SelfTestIndexOutOfRange) {
  Block page{};
  page[508] = std::byte{22};
  Seal(page);
  const Result<AtaSelfTestLog> log = ParseAtaSelfTestLog(page);
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().message, "SMART self-test log: descriptor index 22 is above 21");
}

TEST(AtaLogs, NoSelfTestLogged) {
  Block page{};
  Put(page, 0, 1, 2);
  Seal(page);
  const Result<AtaSelfTestLog> log = ParseAtaSelfTestLog(page);
  ASSERT_TRUE(log);
  EXPECT_TRUE(log->entries.empty());
}

TEST(AtaLogs, ExtendedSelfTestLogSpansPages) {
  // Two pages: 38 descriptors; the most recent is descriptor 20 (page 1,
  // slot 0), the one before it descriptor 19 (page 0, slot 18).
  std::array<std::byte, 1024> pages{};
  pages[0] = std::byte{1};
  pages[2] = std::byte{20};
  const auto descriptor = [&](size_t page, size_t slot, uint8_t status, uint16_t hours, uint64_t lba) {
    const size_t offset = page * 512 + 4 + slot * 26;
    pages[offset] = std::byte{0x02};
    pages[offset + 1] = static_cast<std::byte>(status);
    for (size_t i = 0; i < 2; ++i) pages[offset + 2 + i] = static_cast<std::byte>(hours >> (8 * i));
    for (size_t i = 0; i < 6; ++i) pages[offset + 5 + i] = static_cast<std::byte>(lba >> (8 * i));
  };
  descriptor(1, 0, 0x00, 200, 0xffffffffffff);
  descriptor(0, 18, 0x70, 100, 0x123456789a);
  for (size_t p = 0; p < 2; ++p) {
    std::byte& checksum = pages[p * 512 + 511];
    checksum = std::byte{0};
    checksum = static_cast<std::byte>(-ByteSum(std::span(pages).subspan(p * 512, 512)));
  }
  const Result<AtaSelfTestLog> log = ParseAtaExtendedSelfTestLog(pages);
  ASSERT_TRUE(log) << log.error().message;
  ASSERT_EQ(log->entries.size(), 2u);
  EXPECT_EQ(log->entries[0].lifetime_hours, 200);
  EXPECT_FALSE(log->entries[0].first_failure_lba);
  EXPECT_EQ(log->entries[1].status_text, "Completed: read failure");
  EXPECT_EQ(log->entries[1].first_failure_lba, 0x123456789au);
}

TEST(AtaLogs, ExtendedSelfTestLogChecksSizeAndIndex) {
  std::array<std::byte, 700> odd{};
  const Result<AtaSelfTestLog> sized = ParseAtaExtendedSelfTestLog(odd);
  ASSERT_FALSE(sized);
  EXPECT_EQ(sized.error().message, "Extended SMART self-test log: 700 bytes, expected a multiple of 512");
  Block page{};
  page[2] = std::byte{20};  // one page holds 19 descriptors
  Seal(page);
  const Result<AtaSelfTestLog> indexed = ParseAtaExtendedSelfTestLog(page);
  ASSERT_FALSE(indexed);
  EXPECT_EQ(indexed.error().message, "Extended SMART self-test log: descriptor index 20 is above 19");
}

TEST(AtaLogs, ExtendedErrorCount) {
  Block page{};
  page[0] = std::byte{1};
  Put(page, 500, 54376, 2);
  Seal(page);
  const Result<AtaExtErrorLogSummary> log = ParseAtaExtendedErrorLog(page);
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_EQ(log->error_count, 54376);
  page[3] ^= std::byte{1};
  EXPECT_FALSE(ParseAtaExtendedErrorLog(page));
}

// ---------------------------------------------------------------- status

TEST(AtaStatus, PowerModes) {
  EXPECT_EQ(DecodeAtaPowerMode(0x00), AtaPowerMode::kStandby);
  EXPECT_EQ(DecodeAtaPowerMode(0x80), AtaPowerMode::kIdle);
  EXPECT_EQ(DecodeAtaPowerMode(0xff), AtaPowerMode::kActiveOrIdle);
  EXPECT_TRUE(IsSpunDown(*DecodeAtaPowerMode(0x01)));
  EXPECT_FALSE(IsSpunDown(*DecodeAtaPowerMode(0x83)));
  EXPECT_FALSE(DecodeAtaPowerMode(0x10));
}

TEST(AtaStatus, SmartReturnStatus) {
  EXPECT_EQ(DecodeAtaSmartReturnStatus(0x4f, 0xc2), true);
  EXPECT_EQ(DecodeAtaSmartReturnStatus(0xf4, 0x2c), false);
  const Result<bool> garbage = DecodeAtaSmartReturnStatus(0, 0);
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().message, "SMART RETURN STATUS: unexpected LBA Mid/High 0x00/0x00");
}

}  // namespace
}  // namespace vigie::agent::smart
