#include "agent/sources/power_supply_source.h"

#include <charconv>
#include <optional>

#include <fmt/format.h>

namespace vigie::agent {
namespace {

constexpr std::string_view kPowerSupply = "/sys/class/power_supply";

std::optional<uint32_t> ParseUnsigned(const std::string& text) {
  uint32_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

void PowerSupplySource::Collect(const CollectContext&, v1::Report& report) {
  const auto fail = [&](const Error& error) { AddSourceError(report, name(), error); };
  std::optional<bool> ac_online;
  v1::Power& power = *report.mutable_power();

  for (const std::string& supply : tree_.List(kPowerSupply)) {
    const std::string dir = fmt::format("{}/{}", kPowerSupply, supply);
    const Result<std::string> type = tree_.ReadText(dir + "/type");
    if (!type) {
      fail(type.error());
      continue;
    }
    if (*type == "Mains") {
      const Result<std::string> online = tree_.ReadText(dir + "/online");
      if (!online) {
        fail(online.error());
        continue;
      }
      const std::optional<uint32_t> value = ParseUnsigned(*online);
      if (!value) {
        fail(Error{ErrorCode::kMalformed, fmt::format("{}/online: not a number: '{}'", dir, *online)});
        continue;
      }
      ac_online = ac_online.value_or(false) || *value != 0;
    } else if (*type == "Battery") {
      // scope is optional; "Device" marks a peripheral's battery.
      if (const Result<std::string> scope = tree_.ReadText(dir + "/scope"); scope && *scope == "Device") {
        continue;
      }
      v1::Battery& battery = *power.add_batteries();
      battery.set_name(ReportName(supply));
      const Result<std::string> capacity = tree_.ReadText(dir + "/capacity");
      if (capacity) {
        if (const std::optional<uint32_t> percent = ParseUnsigned(*capacity)) {
          battery.set_capacity_percent(*percent);
        } else {
          fail(Error{ErrorCode::kMalformed,
                     fmt::format("{}/capacity: not a number: '{}'", dir, *capacity)});
        }
      } else if (capacity.error().code != ErrorCode::kNotFound) {
        fail(capacity.error());  // some fuel gauges have no capacity file
      }
      const Result<std::string> status = tree_.ReadText(dir + "/status");
      if (status) {
        battery.set_status(ReportName(*status));
      } else {
        fail(status.error());
      }
    }
  }
  if (ac_online) power.set_ac_online(*ac_online);
}

}  // namespace vigie::agent
