// NVMe Identify Controller data structure (Identify command, CNS 01h):
// NVM Express Base Specification 2.0, "Identify Controller Data Structure,
// I/O Command Set Independent" (figure 275; figure numbers shift between 2.0
// revisions, byte offsets do not). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "agent/smart/page.h"
#include "common/result.h"

namespace vigie::agent::smart {

struct NvmeIdentifyController {
  // Bytes 1:0 PCI vendor id, 3:2 PCI subsystem vendor id.
  uint16_t pci_vendor_id = 0;
  uint16_t pci_subsystem_vendor_id = 0;
  // Bytes 23:4 serial number, 63:24 model number, 71:64 firmware revision
  // (ASCII, space padded), trimmed.
  std::string serial;
  std::string model;
  std::string firmware;
  // Bytes 75:73 IEEE OUI identifier (little-endian).
  uint32_t ieee_oui = 0;
  // Bytes 79:78 controller id.
  uint16_t controller_id = 0;
  // Bytes 83:80 version (VER), e.g. 0x10400 for 1.4.0; 0 if not reported.
  uint32_t version = 0;
  // Bytes 267:266 WCTEMP and 269:268 CCTEMP, in kelvin (0: not reported).
  uint16_t warning_composite_temperature_kelvin = 0;
  uint16_t critical_composite_temperature_kelvin = 0;
  // Bytes 295:280 TNVMCAP, total NVM capacity in bytes, when non-zero
  // (optional field: namespace management drives report it). Saturated to
  // UINT64_MAX (18 EB) if larger.
  std::optional<uint64_t> total_capacity_bytes;
  // Bytes 519:516 NN, number of namespaces.
  uint32_t namespace_count = 0;
};

// Errors (kMalformed): all 4096 bytes zero, or a model number that is empty
// or contains bytes outside printable ASCII (not an Identify Controller page).
Result<NvmeIdentifyController> ParseNvmeIdentifyController(Page4096 page);

}  // namespace vigie::agent::smart
