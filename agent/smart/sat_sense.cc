#include "agent/smart/sat_sense.h"

#include <algorithm>

namespace vigie::agent::smart {
namespace {

// SPC-4 4.5.1, table 26: sense data response codes.
constexpr uint8_t kFixedCurrent = 0x70;
constexpr uint8_t kFixedDeferred = 0x71;
constexpr uint8_t kDescriptorCurrent = 0x72;
constexpr uint8_t kDescriptorDeferred = 0x73;
// SAT-3 12.2.2.7, table 186: ATA Status Return sense data descriptor code,
// and its additional length (0Ch: 14 bytes in all).
constexpr uint8_t kAtaStatusReturn = 0x09;
constexpr size_t kAtaStatusReturnSize = 14;
// SPC-4 4.5.3: VALID bit of fixed-format byte 0 (INFORMATION is valid).
constexpr uint8_t kFixedValid = 0x80;

}  // namespace

SatSense ParseSatSense(std::span<const uint8_t> sense) {
  SatSense result;
  if (sense.size() < 8) return result;
  const uint8_t response = sense[0] & 0x7F;
  if (response == kDescriptorCurrent || response == kDescriptorDeferred) {
    // SPC-4 4.5.2, table 27: byte 1 sense key, 2 ASC, 3 ASCQ, 7 additional
    // length; descriptors from byte 8, each with its code and length.
    result.sense_key = sense[1] & 0x0F;
    result.asc = sense[2];
    result.ascq = sense[3];
    const size_t end = std::min(sense.size(), size_t{8} + sense[7]);
    for (size_t at = 8; at + 2 <= end; at += size_t{2} + sense[at + 1]) {
      if (sense[at] != kAtaStatusReturn || at + kAtaStatusReturnSize > end) continue;
      // Table 186: 3 ERROR, 5 COUNT(7:0), 7 LBA(7:0), 9 LBA(15:8),
      // 11 LBA(23:16), 12 DEVICE, 13 STATUS.
      const std::span<const uint8_t> d = sense.subspan(at, kAtaStatusReturnSize);
      result.has_registers = true;
      result.registers = AtaRegisters{.error = d[3], .count = d[5], .lba_low = d[7], .lba_mid = d[9],
                                      .lba_high = d[11], .device = d[12], .status = d[13]};
      break;
    }
  } else if ((response == kFixedCurrent || response == kFixedDeferred) && sense.size() >= 14) {
    // SPC-4 4.5.3, table 28: byte 2 sense key, 12 ASC, 13 ASCQ.
    result.sense_key = sense[2] & 0x0F;
    result.asc = sense[12];
    result.ascq = sense[13];
    const bool information = result.asc == 0x00 && result.ascq == 0x1D;
    if (information || (sense[0] & kFixedValid) != 0) {
      // SAT-3 12.2.2.6, table 185: INFORMATION (bytes 3-6) = ERROR, STATUS,
      // DEVICE, COUNT(7:0); COMMAND-SPECIFIC INFORMATION (bytes 9-11) =
      // LBA(7:0), LBA(15:8), LBA(23:16).
      result.has_registers = true;
      result.registers = AtaRegisters{.error = sense[3], .count = sense[6], .lba_low = sense[9],
                                      .lba_mid = sense[10], .lba_high = sense[11], .device = sense[5],
                                      .status = sense[4]};
    }
  }
  return result;
}

}  // namespace vigie::agent::smart
