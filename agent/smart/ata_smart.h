// ATA SMART READ DATA and SMART READ THRESHOLDS pages -> the attribute table
// and drive temperature as `smartctl -A` prints them. Page layout: ATA8-ACS
// (T13/1699-D rev 6a) table 62 for SMART READ DATA; the 12-byte attribute
// entries and the thresholds page follow SFF-8035i rev 2, which ACS-3 leaves
// vendor specific and smartmontools (struct ata_smart_values,
// ata_smart_thresholds_pvt) decodes.
//
// Pure functions over the 512-byte pages; no I/O. Cost: one pass over 30
// entries and one string per attribute.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/smart/ata_raw_format.h"
#include "agent/smart/page.h"
#include "common/result.h"

namespace vigie::agent::smart {

// smartctl's WHEN_FAILED column: the normalized value is at or below a
// non-zero threshold now ("FAILING_NOW"), or the worst value was ("In_the_past").
enum class AtaAttributeState : uint8_t { kOk, kFailedPast, kFailedNow };

struct AtaAttribute {
  uint8_t id = 0;
  // smartctl's name for this drive (DEFAULT table plus the drive's preset).
  std::string name;
  // Entry bytes 1-2, little-endian status flags. Bit 0: pre-failure warranty
  // (smartctl "P"), bit 1 online collection ("O"), bit 2 performance ("S"),
  // bit 3 error rate ("R"), bit 4 event count ("C"), bit 5 self-preserving ("K").
  uint16_t flags = 0;
  bool prefailure = false;
  uint8_t value = 0;      // normalized, entry byte 3
  uint8_t worst = 0;      // entry byte 4
  // From the thresholds page entry with the same id; 0 when absent there.
  uint8_t threshold = 0;
  bool threshold_found = false;
  // Entry bytes 5-10, little-endian: the 48-bit raw field as stored.
  uint64_t raw = 0;
  // Entry byte 11 (vendor-specific; msec24hour32 keeps milliseconds there).
  uint8_t reserved = 0;
  // The format used (kDefault resolved to raw48), and the raw value in the
  // definition's byte order: smartctl's JSON "raw"."value" (AtaOrderedRawValue).
  AtaRawFormat format = AtaRawFormat::kRaw48;
  uint64_t raw_ordered = 0;
  // See AtaFormattedRaw: the first number smartctl prints, and its text.
  int64_t raw_decoded = 0;
  std::string raw_text;
  // kOk when the threshold is 0 or was not found.
  AtaAttributeState state = AtaAttributeState::kOk;
};

struct AtaSmartData {
  // Bytes 0-1: data structure revision number.
  uint16_t revision = 0;
  // Non-empty entries (id != 0) in page order, at most 30.
  std::vector<AtaAttribute> attributes;
  // Byte 362: off-line data collection status.
  uint8_t offline_collection_status = 0;
  // Byte 363: self-test execution status (bits 7:4 status, 3:0 percent
  // remaining in tens).
  uint8_t self_test_execution_status = 0;
};

// What naming and formatting depends on besides the pages.
struct AtaDecodeOptions {
  // Usually AtaAttributeDefsFor(FindAtaDrivePreset(model, firmware)).
  const AtaAttributeDefs* defs = nullptr;  // null: DefaultAtaAttributeDefs()
  // IDENTIFY word 217 (1 = SSD, 0 = unknown), for the HDD/SSD-only names.
  uint32_t rotation_rate_rpm = 0;
  // Decode pages whose checksum is wrong instead of failing (smartctl warns
  // and goes on; some Samsung firmware gets it wrong). Off by default.
  bool ignore_checksum = false;
};

// Decodes SMART READ DATA, taking thresholds from SMART READ THRESHOLDS.
// Errors (kMalformed, with a message naming the page): a page whose 512
// bytes do not sum to 0 mod 256 (byte 511 is the checksum) unless
// options.ignore_checksum, or a data page with no attribute at all (all
// zeros: a bridge that answered without asking the drive). A repeated id is
// kept twice, as smartctl prints it. `thresholds` may be null (a drive
// that rejects READ THRESHOLDS, obsolete in today's ACS standards): thresholds are
// then 0 and threshold_found false.
Result<AtaSmartData> ParseAtaSmartData(Page512 data, const Page512* thresholds,
                                       const AtaDecodeOptions& options = {});

// The drive temperature in degrees Celsius as smartctl computes it
// (ata_return_temperature_value): the first of attributes 194, 190, 9, 220
// whose format is tempminmax or temp10x, taking the lowest byte (temp10x:
// word 0 / 10, rounded), and only if it lies in 1..127; nullopt otherwise.
std::optional<int> AtaTemperatureCelsius(const std::vector<AtaAttribute>& attributes);

}  // namespace vigie::agent::smart
