// When a disk's SMART self-test may start: a period and a quiet window in the
// node's local time, as an admin writes it in agent.toml's [disks]:
//
//   "off"
//   "daily, 03:00-05:00"
//   "weekly, Sun 03:00-05:00"
//   "monthly, Sun 02:00-06:00"   the first Sunday of each month
//   "monthly, 15 02:00-06:00"    the 15th of each month
//
// A window may cross midnight ("23:00-01:00"); it then belongs to the day it
// starts on. Each disk of each node starts at its own point of the window
// (`jitter`, stable per node and disk), so that the machines of one home do
// not all test at once.
//
// The decision is a pure function of time, the window, the last run, the
// disk's power mode and whether a test is running: the agent's disk source
// asks it every disk cycle, and tests run it over a simulated year.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace vigie::agent {

struct SelfTestWindow {
  enum class Period { kOff, kDaily, kWeekly, kMonthly };
  Period period = Period::kOff;
  int weekday = -1;       // 0 Sunday .. 6 Saturday: weekly, and monthly's first <weekday>
  int day_of_month = -1;  // 1..28: monthly on a date (29-31 do not exist every month)
  int start_minute = 0;   // minutes after local midnight
  int length_minutes = 0; // 1 .. 24 h
};

// The window written as above, or an error that says what is wrong with it
// and what is expected.
Result<SelfTestWindow> ParseSelfTestWindow(std::string_view text);

// The window as ParseSelfTestWindow reads it back.
std::string SelfTestWindowText(const SelfTestWindow& window);

// Local civil time as seconds since 1970-01-01 00:00 local (UTC plus the
// zone's offset at that moment): what localtime_r's fields give, flattened.
using LocalSeconds = int64_t;

// The start of the occurrence of `window` that holds `now` (now within
// [start, start + length)), or nullopt when `now` is outside every one.
std::optional<LocalSeconds> WindowOccurrenceAt(const SelfTestWindow& window, LocalSeconds now);

// How many occurrences of `window` began after `since` and ended by `now`:
// the windows a test could have run in and did not.
int64_t WindowsEndedSince(const SelfTestWindow& window, LocalSeconds since, LocalSeconds now);

// A stable offset into the window for one disk of one node, below
// length - 15 minutes (so that even a short test ends inside the window),
// from a hash of the two names.
int64_t SelfTestJitterSeconds(const SelfTestWindow& window, std::string_view node_id, std::string_view disk_serial);

struct SelfTestState {
  std::optional<LocalSeconds> last_started;  // this kind's last start on this disk, by anyone
  bool disk_asleep = false;                  // standby or sleep: never woken for a test
  bool test_running = false;                 // any self-test, started by anyone
};

enum class SelfTestDecision {
  kStart,          // start it now
  kNotDue,         // outside the window, before this disk's point in it, or already run in it
  kWaitAsleep,     // due, but the disk sleeps: left alone, tried again next cycle of this window
  kWaitRunning,    // due, but a test is running: never two at once
};

SelfTestDecision DecideSelfTest(const SelfTestWindow& window, LocalSeconds now, int64_t jitter_seconds,
                                const SelfTestState& state);

}  // namespace vigie::agent
