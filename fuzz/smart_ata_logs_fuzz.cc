// The ATA SMART logs: summary error log (01h), self-test log (06h), extended
// comprehensive error log (03h), extended self-test log (07h, any number of
// pages). Input: selector byte | options byte | the log's pages. Selector
// mod 4 picks the log; options bit 0 decodes despite a bad checksum.
#include <cstdlib>

#include "agent/smart/ata_logs.h"
#include "fuzz/page_input.h"

namespace {

using namespace vigie::agent::smart;

void CheckSelfTestLog(const vigie::Result<AtaSelfTestLog>& log, size_t descriptors) {
  if (!log) return;
  if (log->entries.size() > descriptors) std::abort();
  for (const AtaSelfTestEntry& entry : log->entries) {
    if (entry.remaining_percent > 150 || entry.status != entry.status_byte >> 4) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t selector = data[0] % 4;
  const bool ignore_checksum = (data[1] & 1) != 0;
  data += 2;
  size -= 2;
  const vigie::fuzz::PaddedPage<512> page(data, size, 0);
  switch (selector) {
    case 0:
      if (const auto log = ParseAtaSummaryErrorLog(page.span(), ignore_checksum)) {
        if (log->most_recent_index > 5) std::abort();
      }
      break;
    case 1:
      CheckSelfTestLog(ParseAtaSelfTestLog(page.span(), ignore_checksum), 21);
      break;
    case 2:
      ParseAtaExtendedErrorLog(page.span(), ignore_checksum);
      break;
    case 3: {
      // Any length, as read: the decoder checks for whole pages itself.
      const std::span<const std::byte> pages(reinterpret_cast<const std::byte*>(data), size);
      CheckSelfTestLog(ParseAtaExtendedSelfTestLog(pages, ignore_checksum), 19 * (size / 512));
      break;
    }
  }
  return 0;
}
