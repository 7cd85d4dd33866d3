#include "fuzz/exposition_check.h"

#include <cstdlib>
#include <set>
#include <string>

#include "common/printable.h"

namespace vigie::fuzz {
namespace {

bool IsNameStart(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

// The name at the start of `text` (metric names may hold ':', label names
// may not), removed from it; "" when there is none.
std::string_view TakeName(std::string_view& text, bool colon) {
  size_t end = 0;
  while (end < text.size() && (IsNameStart(text[end], colon) || (end > 0 && text[end] >= '0' && text[end] <= '9'))) {
    ++end;
  }
  const std::string_view name = text.substr(0, end);
  text.remove_prefix(end);
  return name;
}

// Removes `{a="x",b="y"}` from the start of `text`; false when malformed.
bool TakeLabels(std::string_view& text) {
  if (text.empty() || text.front() != '{') return true;
  text.remove_prefix(1);
  while (true) {
    if (TakeName(text, false).empty() || !text.starts_with("=\"")) return false;
    text.remove_prefix(2);
    while (true) {
      if (text.empty()) return false;
      const char c = text.front();
      text.remove_prefix(1);
      if (c == '"') break;
      if (c == '\n') return false;
      if (c == '\\') {
        if (text.empty() || (text.front() != '\\' && text.front() != '"' && text.front() != 'n')) return false;
        text.remove_prefix(1);
      }
    }
    if (text.starts_with("}")) {
      text.remove_prefix(1);
      return true;
    }
    if (!text.starts_with(",")) return false;
    text.remove_prefix(1);
  }
}

bool IsValue(std::string_view text) {
  if (text == "NaN" || text == "+Inf" || text == "-Inf") return true;
  if (text.empty()) return false;
  const std::string copy(text);
  char* end = nullptr;
  std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
}

}  // namespace

std::string ExpositionFault(std::string_view page, bool printable) {
  std::set<std::string, std::less<>> declared;
  std::string family;
  std::string helped;
  size_t line_number = 0;
  while (!page.empty()) {
    ++line_number;
    const size_t end = page.find('\n');
    if (end == std::string_view::npos) return "the page does not end with a newline";
    std::string_view line = page.substr(0, end);
    page.remove_prefix(end + 1);
    const std::string where = " (line " + std::to_string(line_number) + ": " + std::string(line.substr(0, 200)) + ")";
    if (printable && !IsPrintableUtf8(line)) return "a line that is not printable UTF-8" + where;
    if (line.starts_with("# HELP ")) {
      line.remove_prefix(7);
      helped = std::string(TakeName(line, true));
      if (helped.empty() || !line.starts_with(" ")) return "a HELP line without a metric name" + where;
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      line.remove_prefix(7);
      const std::string name(TakeName(line, true));
      if (name.empty() || name != helped) return "a TYPE line that does not follow its HELP line" + where;
      if (line != " gauge" && line != " counter" && line != " untyped") return "an unknown TYPE" + where;
      if (!declared.insert(name).second) return "a family declared twice" + where;
      family = name;
      continue;
    }
    const std::string_view name = TakeName(line, true);
    if (name.empty()) return "a line that is neither a comment nor a sample" + where;
    if (name != family) return "a sample outside its family" + where;
    if (!TakeLabels(line)) return "malformed labels" + where;
    if (!line.starts_with(" ") || !IsValue(line.substr(1))) return "a malformed value" + where;
  }
  return "";
}

}  // namespace vigie::fuzz
