#include "agent/smart/nvme_health.h"

#include <algorithm>

namespace vigie::agent::smart {

Result<NvmeHealth> ParseNvmeHealth(Page512 page) {
  for (const std::byte filler : {std::byte{0x00}, std::byte{0xff}}) {
    if (std::all_of(page.begin(), page.end(), [filler](std::byte b) { return b == filler; })) {
      return Fail(ErrorCode::kMalformed, "NVMe SMART / Health log: page holds no data (all bytes equal)");
    }
  }
  // NVMe Base 2.0 figure 207, SMART / Health Information log page.
  NvmeHealth health;
  health.critical_warning = std::to_integer<uint8_t>(page[0]);
  health.composite_temperature_kelvin = static_cast<uint16_t>(LoadLe(page, 1, 2));
  health.available_spare_percent = std::to_integer<uint8_t>(page[3]);
  health.available_spare_threshold_percent = std::to_integer<uint8_t>(page[4]);
  health.percentage_used = std::to_integer<uint8_t>(page[5]);
  health.endurance_group_critical_warning = std::to_integer<uint8_t>(page[6]);
  // Bytes 31:7 reserved.
  health.data_units_read = LoadLe128(page, 32);
  health.data_units_written = LoadLe128(page, 48);
  health.host_read_commands = LoadLe128(page, 64);
  health.host_write_commands = LoadLe128(page, 80);
  health.controller_busy_time_minutes = LoadLe128(page, 96);
  health.power_cycles = LoadLe128(page, 112);
  health.power_on_hours = LoadLe128(page, 128);
  health.unsafe_shutdowns = LoadLe128(page, 144);
  health.media_errors = LoadLe128(page, 160);
  health.error_log_entries = LoadLe128(page, 176);
  health.warning_temperature_minutes = static_cast<uint32_t>(LoadLe(page, 192, 4));
  health.critical_temperature_minutes = static_cast<uint32_t>(LoadLe(page, 196, 4));
  for (size_t i = 0; i < health.temperature_sensors_kelvin.size(); ++i) {
    health.temperature_sensors_kelvin[i] = static_cast<uint16_t>(LoadLe(page, 200 + 2 * i, 2));
  }
  for (size_t i = 0; i < 2; ++i) {
    health.thermal_transition_count[i] = static_cast<uint32_t>(LoadLe(page, 216 + 4 * i, 4));
    health.thermal_time_seconds[i] = static_cast<uint32_t>(LoadLe(page, 224 + 4 * i, 4));
  }
  return health;
}

}  // namespace vigie::agent::smart
