#include "agent/self_test_schedule.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cctype>

#include <fmt/format.h>

namespace vigie::agent {
namespace {

constexpr int64_t kDay = 86'400;
constexpr std::array<std::string_view, 7> kWeekdays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
// Even a short test (about two minutes) ends inside the window.
constexpr int64_t kTestRoomSeconds = 15 * 60;

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// "HH:MM" (00:00 .. 24:00) as minutes, or -1.
int ParseClock(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return -1;
  for (const size_t i : {0, 1, 3, 4}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return -1;
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) return -1;
  return hours * 60 + minutes;
}

int ParseWeekday(std::string_view text) {
  for (size_t i = 0; i < kWeekdays.size(); ++i) {
    if (EqualsIgnoringCase(text, kWeekdays[i])) return static_cast<int>(i);
  }
  return -1;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Whether the window opens on day `day` (days since 1970-01-01, a Thursday).
bool OpensOn(const SelfTestWindow& window, int64_t day) {
  const int weekday = static_cast<int>(((day + 4) % 7 + 7) % 7);
  switch (window.period) {
    case SelfTestWindow::Period::kOff: return false;
    case SelfTestWindow::Period::kDaily: return true;
    case SelfTestWindow::Period::kWeekly: return weekday == window.weekday;
    case SelfTestWindow::Period::kMonthly: {
      const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{day}}};
      const int day_of_month = static_cast<int>(static_cast<unsigned>(date.day()));
      if (window.day_of_month > 0) return day_of_month == window.day_of_month;
      return weekday == window.weekday && day_of_month <= 7;
    }
  }
  return false;
}

}  // namespace

Result<SelfTestWindow> ParseSelfTestWindow(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Fail(ErrorCode::kMalformed,
                fmt::format("'{}': {}; expected \"off\", \"daily, 03:00-05:00\", \"weekly, Sun 03:00-05:00\", "
                            "\"monthly, Sun 03:00-05:00\" (the first Sunday) or \"monthly, 15 03:00-05:00\"",
                            text, why));
  };
  SelfTestWindow window;
  if (EqualsIgnoringCase(Trim(text), "off")) return window;
  const size_t comma = text.find(',');
  if (comma == std::string_view::npos) return bad("no ',' after the period");
  const std::string_view period = Trim(text.substr(0, comma));
  std::string_view rest = Trim(text.substr(comma + 1));
  if (EqualsIgnoringCase(period, "daily")) {
    window.period = SelfTestWindow::Period::kDaily;
  } else if (EqualsIgnoringCase(period, "weekly")) {
    window.period = SelfTestWindow::Period::kWeekly;
  } else if (EqualsIgnoringCase(period, "monthly")) {
    window.period = SelfTestWindow::Period::kMonthly;
  } else {
    return bad(fmt::format("unknown period '{}'", period));
  }
  if (window.period != SelfTestWindow::Period::kDaily) {
    const size_t space = rest.find(' ');
    if (space == std::string_view::npos) return bad("no day before the hours");
    const std::string_view day = rest.substr(0, space);
    rest = Trim(rest.substr(space + 1));
    window.weekday = ParseWeekday(day);
    if (window.weekday < 0 && window.period == SelfTestWindow::Period::kMonthly && !day.empty() && day.size() <= 2 &&
        std::isdigit(static_cast<unsigned char>(day[0])) && std::isdigit(static_cast<unsigned char>(day.back()))) {
      window.day_of_month = day.size() == 1 ? day[0] - '0' : (day[0] - '0') * 10 + (day[1] - '0');
      if (window.day_of_month < 1 || window.day_of_month > 28) {
        return bad("a day of the month must be 1 to 28 (every month has it)");
      }
    } else if (window.weekday < 0) {
      return bad(fmt::format("unknown day '{}' (Sun, Mon, Tue, Wed, Thu, Fri, Sat{})", day,
                             window.period == SelfTestWindow::Period::kMonthly ? " or 1 to 28" : ""));
    }
  }
  const size_t dash = rest.find('-');
  if (dash == std::string_view::npos) return bad("no hours HH:MM-HH:MM");
  const int start = ParseClock(Trim(rest.substr(0, dash)));
  const int end = ParseClock(Trim(rest.substr(dash + 1)));
  if (start < 0 || end < 0 || start == 24 * 60) return bad("hours must be HH:MM-HH:MM, from 00:00 to 24:00");
  if (start == end) return bad("the window is empty");
  window.start_minute = start;
  window.length_minutes = end > start ? end - start : end + 24 * 60 - start;
  return window;
}

std::string SelfTestWindowText(const SelfTestWindow& window) {
  const auto clock = [](int minutes) { return fmt::format("{:02}:{:02}", minutes / 60 % 24, minutes % 60); };
  const int end = window.start_minute + window.length_minutes;
  const std::string hours =
      fmt::format("{}-{}", clock(window.start_minute), end == 24 * 60 ? std::string("24:00") : clock(end));
  switch (window.period) {
    case SelfTestWindow::Period::kOff: return "off";
    case SelfTestWindow::Period::kDaily: return "daily, " + hours;
    case SelfTestWindow::Period::kWeekly:
      return fmt::format("weekly, {} {}", kWeekdays[static_cast<size_t>(window.weekday)], hours);
    case SelfTestWindow::Period::kMonthly:
      if (window.day_of_month > 0) return fmt::format("monthly, {} {}", window.day_of_month, hours);
      return fmt::format("monthly, {} {}", kWeekdays[static_cast<size_t>(window.weekday)], hours);
  }
  return "off";
}

std::optional<LocalSeconds> WindowOccurrenceAt(const SelfTestWindow& window, LocalSeconds now) {
  if (window.period == SelfTestWindow::Period::kOff) return std::nullopt;
  const int64_t today = FloorDiv(now, kDay);
  // A window crossing midnight may have opened the day before.
  for (const int64_t day : {today, today - 1}) {
    const LocalSeconds start = day * kDay + int64_t{window.start_minute} * 60;
    if (OpensOn(window, day) && now >= start && now < start + int64_t{window.length_minutes} * 60) return start;
  }
  return std::nullopt;
}

int64_t WindowsEndedSince(const SelfTestWindow& window, LocalSeconds since, LocalSeconds now) {
  if (window.period == SelfTestWindow::Period::kOff || now <= since) return 0;
  // Ten years of days at most: a test "never run" counts from then.
  since = std::max(since, now - 3653 * kDay);
  int64_t count = 0;
  for (int64_t day = FloorDiv(since, kDay); day <= FloorDiv(now, kDay); ++day) {
    const LocalSeconds start = day * kDay + int64_t{window.start_minute} * 60;
    if (OpensOn(window, day) && start > since && start + int64_t{window.length_minutes} * 60 <= now) ++count;
  }
  return count;
}

int64_t SelfTestJitterSeconds(const SelfTestWindow& window, std::string_view node_id, std::string_view disk_serial) {
  const int64_t room = int64_t{window.length_minutes} * 60 - kTestRoomSeconds;
  if (room <= 0) return 0;
  // FNV-1a: stable across runs and builds, which std::hash need not be.
  uint64_t hash = 0xcbf29ce484222325;
  const auto mix = [&](std::string_view text) {
    for (const char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3;
  };
  mix(node_id);
  mix(std::string_view("\0", 1));
  mix(disk_serial);
  // Whole minutes: a log line that says when is easier to read.
  return static_cast<int64_t>(hash % static_cast<uint64_t>(room / 60 + 1)) * 60;
}

SelfTestDecision DecideSelfTest(const SelfTestWindow& window, LocalSeconds now, int64_t jitter_seconds,
                                const SelfTestState& state) {
  const std::optional<LocalSeconds> opened = WindowOccurrenceAt(window, now);
  if (!opened || now < *opened + jitter_seconds) return SelfTestDecision::kNotDue;
  if (state.last_started && *state.last_started >= *opened) return SelfTestDecision::kNotDue;
  if (state.test_running) return SelfTestDecision::kWaitRunning;
  if (state.disk_asleep) return SelfTestDecision::kWaitAsleep;
  return SelfTestDecision::kStart;
}

}  // namespace vigie::agent
