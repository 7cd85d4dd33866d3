// No input crashes a decoder: random pages, pages of the wrong length, and
// real pages with one byte flipped. Run under ASan/UBSan (VIGIE_SANITIZE=ON)
// this also proves no read outside the page.
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "agent/smart/ata_drivedb.h"
#include "agent/smart/ata_identify.h"
#include "agent/smart/ata_logs.h"
#include "agent/smart/ata_smart.h"
#include "agent/smart/fixture_expectations.h"
#include "agent/smart/nvme_health.h"
#include "agent/smart/nvme_identify.h"

namespace vigie::agent::smart {
namespace {

// Runs every 512-byte decoder on `page`; returns how many accepted it.
int DecodeAll512(Page512 page) {
  int accepted = 0;
  AtaDecodeOptions lenient;
  lenient.ignore_checksum = true;
  const AtaAttributeDefs defs = AtaAttributeDefsFor(FindAtaDrivePreset("ST3000DM001-1ER166", "CC26"));
  lenient.defs = &defs;
  if (Result<AtaSmartData> d = ParseAtaSmartData(page, &page, lenient)) {
    ++accepted;
    (void)AtaTemperatureCelsius(d->attributes);
  }
  accepted += ParseAtaSmartData(page, nullptr).has_value();
  accepted += ParseAtaIdentify(page).has_value();
  accepted += ParseAtaSummaryErrorLog(page, true).has_value();
  accepted += ParseAtaSelfTestLog(page, true).has_value();
  accepted += ParseAtaExtendedSelfTestLog(page, true).has_value();
  accepted += ParseAtaExtendedErrorLog(page, true).has_value();
  accepted += ParseNvmeHealth(page).has_value();
  return accepted;
}

TEST(Robustness, RandomPagesNeverCrash) {
  std::mt19937_64 random(20261125);
  std::vector<std::byte> bytes(4096);
  int accepted = 0;
  for (int round = 0; round < 2000; ++round) {
    for (std::byte& b : bytes) b = static_cast<std::byte>(random());
    accepted += DecodeAll512(Page512(bytes.data(), 512));
    accepted += ParseNvmeIdentifyController(Page4096(bytes.data(), 4096)).has_value();
    accepted += ParseAtaExtendedSelfTestLog(bytes, true).has_value();
  }
  // Random bytes are mostly accepted by the lenient paths: what matters is
  // that every call returned.
  EXPECT_GT(accepted, 0);
}

TEST(Robustness, WrongLengthsAreMalformed) {
  const std::vector<std::byte> bytes(4097);
  for (size_t size : {size_t{0}, size_t{1}, size_t{511}, size_t{513}, size_t{4096}}) {
    const Result<Page512> page = ToPage512(std::span(bytes.data(), size), "test page");
    ASSERT_FALSE(page) << size;
    EXPECT_EQ(page.error().code, ErrorCode::kMalformed);
  }
  EXPECT_EQ(ToPage512(std::span(bytes.data(), 300), "SMART READ DATA").error().message,
            "SMART READ DATA: 300 bytes, expected 512");
  EXPECT_FALSE(ToPage4096(std::span(bytes.data(), 4095), "identify"));
  EXPECT_TRUE(ToPage4096(std::span(bytes.data(), 4096), "identify"));
}

TEST(Robustness, FlippedBytesOfRealPagesAreCaughtByTheChecksum) {
  const testing::Bytes real = testing::ReadSmartFixture("seagate_st3000dm001_pending_uncorrectable", "smart_data.bin");
  ASSERT_EQ(real.size(), 512u);
  for (size_t i = 0; i < real.size(); ++i) {
    testing::Bytes flipped = real;
    flipped[i] ^= std::byte{0x10};
    const Result<AtaSmartData> decoded = ParseAtaSmartData(Page512(flipped.data(), 512), nullptr);
    ASSERT_FALSE(decoded) << "byte " << i;
    EXPECT_EQ(decoded.error().code, ErrorCode::kMalformed);
    (void)DecodeAll512(Page512(flipped.data(), 512));
  }
}

}  // namespace
}  // namespace vigie::agent::smart
