#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <string>

namespace vigie {
namespace {

std::atomic<int> threshold{static_cast<int>(LogLevel::kInfo)};

std::string_view WordFor(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error: ";
    case LogLevel::kWarning:
      return "warning: ";
    case LogLevel::kNotice:
      return "notice: ";
    case LogLevel::kInfo:
      return "";
    case LogLevel::kDebug:
      return "debug: ";
  }
  return "";
}

}  // namespace

void SetLogThreshold(LogLevel level) { threshold.store(static_cast<int>(level)); }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) <= threshold.load(std::memory_order_relaxed); }

void LogLine(LogLevel level, std::string_view message) {
  static const bool terminal = ::isatty(STDERR_FILENO) == 1;
  std::string line;
  line.reserve(message.size() + 12);
  if (terminal) {
    line += WordFor(level);
  } else {
    line += '<';
    line += static_cast<char>('0' + static_cast<int>(level));
    line += '>';
  }
  // A message is one journal entry: fold embedded newlines.
  for (char c : message) line += (c == '\n') ? ' ' : c;
  line += '\n';
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace vigie
