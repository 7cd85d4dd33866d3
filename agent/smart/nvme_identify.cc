#include "agent/smart/nvme_identify.h"

#include <algorithm>

#include <fmt/format.h>

namespace vigie::agent::smart {

Result<NvmeIdentifyController> ParseNvmeIdentifyController(Page4096 page) {
  if (std::all_of(page.begin(), page.end(), [](std::byte b) { return b == std::byte{0}; })) {
    return Fail(ErrorCode::kMalformed, "NVMe Identify Controller: all bytes zero");
  }
  NvmeIdentifyController id;
  // NVMe Base 2.0, Identify Controller data structure (figure 275).
  id.pci_vendor_id = static_cast<uint16_t>(LoadLe(page, 0, 2));             // bytes 1:0 VID
  id.pci_subsystem_vendor_id = static_cast<uint16_t>(LoadLe(page, 2, 2));   // bytes 3:2 SSVID
  id.serial = AsciiField(page, 4, 20);                                      // bytes 23:4 SN
  id.model = AsciiField(page, 24, 40);                                      // bytes 63:24 MN
  id.firmware = AsciiField(page, 64, 8);                                    // bytes 71:64 FR
  id.ieee_oui = static_cast<uint32_t>(LoadLe(page, 73, 3));                 // bytes 75:73 IEEE
  id.controller_id = static_cast<uint16_t>(LoadLe(page, 78, 2));            // bytes 79:78 CNTLID
  id.version = static_cast<uint32_t>(LoadLe(page, 80, 4));                  // bytes 83:80 VER
  id.warning_composite_temperature_kelvin = static_cast<uint16_t>(LoadLe(page, 266, 2));   // WCTEMP
  id.critical_composite_temperature_kelvin = static_cast<uint16_t>(LoadLe(page, 268, 2));  // CCTEMP
  const Uint128 capacity = LoadLe128(page, 280);                            // bytes 295:280 TNVMCAP
  if (capacity != 0) id.total_capacity_bytes = SaturateToUint64(capacity);
  id.namespace_count = static_cast<uint32_t>(LoadLe(page, 516, 4));         // bytes 519:516 NN

  // The model number field is an ASCII string (NVMe Base 2.0):
  // anything else means this is not an Identify Controller page.
  const bool printable = std::all_of(id.model.begin(), id.model.end(),
                                     [](char c) { return c >= 0x20 && c <= 0x7e; });
  if (id.model.empty() || !printable) {
    return Fail(ErrorCode::kMalformed, "NVMe Identify Controller: model number is empty or not ASCII");
  }
  return id;
}

}  // namespace vigie::agent::smart
