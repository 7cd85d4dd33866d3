#include "common/log.h"

#include <string>

#include <gtest/gtest.h>

namespace vigie {
namespace {

TEST(FormatLogLine, PrefixesThePriorityForJournaldOrTheWordForATerminal) {
  EXPECT_EQ(FormatLogLine(LogLevel::kError, "disk sda: 8 reallocated", false), "<3>disk sda: 8 reallocated\n");
  EXPECT_EQ(FormatLogLine(LogLevel::kWarning, "slow", true), "warning: slow\n");
}

TEST(FormatLogLine, KeepsPrintableUtf8AsItIs) {
  EXPECT_EQ(FormatLogLine(LogLevel::kInfo, "capteur « CPU » à 45 °C 温度", false), "<6>capteur « CPU » à 45 °C 温度\n");
}

TEST(FormatLogLine, EscapesANewlineSoThatAQuotedStringCannotForgeAnEntry) {
  const std::string line =
      FormatLogLine(LogLevel::kInfo, "model 'X\n<0>node rennes-1 is on fire\r' read", /*terminal=*/false);
  EXPECT_EQ(line, "<6>model 'X\\x0a<0>node rennes-1 is on fire\\x0d' read\n");
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(FormatLogLine, EscapesTerminalControlsAndInvalidBytesOneByOne) {
  EXPECT_EQ(FormatLogLine(LogLevel::kInfo, "\x1b[2Jred\x7f", true), "\\x1b[2Jred\\x7f\n");
  EXPECT_EQ(FormatLogLine(LogLevel::kInfo, std::string_view("a\0b", 3), true), "a\\x00b\n");
  EXPECT_EQ(FormatLogLine(LogLevel::kInfo, "c1 \xC2\x9B" "31m", true), "c1 \\xc2\\x9b31m\n");  // U+009B, CSI
  // A stray byte before a valid character: the character survives.
  EXPECT_EQ(FormatLogLine(LogLevel::kInfo, "S1Z\xff\xe9t\xc3\xa9", true), "S1Z\\xff\\xe9t\xc3\xa9\n");
  EXPECT_EQ(FormatLogLine(LogLevel::kInfo, "cut \xE2\x82", true), "cut \\xe2\\x82\n");
}

TEST(FormatLogLine, IsLinearInAHostileMessage) {
  const std::string hostile(1 << 20, '\xff');
  const std::string line = FormatLogLine(LogLevel::kInfo, hostile, true);
  EXPECT_EQ(line.size(), 4u * hostile.size() + 1);
}

}  // namespace
}  // namespace vigie
