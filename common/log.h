// Logging to stderr for journald: each message is one line starting with a
// syslog priority prefix ("<3>" error ... "<7>" debug), which journald turns
// into the entry's priority. On a terminal the prefix is a word instead
// ("error: "). One write(2) per message, so lines of concurrent threads never
// interleave. Messages below the threshold cost one comparison.
//
// A message often quotes text from elsewhere (a disk's serial, a collector's
// answer, a node's label): every byte that is not printable UTF-8 (control
// characters, newlines included, and invalid sequences) is written as \xNN,
// so that such text can neither start a journal entry of its own nor reach a
// terminal as an escape sequence.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace vigie {

enum class LogLevel { kError = 3, kWarning = 4, kNotice = 5, kInfo = 6, kDebug = 7 };

// Messages less severe than `level` are dropped. Default: kInfo.
void SetLogThreshold(LogLevel level);
bool LogEnabled(LogLevel level);
void LogLine(LogLevel level, std::string_view message);
// The line LogLine writes, '\n' included: with the priority prefix, or the
// word when `terminal`. Linear in the message.
std::string FormatLogLine(LogLevel level, std::string_view message, bool terminal);

template <class... Args>
void Log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (!LogEnabled(level)) return;
  LogLine(level, fmt::format(format, std::forward<Args>(args)...));
}

template <class... Args>
void LogError(fmt::format_string<Args...> format, Args&&... args) {
  Log(LogLevel::kError, format, std::forward<Args>(args)...);
}
template <class... Args>
void LogWarning(fmt::format_string<Args...> format, Args&&... args) {
  Log(LogLevel::kWarning, format, std::forward<Args>(args)...);
}
template <class... Args>
void LogInfo(fmt::format_string<Args...> format, Args&&... args) {
  Log(LogLevel::kInfo, format, std::forward<Args>(args)...);
}
template <class... Args>
void LogDebug(fmt::format_string<Args...> format, Args&&... args) {
  Log(LogLevel::kDebug, format, std::forward<Args>(args)...);
}

}  // namespace vigie
