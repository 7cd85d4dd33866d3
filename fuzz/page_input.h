// Fixed-size pages cut from a fuzz input of any length: the decoders take
// exactly 512 or 4096 bytes (the agent checks the length first, page.h), so
// a shorter input is padded with zeros and a longer one split into pages.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace vigie::fuzz {

template <size_t kBytes>
class PaddedPage {
 public:
  // Bytes [offset, offset + kBytes) of the input, zeros past its end.
  PaddedPage(const uint8_t* data, size_t size, size_t offset) {
    if (offset < size) std::memcpy(bytes_.data(), data + offset, std::min(kBytes, size - offset));
  }
  std::span<const std::byte, kBytes> span() const { return std::span<const std::byte, kBytes>(bytes_); }

 private:
  std::array<std::byte, kBytes> bytes_{};
};

}  // namespace vigie::fuzz
