#include "agent/smart/page.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace vigie::agent::smart {
namespace {

bool IsPadding(char c) { return c == ' ' || c == '\0'; }

std::string Trim(std::string text) {
  const auto first = std::find_if_not(text.begin(), text.end(), IsPadding);
  const auto last = std::find_if_not(text.rbegin(), text.rend(), IsPadding).base();
  if (first >= last) return {};
  return std::string(first, last);
}

}  // namespace

Result<Page512> ToPage512(std::span<const std::byte> bytes, std::string_view what) {
  if (bytes.size() != 512) {
    return Fail(ErrorCode::kMalformed, fmt::format("{}: {} bytes, expected 512", what, bytes.size()));
  }
  return Page512(bytes.data(), 512);
}

Result<Page4096> ToPage4096(std::span<const std::byte> bytes, std::string_view what) {
  if (bytes.size() != 4096) {
    return Fail(ErrorCode::kMalformed, fmt::format("{}: {} bytes, expected 4096", what, bytes.size()));
  }
  return Page4096(bytes.data(), 4096);
}

uint64_t SaturateToUint64(Uint128 value) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  return value > kMax ? kMax : static_cast<uint64_t>(value);
}

std::string Uint128ToString(Uint128 value) {
  if (value == 0) return "0";
  std::string digits;
  while (value != 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

uint64_t LoadLe(std::span<const std::byte> bytes, size_t offset, size_t size) {
  uint64_t value = 0;
  for (size_t i = size; i > 0; --i) value = (value << 8) | std::to_integer<uint64_t>(bytes[offset + i - 1]);
  return value;
}

Uint128 LoadLe128(std::span<const std::byte> bytes, size_t offset) {
  return (static_cast<Uint128>(LoadLe(bytes, offset + 8, 8)) << 64) | LoadLe(bytes, offset, 8);
}

uint8_t ByteSum(std::span<const std::byte> bytes) {
  uint8_t sum = 0;
  for (std::byte b : bytes) sum = static_cast<uint8_t>(sum + std::to_integer<uint8_t>(b));
  return sum;
}

std::string AtaString(std::span<const std::byte> bytes, size_t offset, size_t words) {
  std::string text;
  text.reserve(words * 2);
  for (size_t w = 0; w < words; ++w) {
    // ATA string convention (ACS-3 clause 3): the first character of each
    // word is in bits 15:8, i.e. the second byte of the little-endian word.
    text.push_back(static_cast<char>(bytes[offset + 2 * w + 1]));
    text.push_back(static_cast<char>(bytes[offset + 2 * w]));
  }
  return Trim(std::move(text));
}

std::string AsciiField(std::span<const std::byte> bytes, size_t offset, size_t size) {
  std::string text;
  text.reserve(size);
  for (size_t i = 0; i < size; ++i) text.push_back(static_cast<char>(bytes[offset + i]));
  return Trim(std::move(text));
}

}  // namespace vigie::agent::smart
