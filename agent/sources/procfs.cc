#include "agent/sources/procfs.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

#include <fmt/format.h>

namespace vigie::agent {
namespace {

std::string DecodeOctalEscapes(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string_view digits = field.substr(i + 1, 3);
      int value = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 8);
      if (ec == std::errc() && end == digits.data() + 3) {
        out += static_cast<char>(value);
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

}  // namespace

std::string_view NextLine(std::string_view& rest) {
  const size_t end = rest.find('\n');
  const std::string_view line = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return line;
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

Result<LoadAverage> ParseLoadavg(std::string_view text) {
  const std::vector<std::string_view> fields = Fields(text);
  LoadAverage load;
  if (fields.size() < 3 || !ParseNumber(fields[0], load.load1) || !ParseNumber(fields[1], load.load5) ||
      !ParseNumber(fields[2], load.load15)) {
    return Fail(ErrorCode::kMalformed, fmt::format("/proc/loadavg: unexpected '{}'", text));
  }
  return load;
}

Result<double> ParseUptime(std::string_view text) {
  const std::vector<std::string_view> fields = Fields(text);
  double uptime = 0;
  if (fields.empty() || !ParseNumber(fields[0], uptime)) {
    return Fail(ErrorCode::kMalformed, fmt::format("/proc/uptime: unexpected '{}'", text));
  }
  return uptime;
}

Result<MemoryInfo> ParseMeminfo(std::string_view text) {
  struct Wanted {
    std::string_view key;
    uint64_t MemoryInfo::*field;
    bool seen;
  };
  std::array<Wanted, 4> wanted = {{{"MemTotal:", &MemoryInfo::total_bytes, false},
                                   {"MemAvailable:", &MemoryInfo::available_bytes, false},
                                   {"SwapTotal:", &MemoryInfo::swap_total_bytes, false},
                                   {"SwapFree:", &MemoryInfo::swap_free_bytes, false}}};
  MemoryInfo info;
  for (std::string_view rest = text; !rest.empty();) {
    const std::vector<std::string_view> fields = Fields(NextLine(rest));
    if (fields.size() < 2) continue;
    for (Wanted& w : wanted) {
      if (fields[0] != w.key) continue;
      uint64_t value = 0;
      if (!ParseNumber(fields[1], value)) {
        return Fail(ErrorCode::kMalformed, fmt::format("/proc/meminfo: {} has value '{}'", w.key, fields[1]));
      }
      // Every size in meminfo is in kibibytes, written "kB".
      info.*w.field = value * 1024;
      w.seen = true;
    }
  }
  for (const Wanted& w : wanted) {
    if (!w.seen) return Fail(ErrorCode::kMalformed, fmt::format("/proc/meminfo: no {} line", w.key));
  }
  return info;
}

std::vector<MountEntry> ParseMounts(std::string_view text) {
  std::vector<MountEntry> mounts;
  for (std::string_view rest = text; !rest.empty();) {
    const std::vector<std::string_view> fields = Fields(NextLine(rest));
    if (fields.size() < 3) continue;
    mounts.push_back({DecodeOctalEscapes(fields[0]), DecodeOctalEscapes(fields[1]), std::string(fields[2])});
  }
  return mounts;
}

std::vector<MountEntry> DiskFilesystems(const std::vector<MountEntry>& mounts) {
  // Filesystems that live on a disk even when the "device" field is not a
  // /dev path (zfs datasets, btrfs subvolumes show one).
  static const std::set<std::string_view> kDiskTypes = {"ext2", "ext3", "ext4",  "xfs",  "btrfs", "vfat", "exfat",
                                                        "f2fs", "zfs",  "ntfs",  "ntfs3", "jfs",  "reiserfs", "nilfs2"};
  // Read-only images: always full, never interesting.
  static const std::set<std::string_view> kImageTypes = {"squashfs", "iso9660", "udf", "erofs"};
  std::vector<MountEntry> result;
  std::set<std::string> seen_devices;
  for (const MountEntry& mount : mounts) {
    const bool on_block_device = mount.device.starts_with("/dev/") && !kImageTypes.contains(mount.fstype);
    if (!kDiskTypes.contains(mount.fstype) && !on_block_device) continue;
    if (!seen_devices.insert(mount.device).second) continue;
    result.push_back(mount);
  }
  return result;
}

}  // namespace vigie::agent
