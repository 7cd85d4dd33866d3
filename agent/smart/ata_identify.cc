#include "agent/smart/ata_identify.h"

#include <algorithm>

#include <fmt/format.h>

namespace vigie::agent::smart {
namespace {

uint16_t Word(Page512 page, size_t word) { return static_cast<uint16_t>(LoadLe(page, 2 * word, 2)); }

// ACS-3, IDENTIFY DEVICE data: words 83, 87 and 106 hold valid data only
// when their bits 15:14 are 01b.
bool ValidWord(uint16_t word) { return (word & 0xc000) == 0x4000; }

bool AllBytes(Page512 page, std::byte value) {
  return std::all_of(page.begin(), page.end(), [value](std::byte b) { return b == value; });
}

}  // namespace

Result<AtaIdentify> ParseAtaIdentify(Page512 page) {
  if (AllBytes(page, std::byte{0x00}) || AllBytes(page, std::byte{0xff})) {
    return Fail(ErrorCode::kMalformed, "IDENTIFY DEVICE: empty data (all bytes equal)");
  }
  AtaIdentify id;
  // Word 255 (integrity word): bits 7:0 checksum validity indicator A5h,
  // bits 15:8 checksum making the 512 bytes sum to 0 mod 256 (ACS-3, IDENTIFY DEVICE data, word 255).
  const uint16_t integrity = Word(page, 255);
  if ((integrity & 0xff) == 0xa5) {
    if (ByteSum(page) != 0) {
      return Fail(ErrorCode::kMalformed,
                  fmt::format("IDENTIFY DEVICE: integrity word checksum mismatch (bytes sum to {:#04x})", ByteSum(page)));
    }
    id.checksum_verified = true;
  }

  // Words 10-19 serial number (20 ASCII), 23-26 firmware revision (8),
  // 27-46 model number (40).
  id.serial = AtaString(page, 2 * 10, 10);
  id.firmware = AtaString(page, 2 * 23, 4);
  id.model = AtaString(page, 2 * 27, 20);

  // Word 106, physical/logical sector size: bit 12 = logical sectors longer
  // than 256 words, size in words 117-118; bit 13 = several logical sectors
  // per physical one, 2^(bits 3:0) of them.
  const uint16_t word106 = Word(page, 106);
  if (ValidWord(word106)) {
    if ((word106 & 0x1000) != 0) {
      const uint32_t words = static_cast<uint32_t>(Word(page, 117)) | (static_cast<uint32_t>(Word(page, 118)) << 16);
      if (words >= 256) id.logical_sector_bytes = 2 * words;
    }
    id.physical_sector_bytes = id.logical_sector_bytes;
    if ((word106 & 0x2000) != 0) id.physical_sector_bytes = id.logical_sector_bytes << (word106 & 0x000f);
  } else {
    id.physical_sector_bytes = id.logical_sector_bytes;
  }

  // Word 83 bit 10: 48-bit Address feature set supported; then words 100-103
  // hold the number of user addressable logical sectors. Otherwise words
  // 60-61 (28-bit), meaningful when word 49 bit 9 (LBA supported) is set.
  const uint16_t word83 = Word(page, 83);
  uint64_t sectors = 0;
  if (ValidWord(word83) && (word83 & 0x0400) != 0) {
    sectors = LoadLe(page, 2 * 100, 8);
  } else if ((Word(page, 49) & 0x0200) != 0) {
    sectors = LoadLe(page, 2 * 60, 4);
  }
  // A 48-bit count (the spec caps it at 2^48 - 1) times a sector size below
  // 2^32 cannot overflow 64 bits only if we clamp the count first.
  sectors = std::min<uint64_t>(sectors, (uint64_t{1} << 48) - 1);
  id.capacity_bytes = sectors * id.logical_sector_bytes;

  // Word 217, nominal media rotation rate: 0001h non-rotating, 0401h-FFFEh
  // rpm, anything else not reported or reserved.
  const uint16_t word217 = Word(page, 217);
  if (word217 == 1 || (word217 >= 0x0401 && word217 <= 0xfffe)) id.rotation_rate_rpm = word217;

  // Word 82 bit 0 SMART supported (valid with word 83); word 85 bit 0 SMART
  // enabled (valid with word 87), as smartctl reads them.
  id.smart_supported = ValidWord(word83) && (Word(page, 82) & 0x0001) != 0;
  id.smart_enabled = ValidWord(Word(page, 87)) && (Word(page, 85) & 0x0001) != 0;
  return id;
}

}  // namespace vigie::agent::smart
