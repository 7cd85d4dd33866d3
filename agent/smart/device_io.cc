#include "agent/smart/device_io.h"

#include <string>

namespace vigie::agent::smart {

std::string_view PowerModeName(PowerMode mode) {
  switch (mode) {
    case PowerMode::kUnknown:
      return "unknown";
    case PowerMode::kActive:
      return "active";
    case PowerMode::kIdle:
      return "idle";
    case PowerMode::kStandby:
      return "standby";
    case PowerMode::kSleep:
      return "sleep";
  }
  return "unknown";
}

Result<PowerMode> ParsePowerModeName(std::string_view text) {
  for (PowerMode mode : {PowerMode::kUnknown, PowerMode::kActive, PowerMode::kIdle, PowerMode::kStandby,
                         PowerMode::kSleep}) {
    if (text == PowerModeName(mode)) return mode;
  }
  return Fail(ErrorCode::kMalformed, "not a power mode: '" + std::string(text) + "'");
}

std::string_view SmartStatusName(SmartStatus status) {
  return status == SmartStatus::kPassed ? "passed" : "failed";
}

Result<SmartStatus> ParseSmartStatusName(std::string_view text) {
  if (text == "passed") return SmartStatus::kPassed;
  if (text == "failed") return SmartStatus::kFailed;
  return Fail(ErrorCode::kMalformed, "not a SMART status: '" + std::string(text) + "'");
}

}  // namespace vigie::agent::smart
