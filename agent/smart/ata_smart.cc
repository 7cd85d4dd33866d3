#include "agent/smart/ata_smart.h"

#include <fmt/format.h>

namespace vigie::agent::smart {
namespace {

// SMART READ DATA (ATA8-ACS table 62): bytes 0-1 revision, then 30 entries
// of 12 bytes from byte 2, byte 362 off-line data collection status, byte 363
// self-test execution status, byte 511 checksum. SMART READ THRESHOLDS uses
// the same 30 x 12-byte grid: byte 0 id, byte 1 threshold.
constexpr size_t kEntryCount = 30;
constexpr size_t kEntryBytes = 12;
constexpr size_t kFirstEntry = 2;
constexpr size_t kOfflineStatusByte = 362;
constexpr size_t kSelfTestStatusByte = 363;

// SFF-8035i rev 2 attribute entry: byte 0 id, 1-2 flags (little-endian),
// 3 normalized value, 4 worst, 5-10 raw (little-endian), 11 reserved.
AtaAttributeBytes EntryBytes(Page512 page, size_t offset) {
  AtaAttributeBytes entry;
  entry.id = std::to_integer<uint8_t>(page[offset]);
  entry.value = std::to_integer<uint8_t>(page[offset + 3]);
  entry.worst = std::to_integer<uint8_t>(page[offset + 4]);
  for (size_t i = 0; i < 6; ++i) entry.raw[i] = std::to_integer<uint8_t>(page[offset + 5 + i]);
  entry.reserved = std::to_integer<uint8_t>(page[offset + 11]);
  return entry;
}

std::optional<uint8_t> FindThreshold(Page512 thresholds, uint8_t id) {
  for (size_t i = 0; i < kEntryCount; ++i) {
    const size_t offset = kFirstEntry + i * kEntryBytes;
    if (std::to_integer<uint8_t>(thresholds[offset]) == id) return std::to_integer<uint8_t>(thresholds[offset + 1]);
  }
  return std::nullopt;
}

std::string NameFor(const AtaAttributeDef& def, uint32_t rotation_rate_rpm) {
  if (def.name.empty()) return "Unknown_Attribute";
  // smartctl (ata_get_smart_attr_name): the DEFAULT table's ",HDD"/",SSD"
  // names only hold for that kind of drive.
  if (def.media == AtaMedia::kHddOnly && rotation_rate_rpm == 1) return "Unknown_SSD_Attribute";
  if (def.media == AtaMedia::kSsdOnly && rotation_rate_rpm > 1) return "Unknown_HDD_Attribute";
  return std::string(def.name);
}

// smartctl's ata_get_attr_state: 64-bit formats (and byte orders using 'v'
// or 'w') keep raw data in the value/worst bytes, which then mean nothing.
AtaAttributeState StateOf(const AtaAttribute& attribute, const AtaAttributeDef& def) {
  if (!attribute.threshold_found || attribute.threshold == 0) return AtaAttributeState::kOk;
  const bool wide = def.byte_order.empty() && (def.format == AtaRawFormat::kRaw64 || def.format == AtaRawFormat::kHex64);
  const bool no_value = wide || def.byte_order.find('v') != std::string_view::npos;
  const bool no_worst = no_value || def.byte_order.find('w') != std::string_view::npos;
  if (no_value) return AtaAttributeState::kOk;
  if (attribute.value <= attribute.threshold) return AtaAttributeState::kFailedNow;
  if (!no_worst && attribute.worst <= attribute.threshold) return AtaAttributeState::kFailedPast;
  return AtaAttributeState::kOk;
}

}  // namespace

Result<AtaSmartData> ParseAtaSmartData(Page512 data, const Page512* thresholds, const AtaDecodeOptions& options) {
  if (!options.ignore_checksum && ByteSum(data) != 0) {
    return Fail(ErrorCode::kMalformed,
                fmt::format("SMART READ DATA: checksum mismatch (bytes sum to {:#04x}, not 0)", ByteSum(data)));
  }
  if (thresholds != nullptr && !options.ignore_checksum && ByteSum(*thresholds) != 0) {
    return Fail(ErrorCode::kMalformed, fmt::format("SMART READ THRESHOLDS: checksum mismatch (bytes sum to {:#04x}, not 0)",
                                                   ByteSum(*thresholds)));
  }
  const AtaAttributeDefs& defs = options.defs != nullptr ? *options.defs : DefaultAtaAttributeDefs();

  AtaSmartData result;
  result.revision = static_cast<uint16_t>(LoadLe(data, 0, 2));
  result.offline_collection_status = std::to_integer<uint8_t>(data[kOfflineStatusByte]);
  result.self_test_execution_status = std::to_integer<uint8_t>(data[kSelfTestStatusByte]);
  for (size_t i = 0; i < kEntryCount; ++i) {
    const size_t offset = kFirstEntry + i * kEntryBytes;
    const AtaAttributeBytes entry = EntryBytes(data, offset);
    if (entry.id == 0) continue;  // unused slot
    const AtaAttributeDef& def = defs[entry.id];
    AtaAttribute& attribute = result.attributes.emplace_back();
    attribute.id = entry.id;
    attribute.name = NameFor(def, options.rotation_rate_rpm);
    attribute.flags = static_cast<uint16_t>(LoadLe(data, offset + 1, 2));
    attribute.prefailure = (attribute.flags & 0x0001) != 0;
    attribute.value = entry.value;
    attribute.worst = entry.worst;
    attribute.raw = LoadLe(data, offset + 5, 6);
    attribute.reserved = entry.reserved;
    if (thresholds != nullptr) {
      if (const std::optional<uint8_t> threshold = FindThreshold(*thresholds, entry.id)) {
        attribute.threshold = *threshold;
        attribute.threshold_found = true;
      }
    }
    attribute.format = def.format == AtaRawFormat::kDefault ? AtaRawFormat::kRaw48 : def.format;
    attribute.raw_ordered = AtaOrderedRawValue(entry, def);
    AtaFormattedRaw formatted = FormatAtaRaw(entry, def);
    attribute.raw_decoded = formatted.decoded;
    attribute.raw_text = std::move(formatted.text);
    attribute.state = StateOf(attribute, def);
  }
  if (result.attributes.empty()) {
    return Fail(ErrorCode::kMalformed, "SMART READ DATA: no attribute in the page");
  }
  return result;
}

std::optional<int> AtaTemperatureCelsius(const std::vector<AtaAttribute>& attributes) {
  // smartctl's ata_return_temperature_value: these ids in this order, when
  // their format is a temperature one.
  for (const uint8_t id : {194, 190, 9, 220}) {
    for (const AtaAttribute& attribute : attributes) {
      if (attribute.id != id) continue;
      if (attribute.format != AtaRawFormat::kTempMinMax && attribute.format != AtaRawFormat::kTemp10x) break;
      // Min/max in the upper bytes are ignored: the current value is the
      // lowest byte (temp10x: word 0 in tenths, rounded).
      const unsigned celsius = attribute.format == AtaRawFormat::kTemp10x
                                   ? ((attribute.raw_ordered & 0xffff) + 5) / 10
                                   : static_cast<unsigned>(attribute.raw_ordered & 0xff);
      if (celsius > 0 && celsius < 128) return static_cast<int>(celsius);
      break;
    }
  }
  return std::nullopt;
}

}  // namespace vigie::agent::smart
