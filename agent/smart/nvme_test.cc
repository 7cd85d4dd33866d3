#include <array>

#include <gtest/gtest.h>

#include "agent/smart/nvme_health.h"
#include "agent/smart/nvme_identify.h"

namespace vigie::agent::smart {
namespace {

template <size_t N>
void Put(std::array<std::byte, N>& page, size_t offset, Uint128 value, size_t size) {
  for (size_t i = 0; i < size; ++i) page[offset + i] = static_cast<std::byte>(value >> (8 * i));
}

TEST(NvmeHealth, DecodesEveryFieldAtItsOffset) {
  std::array<std::byte, 512> page{};
  Put(page, 0, 0x14, 1);
  Put(page, 1, 310, 2);
  Put(page, 3, 99, 1);
  Put(page, 4, 10, 1);
  Put(page, 5, 255, 1);
  Put(page, 32, 1, 16);
  Put(page, 48, 2, 16);
  Put(page, 64, 3, 16);
  Put(page, 80, 4, 16);
  Put(page, 96, 5, 16);
  Put(page, 112, 6, 16);
  Put(page, 128, 7, 16);
  Put(page, 144, 8, 16);
  Put(page, 160, Uint128{1} << 100, 16);
  Put(page, 176, 10, 16);
  Put(page, 192, 11, 4);
  Put(page, 196, 12, 4);
  Put(page, 202, 300, 2);  // sensor 2 only
  const Result<NvmeHealth> h = ParseNvmeHealth(page);
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->critical_warning, kNvmeWarnVolatileBackupFailed | kNvmeWarnReliabilityDegraded);
  EXPECT_EQ(h->composite_temperature_kelvin, 310);
  EXPECT_EQ(KelvinToCelsius(h->composite_temperature_kelvin), 37);
  EXPECT_EQ(h->available_spare_percent, 99);
  EXPECT_EQ(h->available_spare_threshold_percent, 10);
  EXPECT_EQ(h->percentage_used, 255);
  EXPECT_EQ(h->data_units_read, 1u);
  EXPECT_EQ(h->data_units_written, 2u);
  EXPECT_EQ(h->host_read_commands, 3u);
  EXPECT_EQ(h->host_write_commands, 4u);
  EXPECT_EQ(h->controller_busy_time_minutes, 5u);
  EXPECT_EQ(h->power_cycles, 6u);
  EXPECT_EQ(h->power_on_hours, 7u);
  EXPECT_EQ(h->unsafe_shutdowns, 8u);
  EXPECT_EQ(Uint128ToString(h->media_errors), "1267650600228229401496703205376");
  EXPECT_EQ(SaturateToUint64(h->media_errors), UINT64_MAX);
  EXPECT_EQ(h->error_log_entries, 10u);
  EXPECT_EQ(h->warning_temperature_minutes, 11u);
  EXPECT_EQ(h->critical_temperature_minutes, 12u);
  EXPECT_EQ(h->temperature_sensors_kelvin[0], 0);
  EXPECT_EQ(h->temperature_sensors_kelvin[1], 300);
}

TEST(NvmeHealth, EmptyPagesAreErrors) {
  std::array<std::byte, 512> page{};
  EXPECT_FALSE(ParseNvmeHealth(page));
  page.fill(std::byte{0xff});
  const Result<NvmeHealth> h = ParseNvmeHealth(page);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, ErrorCode::kMalformed);
}

TEST(NvmeIdentify, RejectsNonAsciiModel) {
  std::array<std::byte, 4096> page{};
  Put(page, 24, 0xfffefd, 3);
  const Result<NvmeIdentifyController> id = ParseNvmeIdentifyController(page);
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().message, "NVMe Identify Controller: model number is empty or not ASCII");
}

TEST(NvmeIdentify, TotalCapacityAbsentWhenZero) {
  std::array<std::byte, 4096> page{};
  const std::string model = "PC300 NVMe SK hynix 256GB               ";
  for (size_t i = 0; i < model.size(); ++i) page[24 + i] = static_cast<std::byte>(model[i]);
  const Result<NvmeIdentifyController> id = ParseNvmeIdentifyController(page);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->model, "PC300 NVMe SK hynix 256GB");
  EXPECT_FALSE(id->total_capacity_bytes);
  Put(page, 280, Uint128{1} << 70, 16);
  EXPECT_EQ(ParseNvmeIdentifyController(page)->total_capacity_bytes, UINT64_MAX);
}

}  // namespace
}  // namespace vigie::agent::smart
