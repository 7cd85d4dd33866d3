// Which disks have SMART to read: the SATA and NVMe disks of /sys/block, read
// through a FileTree so tests use recorded trees
// (tests/fixtures/hosts/<machine>/sys/...).
//
// Rules (Documentation/ABI/stable/sysfs-block, sysfs-class-nvme):
//  - only sd* (SCSI disk driver: libata SATA, SAT USB bridges, SAS HBAs) and
//    nvme<C>n<N> (NVMe namespaces) are disks with SMART; loop, zram, ram,
//    dm-*, md*, sr* (optical), nbd, vd* and mmcblk* never are;
//  - partitions are not listed (/sys/block holds whole disks only; a
//    `partition` file marks one anyway);
//  - removable media (`removable` is 1: card readers, USB sticks) are
//    skipped unless the options include them by name;
//  - an NVMe namespace's SMART lives on its controller: nvme0n1 -> /dev/nvme0
//    (with native multipath the namespace sits under nvme-subsysN, and the
//    first controller listed there is used);
//  - one DiskRef per NVMe controller: its other namespaces are dropped.
//
// Cost: one directory listing, two or three small sysfs reads and one
// readlink per block device. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/smart/device_io.h"
#include "common/file_tree.h"

namespace vigie::agent::smart {

// The [disks] section of agent.toml (the lead wires the TOML).
struct DiskDiscoveryOptions {
  // Kernel names or fnmatch(3) patterns ("sdc", "sd[b-d]", "/dev/sdc" also
  // accepted) read even when the rules above would skip them (a removable
  // USB disk, an unknown transport), as long as they are sd* or nvme*n*.
  std::vector<std::string> include;
  // Names or patterns never read; applied after include.
  std::vector<std::string> exclude;
};

struct DiscoveredDisk {
  DiskRef ref;
  // How the kernel reaches it, from the device path: "ata" (libata port),
  // "usb", "nvme", or "scsi" (anything else: SAS HBA, virtio-scsi...).
  std::string bus;
  bool removable = false;
  // /sys/block/<name>/size (always in 512-byte sectors) times 512; 0 when
  // unreadable.
  uint64_t size_bytes = 0;
};

// The disks under tree.Resolve("/sys/block"), sorted by name.
std::vector<DiscoveredDisk> DiscoverDisks(const FileTree& tree, const DiskDiscoveryOptions& options = {});

// For the hwmon source, which must not read a drivetemp sensor of a disk in
// standby (see SPINUP.md): the block device ("sda") of hwmon chip `hwmon`
// ("hwmon3"), found as /sys/class/hwmon/hwmon3/device (the SCSI device,
// drivetemp registers under it) -> block/<name>. kNotFound when the chip has
// no block device (coretemp, nvme's own hwmon is under the controller).
Result<std::string> BlockDeviceOfHwmon(const FileTree& tree, std::string_view hwmon);

}  // namespace vigie::agent::smart
