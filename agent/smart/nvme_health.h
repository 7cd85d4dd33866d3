// NVMe SMART / Health Information log page (Get Log Page, Log Identifier
// 02h): NVM Express Base Specification 2.0, figure 207. Pure: decodes the
// 512-byte page; no I/O.
//
// Units: temperatures are kelvin on the wire and here, with a celsius helper
// that subtracts 273 as smartctl and nvme-cli print them; data units are
// thousands of 512-byte units (a value of 1 = 512,000 bytes), rounded up by
// the controller; times in minutes unless named otherwise.
#pragma once

#include <array>
#include <cstdint>

#include "agent/smart/page.h"
#include "common/result.h"

namespace vigie::agent::smart {

// Critical Warning (byte 0) bits.
inline constexpr uint8_t kNvmeWarnSpareBelowThreshold = 0x01;
inline constexpr uint8_t kNvmeWarnTemperature = 0x02;
inline constexpr uint8_t kNvmeWarnReliabilityDegraded = 0x04;
inline constexpr uint8_t kNvmeWarnReadOnly = 0x08;
inline constexpr uint8_t kNvmeWarnVolatileBackupFailed = 0x10;
inline constexpr uint8_t kNvmeWarnPmrReadOnly = 0x20;

struct NvmeHealth {
  uint8_t critical_warning = 0;                    // byte 0
  uint16_t composite_temperature_kelvin = 0;       // bytes 2:1
  uint8_t available_spare_percent = 0;             // byte 3
  uint8_t available_spare_threshold_percent = 0;   // byte 4
  // Byte 5: vendor estimate of life used; may exceed 100 (up to 255).
  uint8_t percentage_used = 0;
  uint8_t endurance_group_critical_warning = 0;    // byte 6
  Uint128 data_units_read = 0;                     // bytes 47:32
  Uint128 data_units_written = 0;                  // bytes 63:48
  Uint128 host_read_commands = 0;                  // bytes 79:64
  Uint128 host_write_commands = 0;                 // bytes 95:80
  Uint128 controller_busy_time_minutes = 0;        // bytes 111:96
  Uint128 power_cycles = 0;                        // bytes 127:112
  Uint128 power_on_hours = 0;                      // bytes 143:128
  Uint128 unsafe_shutdowns = 0;                    // bytes 159:144
  Uint128 media_errors = 0;                        // bytes 175:160
  Uint128 error_log_entries = 0;                   // bytes 191:176
  uint32_t warning_temperature_minutes = 0;        // bytes 195:192
  uint32_t critical_temperature_minutes = 0;       // bytes 199:196
  // Bytes 215:200: temperature sensors 1-8 in kelvin; 0 = not implemented.
  std::array<uint16_t, 8> temperature_sensors_kelvin{};
  // Bytes 219:216, 223:220: thermal management temperature 1/2 transition
  // counts; 227:224, 231:228: total time in those states, seconds.
  uint32_t thermal_transition_count[2] = {0, 0};
  uint32_t thermal_time_seconds[2] = {0, 0};
};

// Kelvin -> whole degrees celsius as smartctl prints them (K - 273).
inline int KelvinToCelsius(uint16_t kelvin) { return static_cast<int>(kelvin) - 273; }

// Errors (kMalformed): a page of all zeros or all FFh (no log returned: a
// real controller always reports a composite temperature). Out-of-range
// values (spare above 100 %, absurd counters) are decoded as they are: the
// alert rules judge them, the decoder does not hide them.
Result<NvmeHealth> ParseNvmeHealth(Page512 page);

}  // namespace vigie::agent::smart
