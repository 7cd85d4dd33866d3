// The NVMe Identify Controller data structure -> NvmeIdentifyController.
// Input: one 4096-byte page.
#include <cstdlib>

#include "agent/smart/nvme_identify.h"
#include "fuzz/page_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const vigie::fuzz::PaddedPage<4096> page(data, size, 0);
  const auto identify = vigie::agent::smart::ParseNvmeIdentifyController(page.span());
  // SN 20 bytes, MN 40, FR 8 (NVMe Base 2.0, figure 275).
  if (identify && (identify->serial.size() > 20 || identify->model.size() > 40 || identify->firmware.size() > 8)) {
    std::abort();
  }
  return 0;
}
