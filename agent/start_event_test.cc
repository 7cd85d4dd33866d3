#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

#include "agent/agent.h"
#include "tests/testing/testing.h"

namespace vigie::agent {
namespace {

constexpr const char* kBootA = "6ef63991-7ee5-4c0b-81a3-e6c91f946998";
constexpr const char* kBootB = "0b7a6a4e-2f9d-4d55-9a4c-3c1f0d2e8b11";
constexpr int64_t kNowMs = 1'764'000'000'000;

TEST(StartedEvent, AFirstStartNamesNoPreviousBoot) {
  testing::TempDir dir;
  const v1::Event event = StartedEvent(dir.path() / "state", kBootA, kNowMs);
  EXPECT_EQ(event.kind(), v1::Event::AGENT_STARTED);
  EXPECT_FALSE(event.previous_shutdown_clean());
  EXPECT_EQ(event.previous_boot_id(), "");
}

TEST(StartedEvent, AfterACleanStopItSaysCleanAndNamesThatBoot) {
  testing::TempDir dir;
  StartedEvent(dir.path(), kBootA, kNowMs);
  WriteCleanShutdownMarker(dir.path(), kBootA);
  const v1::Event event = StartedEvent(dir.path(), kBootB, kNowMs);
  EXPECT_TRUE(event.previous_shutdown_clean());
  EXPECT_EQ(event.previous_boot_id(), kBootA);
}

TEST(StartedEvent, AfterAPowerLossItSaysUncleanAndNamesThePreviousBoot) {
  testing::TempDir dir;
  StartedEvent(dir.path(), kBootA, kNowMs);  // then killed: no marker
  const v1::Event event = StartedEvent(dir.path(), kBootB, kNowMs);
  EXPECT_FALSE(event.previous_shutdown_clean());
  EXPECT_EQ(event.previous_boot_id(), kBootA);
}

TEST(StartedEvent, AfterAnAgentCrashThePreviousBootIsThisOne) {
  testing::TempDir dir;
  StartedEvent(dir.path(), kBootA, kNowMs);
  const v1::Event event = StartedEvent(dir.path(), kBootA, kNowMs);
  EXPECT_FALSE(event.previous_shutdown_clean());
  EXPECT_EQ(event.previous_boot_id(), kBootA);
}

TEST(StartedEvent, TheMarkerCountsForOneStartOnly) {
  testing::TempDir dir;
  StartedEvent(dir.path(), kBootA, kNowMs);
  WriteCleanShutdownMarker(dir.path(), kBootA);
  StartedEvent(dir.path(), kBootA, kNowMs);
  EXPECT_FALSE(StartedEvent(dir.path(), kBootB, kNowMs).previous_shutdown_clean());
}

TEST(StartedEvent, ARestartInTheSameBootWritesNothing) {
  testing::TempDir dir;
  StartedEvent(dir.path(), kBootA, kNowMs);
  const std::filesystem::path boot_id_file = dir.path() / "boot-id";
  ASSERT_TRUE(std::filesystem::exists(boot_id_file));
  const auto long_ago = std::filesystem::file_time_type::clock::now() - std::chrono::hours(24);
  std::filesystem::last_write_time(boot_id_file, long_ago);
  StartedEvent(dir.path(), kBootA, kNowMs);
  EXPECT_EQ(std::filesystem::last_write_time(boot_id_file), long_ago);
}

}  // namespace
}  // namespace vigie::agent
