#include "collector/seeded_hash.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace vigie::collector {
namespace {

TEST(SeededHash, EveryByteOfEverySizeChangesTheHash) {
  for (size_t size = 1; size <= 70; ++size) {
    const std::string base(size, 'a');
    std::unordered_set<uint64_t> hashes = {SeededHash(base)};
    for (size_t at = 0; at < size; ++at) {
      std::string changed = base;
      changed[at] = 'b';
      hashes.insert(SeededHash(changed));
    }
    EXPECT_EQ(hashes.size(), size + 1) << "size " << size;
  }
}

TEST(SeededHash, TheSizeAndTheExtraWordChangeTheHash) {
  EXPECT_NE(SeededHash(std::string_view("\0", 1)), SeededHash(""));
  EXPECT_NE(SeededHash(std::string(16, '\0')), SeededHash(std::string(17, '\0')));
  EXPECT_NE(SeededHash("x", 1), SeededHash("x", 2));
  EXPECT_EQ(SeededHash("x", 1), SeededHash(std::string("x"), 1));
}

// Issue 14: strings alike in their first and last 8 bytes and their size
// all fell in one slot of NodeSeries' table.
TEST(SeededHash, StringsAlikeButInTheirMiddleSpreadOverTheSlots) {
  constexpr size_t kStrings = 16'000;
  constexpr uint64_t kSlots = 1 << 15;
  std::unordered_map<uint64_t, int> per_slot;
  for (size_t i = 0; i < kStrings; ++i) ++per_slot[SeededHash(fmt::format("/srv/aaa{:08d}bbbbbbbb", i)) % kSlots];
  int fullest = 0;
  for (const auto& [slot, count] : per_slot) fullest = std::max(fullest, count);
  // About 7 for a random function; far from all 16 000.
  EXPECT_LT(fullest, 24);
}

}  // namespace
}  // namespace vigie::collector
