// ATA IDENTIFY DEVICE data (ACS-3 and ACS-4, "IDENTIFY DEVICE data"; the word
// numbers below are the same in both): the fields the agent reports for a
// SATA disk. Pure function over the 512-byte block.
#pragma once

#include <cstdint>
#include <string>

#include "agent/smart/page.h"
#include "common/result.h"

namespace vigie::agent::smart {

struct AtaIdentify {
  // Words 27-46, 10-19 and 23-26, ATA strings, trimmed of spaces.
  std::string model;
  std::string serial;
  std::string firmware;
  // 48-bit LBA count (words 100-103) times the logical sector size; the
  // 28-bit count (words 60-61) when 48-bit addressing is not supported.
  uint64_t capacity_bytes = 0;
  // Word 106 bit 12 and words 117-118 (in words there); 512 otherwise.
  uint32_t logical_sector_bytes = 512;
  // Word 106 bit 13 and bits 3:0: logical sectors per physical sector.
  uint32_t physical_sector_bytes = 512;
  // Word 217 (nominal media rotation rate): 0 = not reported, 1 = non-rotating
  // (solid state), 0401h-FFFEh = rpm. Reserved values are reported as 0.
  uint32_t rotation_rate_rpm = 0;
  // Word 82 bit 0 / word 85 bit 0 (when word 83 bit 14 set and bit 15 clear,
  // i.e. the command set words are valid).
  bool smart_supported = false;
  bool smart_enabled = false;
  // Word 255 bits 7:0 were A5h, and the checksum in bits 15:8 was verified.
  bool checksum_verified = false;
};

// Decodes IDENTIFY DEVICE data as the drive returned it (little-endian words).
// Errors (kMalformed): the integrity word's signature is A5h and the 512
// bytes do not sum to 0 mod 256; or the block is all zeros / all FFh (no
// device answered). A block without the A5h signature is accepted (ATA-5 and
// older drives, some USB bridges).
Result<AtaIdentify> ParseAtaIdentify(Page512 page);

}  // namespace vigie::agent::smart
