// Pure parsers for the /proc files the system source reads (proc(5)).
// Each takes the file's text and returns its values or a kMalformed error
// that quotes what was wrong.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace vigie::agent {

// The first line of `rest` (without its '\n'); `rest` is left after it.
std::string_view NextLine(std::string_view& rest);

// The fields of one line, separated by spaces and tabs.
std::vector<std::string_view> Fields(std::string_view line);

// `text`, whole, as a number of type T; false when it is not one.
template <class T>
bool ParseNumber(std::string_view text, T& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

struct LoadAverage {
  double load1 = 0;
  double load5 = 0;
  double load15 = 0;
};

// /proc/loadavg: "0.41 0.21 0.09 1/79 3082".
Result<LoadAverage> ParseLoadavg(std::string_view text);

// /proc/uptime: "303.40 534.59" -> 303.40 seconds since boot.
Result<double> ParseUptime(std::string_view text);

struct MemoryInfo {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;
  uint64_t swap_total_bytes = 0;
  uint64_t swap_free_bytes = 0;
};

// /proc/meminfo: "MemTotal:  24684096 kB" lines. MemAvailable exists since
// Linux 3.14; older kernels are not supported by the agent.
Result<MemoryInfo> ParseMeminfo(std::string_view text);

struct MountEntry {
  std::string device;
  std::string mountpoint;
  std::string fstype;
};

// /proc/self/mounts (fstab(5) format), octal escapes such as "\040" decoded.
std::vector<MountEntry> ParseMounts(std::string_view text);

// The mounts worth reporting: filesystems on a block device (ext4, xfs,
// btrfs, vfat, ...), each device once (bind mounts repeat it), in mount order.
// Pseudo and memory filesystems (proc, tmpfs, cgroup, overlay, squashfs) are
// left out.
std::vector<MountEntry> DiskFilesystems(const std::vector<MountEntry>& mounts);

}  // namespace vigie::agent
