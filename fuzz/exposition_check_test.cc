#include "fuzz/exposition_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/testing.h"

namespace vigie::fuzz {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kHeader = "# HELP vigie_x An x.\n# TYPE vigie_x gauge\n";

TEST(ExpositionFault, AcceptsTheGoldenPage) {
  EXPECT_EQ(ExpositionFault(vigie::testing::ReadFixture("metrics/two_nodes.txt"), true), "");
}

TEST(ExpositionFault, AcceptsEscapedLabelValuesAndSpecialValues) {
  const std::string page = std::string(kHeader) + "vigie_x{a=\"q\\\"\\\\\\n\",b=\"\"} NaN\nvigie_x -Inf\nvigie_x 1e-05\n";
  EXPECT_EQ(ExpositionFault(page, true), "");
}

TEST(ExpositionFault, NamesARawNewlineInALabelValue) {
  const std::string page = std::string(kHeader) + "vigie_x{a=\"one\ntwo\"} 1\n";
  EXPECT_THAT(ExpositionFault(page, false), HasSubstr("malformed labels (line 3"));
}

TEST(ExpositionFault, NamesAnUnknownEscape) {
  EXPECT_THAT(ExpositionFault(std::string(kHeader) + "vigie_x{a=\"\\t\"} 1\n", false), HasSubstr("malformed labels"));
}

TEST(ExpositionFault, NamesASampleOutsideItsFamily) {
  EXPECT_THAT(ExpositionFault(std::string(kHeader) + "vigie_y 1\n", false), HasSubstr("a sample outside its family"));
}

TEST(ExpositionFault, NamesAFamilyDeclaredTwice) {
  EXPECT_THAT(ExpositionFault(std::string(kHeader) + "vigie_x 1\n" + std::string(kHeader), false),
              HasSubstr("a family declared twice"));
}

TEST(ExpositionFault, NamesAMalformedValue) {
  EXPECT_THAT(ExpositionFault(std::string(kHeader) + "vigie_x 1 2\n", false), HasSubstr("a malformed value"));
}

TEST(ExpositionFault, NamesInvalidUtf8OnlyWhenAskedTo) {
  const std::string page = std::string(kHeader) + "vigie_x{a=\"\xff\"} 1\n";
  EXPECT_EQ(ExpositionFault(page, false), "");
  EXPECT_THAT(ExpositionFault(page, true), HasSubstr("not printable UTF-8 (line 3"));
}

TEST(ExpositionFault, NamesAPageCutMidLine) {
  EXPECT_THAT(ExpositionFault(std::string(kHeader) + "vigie_x 1", false), HasSubstr("does not end with a newline"));
}

}  // namespace
}  // namespace vigie::fuzz
