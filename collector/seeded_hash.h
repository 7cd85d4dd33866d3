// A hash of every byte of a string, keyed by a secret drawn at random once per
// process, for hash tables filled with what nodes send (label interning,
// label de-duplication): a node cannot precompute strings that collide, so
// a table of n of them costs O(n) expected, whatever the strings. Not a MAC:
// the output is never shown, only used to pick slots.
//
// The mixing step is a 64x64->128-bit multiply folded to 64 bits (as in
// wyhash and rapidhash), each input word xored with a secret word first.
// Thread-safe (the secret is set before first use and never changes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace vigie::collector {

// Three secret words, from getrandom(2) at the first call;
// a process that cannot get them aborts rather than hash with a known key.
const uint64_t* HashSecret();

namespace hash_detail {

inline uint64_t FoldedMultiply(uint64_t a, uint64_t b) {
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

inline uint64_t Load8(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

inline uint64_t Load4(const char* p) {
  uint32_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

}  // namespace hash_detail

// `extra` is mixed in beside the bytes (a label's name, say) at no cost.
[[gnu::always_inline]] inline uint64_t SeededHash(std::string_view bytes, uint64_t extra = 0) {
  using hash_detail::FoldedMultiply;
  using hash_detail::Load4;
  using hash_detail::Load8;
  static const uint64_t* const secret = HashSecret();
  const char* p = bytes.data();
  size_t left = bytes.size();
  uint64_t seed = secret[0] ^ extra;
  // 16 bytes a step, the last step over the last 16 bytes (overlapping the
  // one before when the size is not a multiple of 16): every byte is read.
  uint64_t a = 0;
  uint64_t b = 0;
  if (left <= 16) {
    if (left >= 8) {
      a = Load8(p);
      b = Load8(p + left - 8);
    } else if (left >= 4) {
      a = Load4(p);
      b = Load4(p + left - 4);
    } else if (left > 0) {
      // The first, middle and last bytes: all of them when there are three or fewer.
      a = (uint64_t{static_cast<unsigned char>(p[0])} << 16) |
          (uint64_t{static_cast<unsigned char>(p[left / 2])} << 8) | static_cast<unsigned char>(p[left - 1]);
    }
  } else {
    while (left > 16) {
      seed = FoldedMultiply(Load8(p) ^ secret[1], Load8(p + 8) ^ seed);
      p += 16;
      left -= 16;
    }
    a = Load8(p + left - 16);
    b = Load8(p + left - 8);
  }
  // The size last: strings of different sizes may load the same words.
  return FoldedMultiply(secret[2] ^ bytes.size(), FoldedMultiply(a ^ secret[1], b ^ seed));
}

}  // namespace vigie::collector
