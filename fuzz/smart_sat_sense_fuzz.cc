// The sense data of an ATA PASS-THROUGH command -> the ATA registers, then
// what linux_device_io.cc reads from them: the power mode (CHECK POWER MODE)
// and the health verdict (SMART RETURN STATUS). Input: the sense bytes as
// the kernel wrote them (any length; SG_IO caps it at 255).
#include "agent/smart/ata_status.h"
#include "agent/smart/sat_sense.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigie::agent::smart;
  const SatSense sense = ParseSatSense(std::span<const uint8_t>(data, size));
  if (sense.has_registers) {
    DecodeAtaPowerMode(sense.registers.count);
    DecodeAtaSmartReturnStatus(sense.registers.lba_mid, sense.registers.lba_high);
  }
  return 0;
}
