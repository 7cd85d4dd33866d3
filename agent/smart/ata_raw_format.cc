#include "agent/smart/ata_raw_format.h"

#include <fmt/format.h>

namespace vigie::agent::smart {
namespace {

using F = AtaRawFormat;
using M = AtaMedia;

// smartmontools 7.3 drivedb.h, entry "DEFAULT" (the version Debian 12 ships;
// 7.4 added 22-24 for helium drives, which 7.3 prints as Unknown_Attribute).
// Ids not listed are "Unknown_Attribute" in raw48.
struct DefaultRow {
  uint8_t id;
  AtaRawFormat format;
  std::string_view name;
  AtaMedia media;
};
constexpr DefaultRow kDefaultRows[] = {
    {1, F::kRaw48, "Raw_Read_Error_Rate", M::kAny},
    {2, F::kRaw48, "Throughput_Performance", M::kAny},
    {3, F::kRaw16OptAvg16, "Spin_Up_Time", M::kAny},
    {4, F::kRaw48, "Start_Stop_Count", M::kAny},
    {5, F::kRaw16OptRaw16, "Reallocated_Sector_Ct", M::kAny},
    {6, F::kRaw48, "Read_Channel_Margin", M::kHddOnly},
    {7, F::kRaw48, "Seek_Error_Rate", M::kHddOnly},
    {8, F::kRaw48, "Seek_Time_Performance", M::kHddOnly},
    {9, F::kRaw24OptRaw8, "Power_On_Hours", M::kAny},
    {10, F::kRaw48, "Spin_Retry_Count", M::kHddOnly},
    {11, F::kRaw48, "Calibration_Retry_Count", M::kHddOnly},
    {12, F::kRaw48, "Power_Cycle_Count", M::kAny},
    {13, F::kRaw48, "Read_Soft_Error_Rate", M::kAny},
    {175, F::kRaw48, "Program_Fail_Count_Chip", M::kSsdOnly},
    {176, F::kRaw48, "Erase_Fail_Count_Chip", M::kSsdOnly},
    {177, F::kRaw48, "Wear_Leveling_Count", M::kSsdOnly},
    {178, F::kRaw48, "Used_Rsvd_Blk_Cnt_Chip", M::kSsdOnly},
    {179, F::kRaw48, "Used_Rsvd_Blk_Cnt_Tot", M::kSsdOnly},
    {180, F::kRaw48, "Unused_Rsvd_Blk_Cnt_Tot", M::kSsdOnly},
    {181, F::kRaw48, "Program_Fail_Cnt_Total", M::kAny},
    {182, F::kRaw48, "Erase_Fail_Count_Total", M::kSsdOnly},
    {183, F::kRaw48, "Runtime_Bad_Block", M::kAny},
    {184, F::kRaw48, "End-to-End_Error", M::kAny},
    {187, F::kRaw48, "Reported_Uncorrect", M::kAny},
    {188, F::kRaw48, "Command_Timeout", M::kAny},
    {189, F::kRaw48, "High_Fly_Writes", M::kHddOnly},
    {190, F::kTempMinMax, "Airflow_Temperature_Cel", M::kAny},
    {191, F::kRaw48, "G-Sense_Error_Rate", M::kHddOnly},
    {192, F::kRaw48, "Power-Off_Retract_Count", M::kAny},
    {193, F::kRaw48, "Load_Cycle_Count", M::kHddOnly},
    {194, F::kTempMinMax, "Temperature_Celsius", M::kAny},
    {195, F::kRaw48, "Hardware_ECC_Recovered", M::kAny},
    {196, F::kRaw16OptRaw16, "Reallocated_Event_Count", M::kAny},
    {197, F::kRaw48, "Current_Pending_Sector", M::kAny},
    {198, F::kRaw48, "Offline_Uncorrectable", M::kAny},
    {199, F::kRaw48, "UDMA_CRC_Error_Count", M::kAny},
    {200, F::kRaw48, "Multi_Zone_Error_Rate", M::kHddOnly},
    {201, F::kRaw48, "Soft_Read_Error_Rate", M::kHddOnly},
    {202, F::kRaw48, "Data_Address_Mark_Errs", M::kHddOnly},
    {203, F::kRaw48, "Run_Out_Cancel", M::kAny},
    {204, F::kRaw48, "Soft_ECC_Correction", M::kAny},
    {205, F::kRaw48, "Thermal_Asperity_Rate", M::kAny},
    {206, F::kRaw48, "Flying_Height", M::kHddOnly},
    {207, F::kRaw48, "Spin_High_Current", M::kHddOnly},
    {208, F::kRaw48, "Spin_Buzz", M::kHddOnly},
    {209, F::kRaw48, "Offline_Seek_Performnce", M::kHddOnly},
    {220, F::kRaw48, "Disk_Shift", M::kHddOnly},
    {221, F::kRaw48, "G-Sense_Error_Rate", M::kHddOnly},
    {222, F::kRaw48, "Loaded_Hours", M::kHddOnly},
    {223, F::kRaw48, "Load_Retry_Count", M::kHddOnly},
    {224, F::kRaw48, "Load_Friction", M::kHddOnly},
    {225, F::kRaw48, "Load_Cycle_Count", M::kHddOnly},
    {226, F::kRaw48, "Load-in_Time", M::kHddOnly},
    {227, F::kRaw48, "Torq-amp_Count", M::kHddOnly},
    {228, F::kRaw48, "Power-off_Retract_Count", M::kAny},
    {230, F::kRaw48, "Head_Amplitude", M::kHddOnly},
    {231, F::kRaw48, "Temperature_Celsius", M::kHddOnly},
    {232, F::kRaw48, "Available_Reservd_Space", M::kAny},
    {233, F::kRaw48, "Media_Wearout_Indicator", M::kSsdOnly},
    {240, F::kRaw24OptRaw8, "Head_Flying_Hours", M::kHddOnly},
    {241, F::kRaw48, "Total_LBAs_Written", M::kAny},
    {242, F::kRaw48, "Total_LBAs_Read", M::kAny},
    {250, F::kRaw48, "Read_Error_Retry_Rate", M::kAny},
    {254, F::kRaw48, "Free_Fall_Sensor", M::kHddOnly},
};

AtaAttributeDefs BuildDefaultDefs() {
  AtaAttributeDefs defs{};
  for (const DefaultRow& row : kDefaultRows) defs[row.id] = {row.format, {}, row.name, row.media};
  return defs;
}

// The byte order smartctl uses when a definition gives none
// (atacmds.cpp, ata_get_attr_raw_value): 64-bit formats take the worst and
// normalized value bytes on top, 56-bit ones the reserved byte.
std::string_view DefaultByteOrder(AtaRawFormat format) {
  switch (format) {
    case F::kRaw64:
    case F::kHex64:
      return "543210wv";
    case F::kRaw56:
    case F::kHex56:
    case F::kRaw24DivRaw32:
    case F::kMsec24Hour32:
      return "r543210";
    default:
      return "543210";
  }
}

// Helpers of the tempminmax heuristic. A 16-bit word can hold a temperature
// as a non-negative value (0x11), a negative signed byte (0x01) or a
// negative signed word (0x10); 0 when it cannot be one.
int TempWordKind(unsigned word) {
  if (word <= 0x7f) return 0x11;
  if (word <= 0xff) return 0x01;
  if (word >= 0xff80) return 0x10;
  return 0x00;
}

// Two signed bytes that can be the minimum and maximum around `t`.
bool TempRange(int t, uint8_t byte1, uint8_t byte2, int& lo, int& hi) {
  int t1 = static_cast<int8_t>(byte1);
  int t2 = static_cast<int8_t>(byte2);
  if (t1 > t2) std::swap(t1, t2);
  // An all-FFh pair (-1/-1) or -1/0 means "not recorded".
  if (-60 <= t1 && t1 <= t && t <= t2 && t2 <= 120 && !(t1 == -1 && t2 <= 0)) {
    lo = t1;
    hi = t2;
    return true;
  }
  return false;
}

// smartctl's guess at where a drive keeps min/max in the raw bytes:
//   00 00 00 00 xx TT    plain
//   00 00 HL LH xx TT    Maxtor, Samsung, Seagate, Toshiba
//   00 00 00 HL LH TT    WDC
//   xx HL xx LH xx TT    Hitachi/HGST, Kingston
//   CC CC HL LH xx TT    WDC with an over-temperature count CCCC
// Anything else prints the six bytes.
AtaFormattedRaw FormatTempMinMax(const uint8_t b[6], const unsigned word[3]) {
  const int t = static_cast<int8_t>(b[0]);
  int lo = 0;
  int hi = 0;
  const int kind0 = TempWordKind(word[0]);
  int layout = -1;
  if (word[2] == 0) {
    if (word[1] == 0 && kind0 != 0) {
      layout = 0;
    } else if (kind0 != 0 && TempRange(t, b[2], b[3], lo, hi)) {
      layout = 1;
    } else if (b[3] == 0 && TempRange(t, b[1], b[2], lo, hi)) {
      layout = 1;
    }
  } else if (kind0 != 0) {
    if ((kind0 & TempWordKind(word[1]) & TempWordKind(word[2])) != 0 && TempRange(t, b[2], b[4], lo, hi)) {
      layout = 1;
    } else if (word[2] < 0x7fff && TempRange(t, b[2], b[3], lo, hi) && hi >= 40) {
      layout = 4;
    }
  }
  switch (layout) {
    case 0:
      return {fmt::format("{}", t), t};
    case 1:
      return {fmt::format("{} (Min/Max {}/{})", t, lo, hi), t};
    case 4:
      return {fmt::format("{} (Min/Max {}/{} #{})", t, lo, hi, word[2]), t};
    default:
      return {fmt::format("{} ({} {} {} {} {})", b[0], b[5], b[4], b[3], b[2], b[1]), b[0]};
  }
}

}  // namespace

std::string_view AtaRawFormatName(AtaRawFormat format) {
  switch (format) {
    case F::kDefault: return "default";
    case F::kRaw8: return "raw8";
    case F::kRaw16: return "raw16";
    case F::kRaw48: return "raw48";
    case F::kHex48: return "hex48";
    case F::kRaw56: return "raw56";
    case F::kHex56: return "hex56";
    case F::kRaw64: return "raw64";
    case F::kHex64: return "hex64";
    case F::kRaw16OptRaw16: return "raw16(raw16)";
    case F::kRaw16OptAvg16: return "raw16(avg16)";
    case F::kRaw24OptRaw8: return "raw24(raw8)";
    case F::kRaw24DivRaw24: return "raw24/raw24";
    case F::kRaw24DivRaw32: return "raw24/raw32";
    case F::kSec2Hour: return "sec2hour";
    case F::kMin2Hour: return "min2hour";
    case F::kHalfMin2Hour: return "halfmin2hour";
    case F::kMsec24Hour32: return "msec24hour32";
    case F::kTempMinMax: return "tempminmax";
    case F::kTemp10x: return "temp10x";
  }
  return "?";
}

const AtaAttributeDefs& DefaultAtaAttributeDefs() {
  static const AtaAttributeDefs kDefs = BuildDefaultDefs();
  return kDefs;
}

uint64_t AtaOrderedRawValue(const AtaAttributeBytes& entry, const AtaAttributeDef& def) {
  const std::string_view order = def.byte_order.empty() ? DefaultByteOrder(def.format) : def.byte_order;
  uint64_t value = 0;
  // At most 8 bytes fit; longer orders are cut, as a 64-bit shift register would.
  for (char c : order.substr(0, 8)) {
    uint8_t b = 0;
    if (c >= '0' && c <= '5') {
      b = entry.raw[static_cast<size_t>(c - '0')];
    } else if (c == 'r') {
      b = entry.reserved;
    } else if (c == 'v') {
      b = entry.value;
    } else if (c == 'w') {
      b = entry.worst;
    }  // 'z' and anything else: a zero byte.
    value = (value << 8) | b;
  }
  return value;
}

AtaFormattedRaw FormatAtaRaw(const AtaAttributeBytes& entry, const AtaAttributeDef& def) {
  const uint64_t v = AtaOrderedRawValue(entry, def);
  uint8_t b[6];
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  const unsigned word[3] = {b[0] | (unsigned{b[1]} << 8), b[2] | (unsigned{b[3]} << 8), b[4] | (unsigned{b[5]} << 8)};
  const auto as_signed = [](uint64_t x) { return static_cast<int64_t>(x); };

  switch (def.format == F::kDefault ? F::kRaw48 : def.format) {
    case F::kRaw8:
      return {fmt::format("{} {} {} {} {} {}", b[5], b[4], b[3], b[2], b[1], b[0]), as_signed(v)};
    case F::kRaw16:
      return {fmt::format("{} {} {}", word[2], word[1], word[0]), as_signed(v)};
    case F::kDefault:
    case F::kRaw48:
    case F::kRaw56:
    case F::kRaw64:
      return {fmt::format("{}", v), as_signed(v)};
    case F::kHex48:
      return {fmt::format("0x{:012x}", v), as_signed(v)};
    case F::kHex56:
      return {fmt::format("0x{:014x}", v), as_signed(v)};
    case F::kHex64:
      return {fmt::format("0x{:016x}", v), as_signed(v)};
    case F::kRaw16OptRaw16: {
      std::string text = fmt::format("{}", word[0]);
      if (word[1] != 0 || word[2] != 0) text += fmt::format(" ({} {})", word[2], word[1]);
      return {std::move(text), word[0]};
    }
    case F::kRaw16OptAvg16: {
      std::string text = fmt::format("{}", word[0]);
      if (word[1] != 0) text += fmt::format(" (Average {})", word[1]);
      return {std::move(text), word[0]};
    }
    case F::kRaw24OptRaw8: {
      const uint32_t low24 = static_cast<uint32_t>(v & 0xffffff);
      std::string text = fmt::format("{}", low24);
      if (b[3] != 0 || b[4] != 0 || b[5] != 0) text += fmt::format(" ({} {} {})", b[5], b[4], b[3]);
      return {std::move(text), low24};
    }
    case F::kRaw24DivRaw24: {
      const uint32_t numerator = static_cast<uint32_t>(v >> 24);
      return {fmt::format("{}/{}", numerator, v & 0xffffff), numerator};
    }
    case F::kRaw24DivRaw32: {
      const uint32_t numerator = static_cast<uint32_t>(v >> 32);
      return {fmt::format("{}/{}", numerator, v & 0xffffffff), numerator};
    }
    case F::kMin2Hour: {
      // Minutes in the low 32 bits; word 2 is printed apart when set.
      const uint64_t minutes = word[0] + (static_cast<uint64_t>(word[1]) << 16);
      std::string text = fmt::format("{}h+{:02}m", minutes / 60, minutes % 60);
      if (word[2] != 0) text += fmt::format(" ({})", word[2]);
      return {std::move(text), as_signed(minutes / 60)};
    }
    case F::kSec2Hour: {
      const uint64_t hours = v / 3600;
      return {fmt::format("{}h+{:02}m+{:02}s", hours, (v - 3600 * hours) / 60, v % 60), as_signed(hours)};
    }
    case F::kHalfMin2Hour: {
      const uint64_t hours = v / 120;
      return {fmt::format("{}h+{:02}m", hours, (v - 120 * hours) / 2), as_signed(hours)};
    }
    case F::kMsec24Hour32: {
      // Hours in the low 32 bits, milliseconds of the current hour above.
      const uint32_t hours = static_cast<uint32_t>(v & 0xffffffff);
      const uint32_t msec = static_cast<uint32_t>(v >> 32);
      const uint32_t seconds = msec / 1000;
      return {fmt::format("{}h+{:02}m+{:02}.{:03}s", hours, seconds / 60, seconds % 60, msec % 1000), hours};
    }
    case F::kTempMinMax:
      return FormatTempMinMax(b, word);
    case F::kTemp10x:
      return {fmt::format("{}.{}", word[0] / 10, word[0] % 10), word[0] / 10};
  }
  return {"?", 0};
}

}  // namespace vigie::agent::smart
