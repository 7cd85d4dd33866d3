#include "agent/self_test_schedule.h"

#include <map>
#include <random>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vigie::agent {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kMinute = 60;
constexpr int64_t kDay = 86'400;
// 2026-01-04, a Sunday, 00:00 local.
constexpr LocalSeconds kSunday = 20'457 * kDay;

SelfTestWindow Window(std::string_view text) {
  Result<SelfTestWindow> window = ParseSelfTestWindow(text);
  EXPECT_TRUE(window.has_value()) << text << ": " << (window ? "" : window.error().message);
  return window.value_or(SelfTestWindow{});
}

TEST(SelfTestWindow, ParsesWhatAnAdminWritesAndSaysItBack) {
  for (const std::string_view text : {"off", "daily, 03:00-05:00", "weekly, Sun 03:00-05:00", "weekly, Fri 23:00-01:30",
                                      "monthly, Sun 02:00-06:00", "monthly, 15 02:00-06:00", "daily, 00:00-24:00"}) {
    EXPECT_EQ(SelfTestWindowText(Window(text)), text);
  }
  EXPECT_EQ(SelfTestWindowText(Window("  Weekly ,  sun   03:00-05:00 ")), "weekly, Sun 03:00-05:00");
  const SelfTestWindow late = Window("weekly, Fri 23:00-01:30");
  EXPECT_EQ(late.start_minute, 23 * 60);
  EXPECT_EQ(late.length_minutes, 150);
}

TEST(SelfTestWindow, RefusesWhatItCannotReadAndSaysWhy) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"weekly 03:00-05:00", "no ',' after the period"},
      {"hourly, 03:00-05:00", "unknown period 'hourly'"},
      {"weekly, Sunday 03:00-05:00", "unknown day 'Sunday'"},
      {"weekly, 15 03:00-05:00", "unknown day '15'"},
      {"monthly, 31 03:00-05:00", "1 to 28"},
      {"daily, 3:00-05:00", "HH:MM-HH:MM"},
      {"daily, 03:00-25:00", "HH:MM-HH:MM"},
      {"daily, 03:00-03:00", "the window is empty"},
      {"daily, 03:00", "no hours"},
  };
  for (const auto& [text, why] : cases) {
    Result<SelfTestWindow> window = ParseSelfTestWindow(text);
    ASSERT_FALSE(window.has_value()) << text;
    EXPECT_THAT(window.error().message, HasSubstr(why)) << text;
    EXPECT_THAT(window.error().message, HasSubstr("expected")) << text;
  }
}

TEST(SelfTestWindow, FindsTheOccurrenceThatHoldsATimeAcrossMidnight) {
  const SelfTestWindow window = Window("weekly, Sat 23:00-01:00");
  const LocalSeconds saturday_23h = kSunday - kDay + 23 * 3600;
  EXPECT_EQ(WindowOccurrenceAt(window, saturday_23h), saturday_23h);
  EXPECT_EQ(WindowOccurrenceAt(window, kSunday + 30 * kMinute), saturday_23h);  // Sunday 00:30
  EXPECT_EQ(WindowOccurrenceAt(window, kSunday + 60 * kMinute), std::nullopt);  // Sunday 01:00: closed
  EXPECT_EQ(WindowOccurrenceAt(window, kSunday + 23 * 3600), std::nullopt);     // Sunday 23:00: not a Saturday
}

TEST(SelfTestWindow, MonthlyOnAWeekdayIsItsFirstInTheMonth) {
  const SelfTestWindow window = Window("monthly, Sun 02:00-06:00");
  int opened = 0;
  for (int64_t day = 0; day < 365; ++day) {
    const LocalSeconds at = kSunday + day * kDay + 3 * 3600;
    if (WindowOccurrenceAt(window, at)) {
      ++opened;
      EXPECT_EQ((day % 7), 0) << "not a Sunday: day " << day;
    }
  }
  // 2026-01-04 to 2027-01-03: a first Sunday in each month, and 2027-01-03 is one too.
  EXPECT_EQ(opened, 13);
}

TEST(SelfTestWindow, CountsTheWindowsThatEndedWithoutATest) {
  const SelfTestWindow window = Window("weekly, Sun 03:00-05:00");
  EXPECT_EQ(WindowsEndedSince(window, kSunday, kSunday + 4 * 3600), 0);  // the first one still open
  EXPECT_EQ(WindowsEndedSince(window, kSunday, kSunday + 5 * 3600), 1);
  EXPECT_EQ(WindowsEndedSince(window, kSunday + 4 * 3600, kSunday + 22 * kDay), 3);
  EXPECT_EQ(WindowsEndedSince(Window("off"), 0, kSunday), 0);
}

TEST(SelfTestJitter, IsStablePerDiskInsideTheWindowAndSpreadsAHome) {
  const SelfTestWindow window = Window("weekly, Sun 03:00-05:00");
  EXPECT_EQ(SelfTestJitterSeconds(window, "rennes-1", "WD-123"), SelfTestJitterSeconds(window, "rennes-1", "WD-123"));
  std::set<int64_t> offsets;
  for (int node = 0; node < 10; ++node) {
    const int64_t jitter = SelfTestJitterSeconds(window, "rennes-" + std::to_string(node), "S1Z0");
    EXPECT_GE(jitter, 0);
    EXPECT_LE(jitter, 2 * 3600 - 15 * kMinute);
    EXPECT_EQ(jitter % kMinute, 0);
    offsets.insert(jitter);
  }
  EXPECT_GE(offsets.size(), 8u);  // ten machines of a home do not start together
  EXPECT_EQ(SelfTestJitterSeconds(Window("daily, 03:00-03:10"), "a", "b"), 0);
}

TEST(DecideSelfTest, LeavesARunningTestAndASleepingDiskAlone) {
  const SelfTestWindow window = Window("daily, 03:00-05:00");
  const LocalSeconds in_window = kSunday + 3 * 3600 + 10 * kMinute;
  EXPECT_EQ(DecideSelfTest(window, in_window, 0, {}), SelfTestDecision::kStart);
  EXPECT_EQ(DecideSelfTest(window, in_window, 0, {.last_started = std::nullopt, .disk_asleep = false, .test_running = true}), SelfTestDecision::kWaitRunning);
  EXPECT_EQ(DecideSelfTest(window, in_window, 0, {.last_started = std::nullopt, .disk_asleep = true}), SelfTestDecision::kWaitAsleep);
  EXPECT_EQ(DecideSelfTest(window, in_window, 0, {.last_started = in_window - kMinute}), SelfTestDecision::kNotDue);
  EXPECT_EQ(DecideSelfTest(window, in_window, 0, {.last_started = in_window - kDay}), SelfTestDecision::kStart);
  EXPECT_EQ(DecideSelfTest(window, in_window, 20 * kMinute, {}), SelfTestDecision::kNotDue);  // before its point
  EXPECT_EQ(DecideSelfTest(window, kSunday + 6 * 3600, 0, {}), SelfTestDecision::kNotDue);
  EXPECT_EQ(DecideSelfTest(Window("off"), in_window, 0, {}), SelfTestDecision::kNotDue);
}

// A year of an agent's disk cycles (every 5 minutes) for 20 disks, each with
// its own jitter and random naps (standby spells) and foreign tests: exactly
// one short test per week per disk while the disk is awake at some cycle of
// its window after its point, none outside the window, none while asleep,
// none while another test runs.
TEST(DecideSelfTest, AYearOfCyclesGivesOneTestPerWeekPerDiskOnlyWhenAllowed) {
  const SelfTestWindow window = Window("weekly, Sun 03:00-05:00");
  std::mt19937_64 random(14);
  constexpr int kDisks = 20;
  constexpr int64_t kCycle = 5 * kMinute;
  constexpr int64_t kTestLength = 2 * kMinute;
  for (int disk = 0; disk < kDisks; ++disk) {
    const int64_t jitter = SelfTestJitterSeconds(window, "node-" + std::to_string(disk / 4), std::to_string(disk));
    SelfTestState state;
    std::map<int64_t, int> tests_per_week;   // week index -> tests started
    std::set<int64_t> weeks_with_a_chance;    // weeks where the disk was awake and free after its point
    int64_t asleep_until = 0, foreign_until = 0;
    for (LocalSeconds now = kSunday; now < kSunday + 365 * kDay; now += kCycle) {
      if (now >= asleep_until && random() % 300 == 0) asleep_until = now + static_cast<int64_t>(random() % 8) * 3600;
      if (now >= foreign_until && random() % 4000 == 0) foreign_until = now + 10 * kMinute;
      state.disk_asleep = now < asleep_until;
      state.test_running = now < foreign_until || (state.last_started && now < *state.last_started + kTestLength);
      const std::optional<LocalSeconds> opened = WindowOccurrenceAt(window, now);
      const int64_t week = (now - kSunday) / (7 * kDay);
      const bool tested_this_window = state.last_started && opened && *state.last_started >= *opened;
      if (opened && now >= *opened + jitter && !state.disk_asleep && !state.test_running && !tested_this_window) {
        weeks_with_a_chance.insert(week);
      }
      if (DecideSelfTest(window, now, jitter, state) != SelfTestDecision::kStart) continue;
      ASSERT_TRUE(opened.has_value()) << "a test outside the window at " << now;
      ASSERT_FALSE(state.disk_asleep) << "a sleeping disk woken at " << now;
      ASSERT_FALSE(state.test_running) << "two tests at once at " << now;
      ASSERT_GE(now, *opened + jitter);
      ++tests_per_week[week];
      state.last_started = now;
    }
    for (const auto& [week, tests] : tests_per_week) EXPECT_EQ(tests, 1) << "disk " << disk << ", week " << week;
    // Every week that gave the disk a chance has its test, and no other week has one.
    std::set<int64_t> weeks_tested;
    for (const auto& [week, tests] : tests_per_week) weeks_tested.insert(week);
    EXPECT_EQ(weeks_tested, weeks_with_a_chance) << "disk " << disk;
    EXPECT_GE(weeks_tested.size(), 40u) << "disk " << disk;  // naps cost some weeks, not most
  }
}

}  // namespace
}  // namespace vigie::agent
