#include "agent/smart/ata_status.h"

#include <fmt/format.h>

namespace vigie::agent::smart {

Result<AtaPowerMode> DecodeAtaPowerMode(uint8_t count) {
  // ACS-3, CHECK POWER MODE normal outputs, Count field.
  switch (count) {
    case 0x00:
    case 0x01:
      return AtaPowerMode::kStandby;
    case 0x40:
      return AtaPowerMode::kNvCacheSpunDown;
    case 0x41:
      return AtaPowerMode::kNvCacheSpunUp;
    case 0x80:
    case 0x81:
    case 0x82:
    case 0x83:
      return AtaPowerMode::kIdle;
    case 0xff:
      return AtaPowerMode::kActiveOrIdle;
    default:
      return Fail(ErrorCode::kMalformed, fmt::format("CHECK POWER MODE: unknown count value {:#04x}", count));
  }
}

bool IsSpunDown(AtaPowerMode mode) {
  return mode == AtaPowerMode::kStandby || mode == AtaPowerMode::kNvCacheSpunDown;
}

Result<bool> DecodeAtaSmartReturnStatus(uint8_t lba_mid, uint8_t lba_high) {
  // ACS-3, SMART RETURN STATUS normal outputs: 4Fh/C2h no threshold exceeded, F4h/2Ch threshold exceeded.
  if (lba_mid == 0x4f && lba_high == 0xc2) return true;
  if (lba_mid == 0xf4 && lba_high == 0x2c) return false;
  return Fail(ErrorCode::kMalformed,
              fmt::format("SMART RETURN STATUS: unexpected LBA Mid/High {:#04x}/{:#04x}", lba_mid, lba_high));
}

}  // namespace vigie::agent::smart
