#include "common/printable.h"

#include <algorithm>

namespace vigie {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the valid UTF-8 character at the start of `text` and its code
// point, or 0 when the bytes there are not one.
size_t DecodeOne(std::string_view text, char32_t* code_point) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  }
  size_t length = 0;
  char32_t value = 0;
  char32_t minimum = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, minimum = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(i) & 0x3F);
  }
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
  *code_point = value;
  return length;
}

bool IsControl(char32_t code_point) {
  return code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F);
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  while (!text.empty()) {
    char32_t code_point = 0;
    const size_t length = DecodeOne(text, &code_point);
    if (length == 0) return false;
    text.remove_prefix(length);
  }
  return true;
}

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    char32_t code_point = 0;
    const size_t length = DecodeOne(text, &code_point);
    if (length == 0) {
      out.append(kReplacement);
      text.remove_prefix(1);
    } else {
      out.append(text.substr(0, length));
      text.remove_prefix(length);
    }
  }
  return out;
}

bool IsPrintableUtf8(std::string_view text) {
  while (!text.empty()) {
    char32_t code_point = 0;
    const size_t length = DecodeOne(text, &code_point);
    if (length == 0 || IsControl(code_point)) return false;
    text.remove_prefix(length);
  }
  return true;
}

std::string PrintableUtf8(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  while (!text.empty()) {
    char32_t code_point = 0;
    size_t length = DecodeOne(text, &code_point);
    std::string_view piece = text.substr(0, length);
    if (length == 0 || IsControl(code_point)) {
      piece = kReplacement;
      length = length == 0 ? 1 : length;
    }
    if (piece.size() > max_bytes - out.size()) break;
    out.append(piece);
    text.remove_prefix(length);
  }
  return out;
}

}  // namespace vigie
