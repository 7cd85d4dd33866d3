// Fixed-size views over the pages the SMART decoders read, and the few byte
// helpers they share. Pure: no I/O, no allocation beyond the returned strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace vigie::agent::smart {

// One ATA 512-byte data block (IDENTIFY DEVICE, SMART READ DATA / THRESHOLDS,
// a SMART log page) or the 512-byte NVMe SMART / Health log page.
using Page512 = std::span<const std::byte, 512>;
// The 4096-byte NVMe Identify data structure.
using Page4096 = std::span<const std::byte, 4096>;

// Checks the length of bytes read from a device or a file before decoding.
// Errors (kMalformed): `bytes` is not exactly 512 (4096) bytes long; the
// message names `what` and both sizes.
Result<Page512> ToPage512(std::span<const std::byte> bytes, std::string_view what);
Result<Page4096> ToPage4096(std::span<const std::byte> bytes, std::string_view what);

// 128-bit unsigned counters of the NVMe health log (data units, commands...).
using Uint128 = unsigned __int128;

// The value saturated to UINT64_MAX (for the uint64 wire fields).
uint64_t SaturateToUint64(Uint128 value);
// Decimal digits, as smartctl prints NVMe counters ("4457415897738954923835392").
std::string Uint128ToString(Uint128 value);

// Little-endian integer of `size` (<= 8) bytes at `offset`. The caller
// guarantees offset + size <= bytes.size().
uint64_t LoadLe(std::span<const std::byte> bytes, size_t offset, size_t size);
// Little-endian 128-bit integer at `offset` (16 bytes).
Uint128 LoadLe128(std::span<const std::byte> bytes, size_t offset);

// Sum of all bytes modulo 256: 0 for a valid ATA data structure whose last
// byte is a checksum (ACS-3: IDENTIFY DEVICE word 255, the SMART data
// structures and SMART logs).
uint8_t ByteSum(std::span<const std::byte> bytes);

// An ATA string of `words` 16-bit words at byte `offset`: each word holds two
// characters, the first in bits 15:8 (ACS-3 clause 3, "ATA string" convention).
// Leading and trailing spaces (and NULs) are removed, as smartctl does.
std::string AtaString(std::span<const std::byte> bytes, size_t offset, size_t words);
// An NVMe ASCII field (left-justified, space padded; NVMe Base 2.0),
// trailing and leading spaces and NULs removed.
std::string AsciiField(std::span<const std::byte> bytes, size_t offset, size_t size);

}  // namespace vigie::agent::smart
