#include "common/printable.h"

#include <gtest/gtest.h>

namespace vigie {
namespace {

TEST(PrintableUtf8, KeepsPrintableTextAsItIs) {
  EXPECT_TRUE(IsPrintableUtf8("WDC WD3200BEKT-08PVMT1 ° ß 温度 🙂"));
  EXPECT_EQ(PrintableUtf8("Samsung SSD 870 EVO — 500 Go"), "Samsung SSD 870 EVO — 500 Go");
}

TEST(PrintableUtf8, ReplacesControlCharactersThatCouldForgeALineOrAnEscape) {
  EXPECT_FALSE(IsPrintableUtf8("sda\nBcc: x@example.org"));
  EXPECT_EQ(PrintableUtf8("sda\r\nBcc: x"), "sda\uFFFD\uFFFDBcc: x");
  EXPECT_EQ(PrintableUtf8("\x1b[31mred"), "\uFFFD[31mred");
  EXPECT_EQ(PrintableUtf8(std::string_view("a\0b", 3)), "a\uFFFDb");
  EXPECT_EQ(PrintableUtf8("del\x7f"), "del\uFFFD");
  EXPECT_EQ(PrintableUtf8("c1\xC2\x85"), "c1\uFFFD");  // U+0085, NEXT LINE
}

TEST(PrintableUtf8, ReplacesEachInvalidByteOfARealDrivesSerial) {
  EXPECT_FALSE(IsPrintableUtf8("S1Z\xff\xfe"));
  EXPECT_EQ(PrintableUtf8("S1Z\xff\xfe"), "S1Z\uFFFD\uFFFD");
  EXPECT_EQ(PrintableUtf8("\xC0\xAF"), "\uFFFD\uFFFD");          // overlong '/'
  EXPECT_EQ(PrintableUtf8("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");  // a surrogate
  EXPECT_EQ(PrintableUtf8("\xE2\x82"), "\uFFFD\uFFFD");          // cut short
  EXPECT_EQ(PrintableUtf8("\xF4\x90\x80\x80"), "\uFFFD\uFFFD\uFFFD\uFFFD");  // past U+10FFFF
}

TEST(PrintableUtf8, CutsAtACharacterBoundary) {
  EXPECT_EQ(PrintableUtf8("abcdef", 4), "abcd");
  EXPECT_EQ(PrintableUtf8("ab°cd", 3), "ab");  // '°' is two bytes and would not fit whole
  EXPECT_EQ(PrintableUtf8("ab\xff", 4), "ab");
  EXPECT_EQ(PrintableUtf8("", 0), "");
  EXPECT_TRUE(IsPrintableUtf8(PrintableUtf8(std::string(100000, '\xff'), 1000)));
}

TEST(ValidUtf8, ReplacesOnlyInvalidBytesAndKeepsControlCharacters) {
  EXPECT_TRUE(IsValidUtf8("a\nb °"));
  EXPECT_FALSE(IsValidUtf8("a\xff"));
  EXPECT_EQ(ValidUtf8("a\n\xff°"), "a\n\uFFFD°");
}

}  // namespace
}  // namespace vigie
