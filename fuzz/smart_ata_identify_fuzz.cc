// IDENTIFY DEVICE page -> AtaIdentify, then the drivedb lookup on the model
// and firmware it names (regular expressions matched against drive-chosen
// strings), as the agent's disk source does. Input: one 512-byte page.
#include <cstdlib>

#include "agent/smart/ata_drivedb.h"
#include "agent/smart/ata_identify.h"
#include "fuzz/page_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigie::agent::smart;
  const vigie::fuzz::PaddedPage<512> page(data, size, 0);
  const vigie::Result<AtaIdentify> identify = ParseAtaIdentify(page.span());
  if (!identify) return 0;
  // ATA strings: model 20 words, serial 10, firmware 4 (ata_identify.h).
  if (identify->model.size() > 40 || identify->serial.size() > 20 || identify->firmware.size() > 8) std::abort();
  const AtaDrivePreset* preset = FindAtaDrivePreset(identify->model, identify->firmware);
  AtaAttributeDefsFor(preset);
  return 0;
}
