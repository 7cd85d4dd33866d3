// The NVMe SMART / Health Information log page (02h) -> NvmeHealth.
// Input: one 512-byte page.
#include "agent/smart/nvme_health.h"
#include "fuzz/page_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const vigie::fuzz::PaddedPage<512> page(data, size, 0);
  vigie::agent::smart::ParseNvmeHealth(page.span());
  return 0;
}
