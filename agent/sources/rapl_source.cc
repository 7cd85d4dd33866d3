#include "agent/sources/rapl_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace vigie::agent {
namespace {

constexpr std::string_view kPowercap = "/sys/class/powercap";
// Zones are named "intel-rapl:<package>" and subzones
// "intel-rapl:<package>:<subzone>" (drivers/powercap/intel_rapl_common.c);
// "intel-rapl" alone is the control type, without energy_uj.
constexpr std::string_view kZonePrefix = "intel-rapl:";

Result<uint64_t> ParseMicrojoules(const std::string& path, const std::string& text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) {
    return Fail(ErrorCode::kMalformed, fmt::format("{}: not a counter: '{}'", path, text));
  }
  return value;
}

Error EnergyReadError(const std::string& path, int err) {
  const ErrorCode code = ErrorCodeFromErrno(err);
  if (code == ErrorCode::kPermissionDenied) return Error{code, RaplPermissionMessage(path)};
  return Error{code, fmt::format("{}: {}", path, std::strerror(err))};
}

}  // namespace

std::string RaplPermissionMessage(const std::string& path) {
  return fmt::format(
      "{}: permission denied: energy_uj is readable by root only since Linux 5.10 "
      "(CVE-2020-8694); run the agent as root or with CAP_DAC_READ_SEARCH "
      "(systemd: AmbientCapabilities=CAP_DAC_READ_SEARCH), or let a udev rule make "
      "energy_uj readable by the agent's group",
      path);
}

uint64_t EnergyDeltaMicrojoules(uint64_t previous_uj, uint64_t current_uj, uint64_t max_range_uj) {
  if (current_uj >= previous_uj) return current_uj - previous_uj;
  // The counter went past max_range_uj and restarted from 0. The kernel's
  // range is the microjoule value of the 32-bit hardware counter's maximum
  // (intel_rapl_common.c, get_max_energy_counter), so the wrap itself also
  // loses one energy unit (about 61 µJ): negligible over a period.
  return (max_range_uj - previous_uj) + current_uj;
}

RaplSource::RaplSource(const FileTree& tree) : tree_(tree) {
  for (const std::string& id : tree_.List(kPowercap)) {
    if (id.rfind(kZonePrefix, 0) != 0) continue;
    const std::string dir = fmt::format("{}/{}", kPowercap, id);
    Zone zone;
    zone.id = id;
    zone.energy_path = dir + "/energy_uj";
    const Result<std::string> zone_name = tree_.ReadText(dir + "/name");
    if (!zone_name) {
      setup_errors_.push_back(zone_name.error());
      continue;
    }
    zone.name = ReportName(*zone_name);
    const std::string range_path = dir + "/max_energy_range_uj";
    const Result<uint64_t> range =
        tree_.ReadText(range_path).and_then([&](const std::string& text) {
          return ParseMicrojoules(range_path, text);
        });
    if (!range) {
      setup_errors_.push_back(range.error());
      continue;
    }
    zone.max_energy_range_uj = *range;
    zone.fd = ::open(tree_.Resolve(zone.energy_path).c_str(), O_RDONLY | O_CLOEXEC);
    zones_.push_back(std::move(zone));
  }
}

RaplSource::~RaplSource() {
  for (Zone& zone : zones_) {
    if (zone.fd >= 0) ::close(zone.fd);
  }
}

Result<uint64_t> RaplSource::ReadEnergy(Zone& zone) {
  if (zone.fd < 0) {
    zone.fd = ::open(tree_.Resolve(zone.energy_path).c_str(), O_RDONLY | O_CLOEXEC);
    if (zone.fd < 0) return tl::unexpected(EnergyReadError(zone.energy_path, errno));
  }
  // A counter is at most 20 digits and a newline.
  char buffer[32];
  ssize_t n;
  do {
    n = ::pread(zone.fd, buffer, sizeof buffer - 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    const int err = errno;
    ::close(zone.fd);
    zone.fd = -1;
    return tl::unexpected(EnergyReadError(zone.energy_path, err));
  }
  std::string text(buffer, static_cast<size_t>(n));
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return ParseMicrojoules(zone.energy_path, text);
}

void RaplSource::Collect(const CollectContext& context, v1::Report& report) {
  for (const Error& error : setup_errors_) AddSourceError(report, name(), error);
  for (Zone& zone : zones_) {
    const Result<uint64_t> energy = ReadEnergy(zone);
    if (!energy) {
      AddSourceError(report, name(), energy.error());
      zone.previous_uj.reset();
      continue;
    }
    if (*energy > zone.max_energy_range_uj) {
      AddSourceError(report, name(),
                     Error{ErrorCode::kMalformed,
                           fmt::format("{}: {} is above max_energy_range_uj {}", zone.energy_path,
                                       *energy, zone.max_energy_range_uj)});
      zone.previous_uj.reset();
      continue;
    }
    if (zone.previous_uj && context.monotonic_ns > zone.previous_ns) {
      const uint64_t delta_uj =
          EnergyDeltaMicrojoules(*zone.previous_uj, *energy, zone.max_energy_range_uj);
      const double seconds = static_cast<double>(context.monotonic_ns - zone.previous_ns) / 1e9;
      v1::RaplZone& out = *report.mutable_power()->add_rapl();
      out.set_name(zone.name);
      out.set_watts(static_cast<double>(delta_uj) / 1e6 / seconds);
    }
    if (!zone.previous_uj || context.monotonic_ns > zone.previous_ns) {
      zone.previous_uj = *energy;
      zone.previous_ns = context.monotonic_ns;
    }
  }
}

}  // namespace vigie::agent
