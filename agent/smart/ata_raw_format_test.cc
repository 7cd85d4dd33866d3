#include "agent/smart/ata_raw_format.h"

#include <gtest/gtest.h>

namespace vigie::agent::smart {
namespace {

using F = AtaRawFormat;

// An entry whose ordered value (default byte order) is `raw`, plus the
// reserved byte.
AtaAttributeBytes Entry(uint64_t raw, uint8_t reserved = 0) {
  AtaAttributeBytes entry;
  entry.id = 1;
  entry.value = 100;
  entry.worst = 99;
  for (size_t i = 0; i < 6; ++i) entry.raw[i] = static_cast<uint8_t>(raw >> (8 * i));
  entry.reserved = reserved;
  return entry;
}

std::string Text(F format, uint64_t raw, uint8_t reserved = 0, std::string_view order = "") {
  return FormatAtaRaw(Entry(raw, reserved), {format, order, "", AtaMedia::kAny}).text;
}

TEST(AtaRawFormat, PlainAndHexFormats) {
  EXPECT_EQ(Text(F::kRaw48, 12834215976973), "12834215976973");
  EXPECT_EQ(Text(F::kDefault, 42), "42");
  EXPECT_EQ(Text(F::kHex48, 0x1a2b3c), "0x0000001a2b3c");
  EXPECT_EQ(Text(F::kRaw8, 0x010203040506), "1 2 3 4 5 6");
  EXPECT_EQ(Text(F::kRaw16, 0x000200020002), "2 2 2");
  EXPECT_EQ(Text(F::kHex56, 0x1a2b3c, 0x7f), "0x7f0000001a2b3c");
}

TEST(AtaRawFormat, SixtyFourBitFormatsTakeValueAndWorstOnTop) {
  // Byte order "543210wv": worst (99 = 0x63) then value (100 = 0x64) below.
  EXPECT_EQ(AtaOrderedRawValue(Entry(1), {F::kRaw64, "", "", AtaMedia::kAny}), 0x0000000000016364u);
  EXPECT_EQ(Text(F::kHex64, 1), "0x0000000000016364");
}

TEST(AtaRawFormat, OptionalPartsOnlyWhenSet) {
  EXPECT_EQ(Text(F::kRaw16OptRaw16, 15), "15");
  EXPECT_EQ(Text(F::kRaw16OptRaw16, 15 | (2u << 16)), "15 (0 2)");
  EXPECT_EQ(Text(F::kRaw16OptAvg16, 888 | (808u << 16)), "888 (Average 808)");
  EXPECT_EQ(Text(F::kRaw16OptAvg16, 888), "888");
  EXPECT_EQ(Text(F::kRaw24OptRaw8, 2725 | (0xeaull << 32) | (0x97ull << 40)), "2725 (151 234 0)");
  EXPECT_EQ(Text(F::kRaw24OptRaw8, 993), "993");
}

TEST(AtaRawFormat, Ratios) {
  EXPECT_EQ(Text(F::kRaw24DivRaw24, (1ull << 24) | 1162), "1/1162");
  // raw24/raw32 puts the reserved byte on top: 2 = reserved:raw5:raw4.
  EXPECT_EQ(Text(F::kRaw24DivRaw32, (2ull << 32) | 66714750), "2/66714750");
  EXPECT_EQ(Text(F::kRaw24DivRaw32, 66714750, /*reserved=*/1), "65536/66714750");
}

TEST(AtaRawFormat, HourFormats) {
  EXPECT_EQ(Text(F::kSec2Hour, 3725), "1h+02m+05s");
  EXPECT_EQ(Text(F::kMin2Hour, 125), "2h+05m");
  EXPECT_EQ(Text(F::kMin2Hour, 125 | (7ull << 32)), "2h+05m (7)");
  EXPECT_EQ(Text(F::kHalfMin2Hour, 245), "2h+02m");
  // Hours in the low 32 bits, milliseconds above (reserved byte on top).
  const AtaFormattedRaw poh =
      FormatAtaRaw(Entry((778233ull << 32 | 37054) & 0xffffffffffff, static_cast<uint8_t>(778233 >> 16)),
                   {F::kMsec24Hour32, "", "", AtaMedia::kAny});
  EXPECT_EQ(poh.text, "37054h+12m+58.233s");
  EXPECT_EQ(poh.decoded, 37054);
}

TEST(AtaRawFormat, TemperatureLayouts) {
  EXPECT_EQ(Text(F::kTempMinMax, 36), "36");
  // 00 00 HH LL xx TT (Seagate, Samsung)
  EXPECT_EQ(Text(F::kTempMinMax, 0x34150024), "36 (Min/Max 21/52)");
  // 00 00 00 HH LL TT (WDC)
  EXPECT_EQ(Text(F::kTempMinMax, 0x330024), "36 (Min/Max 0/51)");
  // xx HH xx LL xx TT (Hitachi/HGST)
  EXPECT_EQ(Text(F::kTempMinMax, 0x002700130019), "25 (Min/Max 19/39)");
  // CC CC HH LL xx TT (WDC with an over-temperature count)
  EXPECT_EQ(Text(F::kTempMinMax, 0x000534150024), "36 (Min/Max 21/52 #5)");
  // Negative minimum (Kingston SV300 prints -4).
  EXPECT_EQ(Text(F::kTempMinMax, 0x3afc002f), "47 (Min/Max -4/58)");
  // No sensible min/max: the six bytes.
  EXPECT_EQ(Text(F::kTempMinMax, 0x001200000013), "19 (0 18 0 0 0)");
  EXPECT_EQ(FormatAtaRaw(Entry(0x001200000013), {F::kTempMinMax, "", "", AtaMedia::kAny}).decoded, 19);
  EXPECT_EQ(Text(F::kTemp10x, 355), "35.5");
}

TEST(AtaRawFormat, ByteOrderPicksAndZeroesBytes) {
  // Phison "raw24/raw24:z54z10": bytes 3 and 2 are dropped.
  const AtaAttributeBytes entry = Entry(0x00010203048a);
  EXPECT_EQ(AtaOrderedRawValue(entry, {F::kRaw24DivRaw24, "z54z10", "", AtaMedia::kAny}), 0x000000000100048au);
  EXPECT_EQ(Text(F::kRaw24DivRaw24, 0x00010203048a, 0, "z54z10"), "1/1162");
}

TEST(AtaRawFormat, DefaultTableIsSmartctl73) {
  const AtaAttributeDefs& defs = DefaultAtaAttributeDefs();
  EXPECT_EQ(defs[194].name, "Temperature_Celsius");
  EXPECT_EQ(defs[194].format, F::kTempMinMax);
  EXPECT_EQ(defs[9].format, F::kRaw24OptRaw8);
  EXPECT_EQ(defs[188].format, F::kRaw48);
  EXPECT_EQ(defs[231].media, AtaMedia::kHddOnly);  // 7.2+
  EXPECT_TRUE(defs[22].name.empty());              // Helium_Level came with 7.4
  EXPECT_EQ(AtaRawFormatName(F::kMsec24Hour32), "msec24hour32");
}

}  // namespace
}  // namespace vigie::agent::smart
