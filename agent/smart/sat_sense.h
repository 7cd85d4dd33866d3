// The sense data that an ATA PASS-THROUGH command returns, read for the ATA
// registers of the drive's answer (SAT-3, T10/BSR INCITS 517, 12.2.2.6 and
// 12.2.2.7). Used by linux_device_io.cc for CHECK POWER MODE and SMART RETURN
// STATUS, whose results are in the registers, not in a data block. Pure.
#pragma once

#include <cstdint>
#include <span>

namespace vigie::agent::smart {

// The ATA output registers (ACS-3 6.2); the 48-bit high bytes are not kept.
struct AtaRegisters {
  uint8_t error = 0;
  uint8_t count = 0;
  uint8_t lba_low = 0;
  uint8_t lba_mid = 0;
  uint8_t lba_high = 0;
  uint8_t device = 0;
  uint8_t status = 0;
};

struct SatSense {
  // SPC-4 4.5: sense key, additional sense code and qualifier.
  uint8_t sense_key = 0;
  uint8_t asc = 0;
  uint8_t ascq = 0;
  // True when the sense data carried the registers: a descriptor-format
  // ATA Status Return descriptor (09h), or fixed format with ASC/ASCQ 00h/1Dh
  // (ATA PASS-THROUGH INFORMATION AVAILABLE) or the VALID bit set, as libata
  // fills it.
  bool has_registers = false;
  AtaRegisters registers;
};

// Reads the first `sense.size()` bytes the kernel wrote (sg_io_hdr.sb_len_wr).
// Sense data shorter than 8 bytes, or of another response code, gives a
// SatSense with everything zero.
SatSense ParseSatSense(std::span<const uint8_t> sense);

}  // namespace vigie::agent::smart
