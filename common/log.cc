#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <string>

#include "common/printable.h"

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

// The length of the UTF-8 sequence that `lead` starts, or 1 for a byte
// that starts none (IsPrintableUtf8 then refuses it alone).
size_t SequenceLength(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

// `message` with each character that is not printable UTF-8 written as the
// \xNN of its bytes, one byte at a time, so that what follows a bad byte is
// read again from the next one.
void AppendEscaped(std::string_view message, std::string& line) {
  constexpr char kHex[] = "0123456789abcdef";
  size_t at = 0;
  while (at < message.size()) {
    const unsigned char lead = static_cast<unsigned char>(message[at]);
    const std::string_view character = message.substr(at, SequenceLength(lead));
    if (IsPrintableUtf8(character)) {
      line += character;
      at += character.size();
    } else {
      line += "\\x";
      line += kHex[lead >> 4];
      line += kHex[lead & 0xF];
      ++at;
    }
  }
}

}  // namespace

void SetLogThreshold(LogLevel level) { threshold.store(static_cast<int>(level)); }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) <= threshold.load(std::memory_order_relaxed); }

std::string FormatLogLine(LogLevel level, std::string_view message, bool terminal) {
  std::string line;
  line.reserve(message.size() + 12);
  if (terminal) {
    line += WordFor(level);
  } else {
    line += '<';
    line += static_cast<char>('0' + static_cast<int>(level));
    line += '>';
  }
  if (IsPrintableUtf8(message)) {
    line += message;
  } else {
    AppendEscaped(message, line);
  }
  line += '\n';
  return line;
}

void LogLine(LogLevel level, std::string_view message) {
  static const bool terminal = ::isatty(STDERR_FILENO) == 1;
  const std::string line = FormatLogLine(level, message, terminal);
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace vigie
