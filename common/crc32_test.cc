#include "common/crc32.h"

#include <gtest/gtest.h>

namespace vigie {
namespace {

TEST(Crc32, MatchesTheStandardCheckValue) {
  // The CRC-32 catalogue's check value: CRC of the ASCII digits "123456789".
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(""), 0u);
}

TEST(Crc32, CanBeComputedInPieces) {
  EXPECT_EQ(Crc32("6789", Crc32("12345")), Crc32("123456789"));
}

}  // namespace
}  // namespace vigie
