#include "agent/smart/disk_discovery.h"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <cstdlib>
#include <set>

namespace vigie::agent::smart {
namespace {

namespace fs = std::filesystem;

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// sd followed by letters only: sda, sdz, sdaa (drivers/scsi/sd.c,
// sd_format_disk_name). Partitions (sda1) end in digits.
bool IsScsiDiskName(std::string_view name) {
  if (!name.starts_with("sd") || name.size() < 3) return false;
  return std::all_of(name.begin() + 2, name.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

// nvme<C>n<N> (drivers/nvme/host/core.c, nvme_alloc_ns: "nvme%dn%d"; a
// partition adds p<M>, a multipath path c<K>).
bool IsNvmeNamespaceName(std::string_view name) {
  if (!name.starts_with("nvme")) return false;
  name.remove_prefix(4);
  const size_t n = name.find('n');
  if (n == std::string_view::npos) return false;
  return AllDigits(name.substr(0, n)) && AllDigits(name.substr(n + 1));
}

// The controller number in "nvme3" -> true.
bool IsNvmeControllerName(std::string_view name) { return name.starts_with("nvme") && AllDigits(name.substr(4)); }

bool Matches(const std::vector<std::string>& patterns, const std::string& name) {
  for (std::string pattern : patterns) {
    if (pattern.starts_with("/dev/")) pattern.erase(0, 5);
    if (::fnmatch(pattern.c_str(), name.c_str(), 0) == 0) return true;
  }
  return false;
}

// The target of a sysfs symlink under the tree, e.g.
// "../devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda".
std::string LinkTarget(const FileTree& tree, std::string_view path) {
  std::error_code ec;
  const fs::path target = fs::read_symlink(tree.Resolve(path), ec);
  return ec ? std::string() : target.string();
}

std::string BusOf(const std::string& device_path) {
  // libata names its ports ataN (drivers/ata/libata-transport.c,
  // "ata%d"); usb-storage and uas sit under a usbN/N-M device.
  const auto has_component = [&](std::string_view prefix) {
    size_t at = 0;
    while ((at = device_path.find(prefix, at)) != std::string::npos) {
      const size_t end = device_path.find('/', at + prefix.size());
      const std::string_view rest =
          std::string_view(device_path).substr(at + prefix.size(), end == std::string::npos ? end : end - at - prefix.size());
      if (AllDigits(rest)) return true;
      at += prefix.size();
    }
    return false;
  };
  if (has_component("/ata")) return "ata";
  if (has_component("/usb")) return "usb";
  return "scsi";
}

// The controller node of NVMe namespace `name`: the parent folder of the
// block device in /sys/devices is the controller (.../nvme/nvme0/nvme0n1) or,
// with native multipath, the subsystem (.../nvme-subsystem/nvme-subsys0/
// nvme0n1), which lists its controllers as nvme<C> entries.
std::string NvmeControllerOf(const FileTree& tree, const std::string& name) {
  const fs::path target = LinkTarget(tree, "/sys/block/" + name);
  const std::string parent = target.parent_path().filename().string();
  if (IsNvmeControllerName(parent)) return parent;
  if (parent.starts_with("nvme-subsys")) {
    for (const std::string& entry : tree.List("/sys/class/nvme-subsystem/" + parent)) {
      if (IsNvmeControllerName(entry)) return entry;
    }
  }
  // Fallback: the name's own controller number (nvme0n1 -> nvme0), which is
  // right whenever the subsystem has one controller.
  return name.substr(0, name.find('n', 4));
}

}  // namespace

std::vector<DiscoveredDisk> DiscoverDisks(const FileTree& tree, const DiskDiscoveryOptions& options) {
  std::vector<DiscoveredDisk> disks;
  std::set<std::string> nvme_controllers;
  for (const std::string& name : tree.List("/sys/block")) {
    const bool scsi_disk = IsScsiDiskName(name);
    const bool nvme = IsNvmeNamespaceName(name);
    if (!scsi_disk && !nvme) continue;
    const std::string dir = "/sys/block/" + name;
    if (tree.ReadText(dir + "/partition")) continue;
    const bool included = Matches(options.include, name);
    if (Matches(options.exclude, name)) continue;

    DiscoveredDisk disk;
    disk.ref.name = name;
    disk.removable = tree.ReadText(dir + "/removable").value_or("0") == "1";
    if (disk.removable && !included) continue;
    if (const Result<std::string> sectors = tree.ReadText(dir + "/size")) {
      // The size attribute counts 512-byte sectors whatever the logical block
      // size (Documentation/ABI/stable/sysfs-block, block/genhd.c).
      disk.size_bytes = std::strtoull(sectors->c_str(), nullptr, 10) * 512;
    }
    if (nvme) {
      const std::string controller = NvmeControllerOf(tree, name);
      if (!nvme_controllers.insert(controller).second) continue;
      disk.ref.node = "/dev/" + controller;
      disk.ref.transport = DiskTransport::kNvme;
      disk.bus = "nvme";
    } else {
      disk.ref.node = "/dev/" + name;
      disk.ref.transport = DiskTransport::kAta;
      disk.bus = BusOf(LinkTarget(tree, dir));
    }
    disks.push_back(std::move(disk));
  }
  return disks;
}

Result<std::string> BlockDeviceOfHwmon(const FileTree& tree, std::string_view hwmon) {
  // drivetemp registers its hwmon device with the SCSI device as parent
  // (drivetemp_add: hwmon_device_register_with_info(dev->parent, ...), dev
  // being the scsi_device class device), so <hwmon>/device is the SCSI
  // device, whose block/ folder names the disk.
  const std::string dir = "/sys/class/hwmon/" + std::string(hwmon) + "/device/block";
  for (const std::string& name : tree.List(dir)) {
    if (IsScsiDiskName(name)) return name;
  }
  return Fail(ErrorCode::kNotFound, tree.Resolve(dir).string() + ": no disk behind this hwmon chip");
}

}  // namespace vigie::agent::smart
