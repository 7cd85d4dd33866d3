// SMART READ DATA and READ THRESHOLDS -> the attribute table and the drive
// temperature, named and formatted with one of the drivedb presets.
// Input: preset byte | flags byte | SMART DATA (512) | [THRESHOLDS (512)].
// The preset byte picks AtaDrivePresets()[byte % (count + 1)], the last
// value meaning none (the DEFAULT table): every preset's formats are reached
// without matching a model regex, which smart_ata_identify fuzzes (and which
// compiles the patterns, a hundred times the cost of the decoding).
// Flags bit 0 decodes despite a bad checksum; bit 1 is a solid-state drive
// (IDENTIFY word 217 = 1). Without the thresholds page they are absent (a
// drive that rejects READ THRESHOLDS).
#include <cstdlib>

#include "agent/smart/ata_drivedb.h"
#include "agent/smart/ata_smart.h"
#include "fuzz/page_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigie::agent::smart;
  if (size < 2) return 0;
  const std::vector<AtaDrivePreset>& presets = AtaDrivePresets();
  const size_t preset = data[0] % (presets.size() + 1);
  const bool ignore_checksum = (data[1] & 1) != 0;
  const uint32_t rotation_rate_rpm = (data[1] & 2) != 0 ? 1 : 0;
  data += 2;
  size -= 2;
  const vigie::fuzz::PaddedPage<512> data_page(data, size, 0);
  const vigie::fuzz::PaddedPage<512> thresholds_page(data, size, 512);
  const bool has_thresholds = size > 512;

  const AtaAttributeDefs defs = AtaAttributeDefsFor(preset < presets.size() ? &presets[preset] : nullptr);
  const Page512 thresholds = thresholds_page.span();
  const vigie::Result<AtaSmartData> values =
      ParseAtaSmartData(data_page.span(), has_thresholds ? &thresholds : nullptr,
                        {.defs = &defs, .rotation_rate_rpm = rotation_rate_rpm, .ignore_checksum = ignore_checksum});
  if (!values) return 0;
  // 30 entries of 12 bytes from byte 2 (ata_smart.h).
  if (values->attributes.size() > 30) std::abort();
  const std::optional<int> celsius = AtaTemperatureCelsius(values->attributes);
  if (celsius && (*celsius < 1 || *celsius > 127)) std::abort();
  return 0;
}
