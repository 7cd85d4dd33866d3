// SMART READ DATA and READ THRESHOLDS -> the attribute table and the drive
// temperature, named and formatted with the preset of the drive that the
// IDENTIFY page names, as the agent's disk source does.
// Input: IDENTIFY (512) | SMART DATA (512) | [THRESHOLDS (512) | options].
// Without the third page the thresholds are absent (a drive that rejects
// READ THRESHOLDS); options bit 0 decodes despite a bad checksum.
#include <cstdlib>

#include "agent/smart/ata_drivedb.h"
#include "agent/smart/ata_identify.h"
#include "agent/smart/ata_smart.h"
#include "fuzz/page_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigie::agent::smart;
  const vigie::fuzz::PaddedPage<512> identify_page(data, size, 0);
  const vigie::fuzz::PaddedPage<512> data_page(data, size, 512);
  const vigie::fuzz::PaddedPage<512> thresholds_page(data, size, 1024);
  const bool has_thresholds = size > 1024;
  const bool ignore_checksum = size > 1536 && (data[1536] & 1) != 0;

  const vigie::Result<AtaIdentify> identify = ParseAtaIdentify(identify_page.span());
  const AtaAttributeDefs defs =
      AtaAttributeDefsFor(identify ? FindAtaDrivePreset(identify->model, identify->firmware) : nullptr);
  const Page512 thresholds = thresholds_page.span();
  const vigie::Result<AtaSmartData> values =
      ParseAtaSmartData(data_page.span(), has_thresholds ? &thresholds : nullptr,
                        {.defs = &defs,
                         .rotation_rate_rpm = identify ? identify->rotation_rate_rpm : 0,
                         .ignore_checksum = ignore_checksum});
  if (!values) return 0;
  // 30 entries of 12 bytes from byte 2 (ata_smart.h).
  if (values->attributes.size() > 30) std::abort();
  const std::optional<int> celsius = AtaTemperatureCelsius(values->attributes);
  if (celsius && (*celsius < 1 || *celsius > 127)) std::abort();
  return 0;
}
