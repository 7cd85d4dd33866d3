#include "agent/smart/nvme_self_test.h"

#include <array>

#include <gtest/gtest.h>

namespace vigie::agent::smart {
namespace {

// A log page laid out as the specification's figures say, field by field.
class SelfTestPage {
 public:
  SelfTestPage() {
    // Every entry unused until written, as a drive that never ran a test.
    for (size_t i = 0; i < 20; ++i) bytes_[4 + i * 28] = std::byte{0x0F};
  }
  SelfTestPage& Current(uint8_t code, uint8_t percent) {
    bytes_[0] = std::byte{code};
    bytes_[1] = std::byte{percent};
    return *this;
  }
  SelfTestPage& Entry(size_t i, uint8_t status, uint8_t segment, uint8_t valid, uint64_t hours, uint32_t nsid,
                      uint64_t lba, uint8_t sct, uint8_t sc) {
    const size_t at = 4 + i * 28;
    bytes_[at] = std::byte{status};
    bytes_[at + 1] = std::byte{segment};
    bytes_[at + 2] = std::byte{valid};
    Store(at + 4, hours, 8);
    Store(at + 12, nsid, 4);
    Store(at + 16, lba, 8);
    bytes_[at + 24] = std::byte{sct};
    bytes_[at + 25] = std::byte{sc};
    return *this;
  }
  std::span<const std::byte> bytes() const { return bytes_; }

 private:
  void Store(size_t at, uint64_t value, size_t size) {
    for (size_t i = 0; i < size; ++i) bytes_[at + i] = std::byte{static_cast<uint8_t>(value >> (8 * i))};
  }
  std::array<std::byte, kNvmeSelfTestLogBytes> bytes_{};
};

TEST(NvmeSelfTestLog, ADriveThatNeverRanATestHasNoResult) {
  Result<NvmeSelfTestLog> log = ParseNvmeSelfTestLog(SelfTestPage().bytes());
  ASSERT_TRUE(log.has_value());
  EXPECT_EQ(log->current_code, 0);
  EXPECT_TRUE(log->results.empty());
}

TEST(NvmeSelfTestLog, ReadsTheRunningTestAndEachResultNewestFirst) {
  SelfTestPage page;
  page.Current(0x02, 0x80 | 37)  // extended, 37 %; bit 7 is reserved
      .Entry(0, 0x10, 0, 0x00, 12'345, 0, 0, 0, 0)                      // short, no error
      .Entry(1, 0x27, 3, 0x0F, 12'001, 1, 0x1234'5678'9AULL, 0x2, 0x81)  // extended, failed segment 3
      .Entry(2, 0x11, 0, 0x00, 11'000, 0, 0, 0, 0);                     // short, aborted by a command
  Result<NvmeSelfTestLog> log = ParseNvmeSelfTestLog(page.bytes());
  ASSERT_TRUE(log.has_value());
  EXPECT_EQ(log->current_code, static_cast<uint8_t>(NvmeSelfTestCode::kExtended));
  EXPECT_EQ(log->current_percent_done, 37);
  ASSERT_EQ(log->results.size(), 3u);

  EXPECT_EQ(log->results[0].code, static_cast<uint8_t>(NvmeSelfTestCode::kShort));
  EXPECT_EQ(log->results[0].result, 0);
  EXPECT_FALSE(log->results[0].Failed());
  EXPECT_EQ(log->results[0].power_on_hours, 12'345u);
  EXPECT_FALSE(log->results[0].failing_lba.has_value());

  const NvmeSelfTestResult& failed = log->results[1];
  EXPECT_EQ(failed.code, static_cast<uint8_t>(NvmeSelfTestCode::kExtended));
  EXPECT_TRUE(failed.Failed());
  EXPECT_EQ(failed.segment, 3);
  EXPECT_EQ(failed.namespace_id, 1u);
  EXPECT_EQ(failed.failing_lba, 0x1234'5678'9AULL);
  EXPECT_EQ(failed.status_code_type, 0x2);
  EXPECT_EQ(failed.status_code, 0x81);
  EXPECT_EQ(NvmeSelfTestResultText(failed.result), "Completed: failed segments");

  EXPECT_FALSE(log->results[2].Failed());  // an aborted test says nothing of the disk
  EXPECT_EQ(NvmeSelfTestResultText(log->results[2].result), "Aborted: Device Self-test command");
}

TEST(NvmeSelfTestLog, KeepsEveryUsedEntryAcrossHolesAndRefusesAWrongSize) {
  SelfTestPage page;
  page.Entry(19, 0x15, 0, 0, 9, 0, 0, 0, 0);  // only the oldest slot used
  Result<NvmeSelfTestLog> log = ParseNvmeSelfTestLog(page.bytes());
  ASSERT_TRUE(log.has_value());
  ASSERT_EQ(log->results.size(), 1u);
  EXPECT_TRUE(log->results[0].Failed());  // 5h, a fatal test error

  Result<NvmeSelfTestLog> short_page = ParseNvmeSelfTestLog(page.bytes().first(512));
  ASSERT_FALSE(short_page.has_value());
  EXPECT_EQ(short_page.error().message, "NVMe self-test log: 512 bytes, expected 564");
  EXPECT_EQ(NvmeSelfTestResultText(0xA), "Reserved");
}

}  // namespace
}  // namespace vigie::agent::smart
