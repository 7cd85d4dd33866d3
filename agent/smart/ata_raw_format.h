// How smartctl names an ATA SMART attribute and prints its raw value: the raw
// formats of smartmontools (atacmds.cpp, "-v ID,FORMAT[:BYTEORDER],NAME") and
// its DEFAULT attribute table (drivedb.h, entry "DEFAULT"). Our own code,
// written from those facts; it copies no smartmontools source.
//
// Pure functions; the tables are constant and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace vigie::agent::smart {

// smartctl's raw print formats ("smartctl -v help" lists them).
enum class AtaRawFormat : uint8_t {
  kDefault,        // not set: fall back to the DEFAULT table, then raw48
  kRaw8,           // "raw8": six bytes, most significant first: "0 0 0 0 1 5"
  kRaw16,          // "raw16": three words, most significant first: "2 2 2"
  kRaw48,          // "raw48": one decimal number
  kHex48,          // "hex48": "0x0000001a2b3c"
  kRaw56,          // "raw56": decimal, 7 bytes (reserved byte on top)
  kHex56,          // "hex56"
  kRaw64,          // "raw64": decimal, 8 bytes (raw, then worst, value bytes)
  kHex64,          // "hex64"
  kRaw16OptRaw16,  // "raw16(raw16)": "15 (0 2)" when the upper words are set
  kRaw16OptAvg16,  // "raw16(avg16)": "888 (Average 808)"
  kRaw24OptRaw8,   // "raw24(raw8)": "2725 (151 234 0)"
  kRaw24DivRaw24,  // "raw24/raw24": "12/34"
  kRaw24DivRaw32,  // "raw24/raw32"
  kSec2Hour,       // "sec2hour": "123h+04m+05s"
  kMin2Hour,       // "min2hour": "123h+04m"
  kHalfMin2Hour,   // "halfmin2hour": "123h+04m"
  kMsec24Hour32,   // "msec24hour32": "37054h+12m+58.233s"
  kTempMinMax,     // "tempminmax": "36 (Min/Max 21/52)"
  kTemp10x,        // "temp10x": "35.5"
};

// smartctl's name of a format ("raw48", "tempminmax", ...); "default" for kDefault.
std::string_view AtaRawFormatName(AtaRawFormat format);

// Where a definition applies, as the ",HDD" / ",SSD" suffix of the DEFAULT
// table says: an HDD-only name on a drive whose rotation rate is 1 becomes
// "Unknown_SSD_Attribute", an SSD-only name on a rotating drive
// "Unknown_HDD_Attribute".
enum class AtaMedia : uint8_t { kAny, kHddOnly, kSsdOnly };

// One "-v" definition: format, optional byte order, name.
struct AtaAttributeDef {
  AtaRawFormat format = AtaRawFormat::kDefault;
  // smartctl byte order string over the entry's bytes ('0'-'5' raw bytes,
  // 'r' reserved byte, 'v' value, 'w' worst, 'z' zero), most significant
  // first, e.g. "543210" or "r543210". Empty: the format's default order.
  std::string_view byte_order;
  // Empty: not named by this definition.
  std::string_view name;
  AtaMedia media = AtaMedia::kAny;
};

// The definitions for all 256 ids that apply to one drive.
using AtaAttributeDefs = std::array<AtaAttributeDef, 256>;

// smartctl's DEFAULT table (drivedb.h, smartmontools 7.x): the names and
// formats used when no drivedb entry matches the drive.
const AtaAttributeDefs& DefaultAtaAttributeDefs();

// One attribute entry's bytes, as the SMART READ DATA page holds them.
struct AtaAttributeBytes {
  uint8_t id = 0;
  uint8_t value = 0;
  uint8_t worst = 0;
  std::array<uint8_t, 6> raw{};  // entry bytes 5..10, raw[0] least significant
  uint8_t reserved = 0;          // entry byte 11
};

// The value smartctl builds from the entry's bytes in the byte order of `def`
// (its JSON "raw"."value"): bytes 5-10 for 48-bit formats, with the reserved
// byte on top for raw56/hex56/raw24/raw32/msec24hour32, and worst and value
// on top for raw64/hex64.
uint64_t AtaOrderedRawValue(const AtaAttributeBytes& entry, const AtaAttributeDef& def);

struct AtaFormattedRaw {
  // smartctl's RAW_VALUE column, e.g. "37054h+12m+58.233s".
  std::string text;
  // The first number of `text` (hours of the hour formats, the current
  // temperature of tempminmax, word 0 of raw16(...), the low 24 bits of
  // raw24(raw8), the numerator of raw24/raw24 and raw24/raw32, whole degrees
  // of temp10x), except raw8 and raw16, which give the whole ordered value.
  int64_t decoded = 0;
};

// Formats the raw value as smartctl prints it for `def` (kDefault -> raw48).
AtaFormattedRaw FormatAtaRaw(const AtaAttributeBytes& entry, const AtaAttributeDef& def);

}  // namespace vigie::agent::smart
