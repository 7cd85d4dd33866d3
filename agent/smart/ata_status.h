// Decoders for the register outputs of two non-data ATA commands the disk
// source issues: CHECK POWER MODE (E5h) and SMART RETURN STATUS (B0h/DAh),
// as ACS-3 defines their normal outputs. Pure; the device layer passes the
// returned registers.
#pragma once

#include <cstdint>

#include "common/result.h"

namespace vigie::agent::smart {

enum class AtaPowerMode : uint8_t {
  kStandby,      // Count 00h (PM2 Standby) or 01h (Standby_y, ACS-3)
  kIdle,         // Count 80h-83h (PM1 Idle, Idle_a/b/c)
  kActiveOrIdle, // Count FFh
  kNvCacheSpunDown,  // Count 40h (obsolete NV Cache power mode, media spun down)
  kNvCacheSpunUp,    // Count 41h
};

// The Count field after CHECK POWER MODE (ACS-3, normal outputs). Errors
// (kMalformed): any other value.
Result<AtaPowerMode> DecodeAtaPowerMode(uint8_t count);

// True when the power mode means the platters are not spinning, so a SMART
// read would spin the disk up (smartd -n standby skips such a disk).
bool IsSpunDown(AtaPowerMode mode);

// SMART RETURN STATUS: LBA Mid/High 4Fh/C2h = no threshold exceeded (PASSED),
// F4h/2Ch = a threshold exceeded (FAILED) (ACS-3, normal outputs). True for
// PASSED, false for FAILED. Errors (kMalformed): any other pair (e.g. a
// bridge that does not return the registers).
Result<bool> DecodeAtaSmartReturnStatus(uint8_t lba_mid, uint8_t lba_high);

}  // namespace vigie::agent::smart
