#include "agent/smart/disk_discovery.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/testing/testing.h"

namespace vigie::agent::smart {
namespace {

namespace fs = std::filesystem;

// tests/fixtures/hosts/qemu-q35-ahci-nvme: recorded in the QEMU guest of
// tests/qemu (see its PROVENANCE.md).
TEST(DiskDiscovery, FindsTheSataAndNvmeDisksOfTheRecordedVm) {
  const FileTree tree(testing::FixturePath("hosts/qemu-q35-ahci-nvme"));
  const std::vector<DiscoveredDisk> disks = DiscoverDisks(tree);
  ASSERT_EQ(disks.size(), 2u);
  EXPECT_EQ(disks[0].ref.name, "nvme0n1");
  EXPECT_EQ(disks[0].ref.node, "/dev/nvme0");
  EXPECT_EQ(disks[0].ref.transport, DiskTransport::kNvme);
  EXPECT_EQ(disks[0].bus, "nvme");
  EXPECT_EQ(disks[0].size_bytes, 64u << 20);  // the 64 MiB image
  EXPECT_EQ(disks[1].ref.name, "sda");
  EXPECT_EQ(disks[1].ref.node, "/dev/sda");
  EXPECT_EQ(disks[1].ref.transport, DiskTransport::kAta);
  EXPECT_EQ(disks[1].bus, "ata");
  EXPECT_FALSE(disks[1].removable);
}

TEST(DiskDiscovery, ExcludeDropsADiskByPattern) {
  const FileTree tree(testing::FixturePath("hosts/qemu-q35-ahci-nvme"));
  const std::vector<DiscoveredDisk> disks = DiscoverDisks(tree, {.include = {}, .exclude = {"/dev/nvme*"}});
  ASSERT_EQ(disks.size(), 1u);
  EXPECT_EQ(disks[0].ref.name, "sda");
}

// A desktop with everything discovery must skip, built as sysfs lays it out.
class MixedTree {
 public:
  MixedTree() {
    Block("sda", "../devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda", "0");
    Block("sdb", "../devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb", "0");
    Block("sdc", "../devices/pci0000:00/0000:00:14.0/usb1/1-4/1-4:1.0/host7/target7:0:0/7:0:0:0/block/sdc", "1");
    Block("sr0", "../devices/pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0/block/sr0", "1");
    Block("loop0", "../devices/virtual/block/loop0", "0");
    Block("zram0", "../devices/virtual/block/zram0", "0");
    Block("dm-0", "../devices/virtual/block/dm-0", "0");
    Block("md127", "../devices/virtual/block/md127", "0");
    // Native NVMe multipath: the namespace head sits under its subsystem.
    Block("nvme0n1", "../devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1", "0");
    Block("nvme0n2", "../devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n2", "0");
    fs::create_directories(dir_.path() / "sys/class/nvme-subsystem/nvme-subsys0/nvme1");
    // drivetemp's hwmon chip is a child of the SCSI device of sda.
    dir_.Write("sys/class/hwmon/hwmon2/name", "drivetemp\n");
    fs::create_directories(dir_.path() / "sys/class/hwmon/hwmon2/device/block/sda");
    dir_.Write("sys/class/hwmon/hwmon0/name", "coretemp\n");
  }
  FileTree tree() const { return FileTree(dir_.path()); }

 private:
  void Block(const std::string& name, const std::string& target, const std::string& removable) {
    const fs::path link = dir_.path() / "sys/block" / name;
    fs::create_directories(link.parent_path());
    fs::create_directory_symlink(target, link);
    dir_.Write((fs::path("sys/block") / target / "removable").lexically_normal().string(), removable + "\n");
  }
  testing::TempDir dir_;
};

TEST(DiskDiscovery, SkipsVirtualOpticalAndRemovableDevicesAndTellsTheBus) {
  const MixedTree mixed;
  const std::vector<DiscoveredDisk> disks = DiscoverDisks(mixed.tree());
  ASSERT_EQ(disks.size(), 3u);
  EXPECT_EQ(disks[0].ref.name, "nvme0n1");
  EXPECT_EQ(disks[1].ref.name, "sda");
  EXPECT_EQ(disks[1].bus, "ata");
  EXPECT_EQ(disks[2].ref.name, "sdb");
  EXPECT_EQ(disks[2].bus, "usb");
  EXPECT_EQ(disks[2].ref.transport, DiskTransport::kAta);
}

TEST(DiskDiscovery, AMultipathNamespaceUsesItsSubsystemsControllerOnce) {
  const MixedTree mixed;
  const std::vector<DiscoveredDisk> disks = DiscoverDisks(mixed.tree());
  ASSERT_FALSE(disks.empty());
  EXPECT_EQ(disks[0].ref.name, "nvme0n1");
  EXPECT_EQ(disks[0].ref.node, "/dev/nvme1");
  EXPECT_EQ(disks[0].ref.transport, DiskTransport::kNvme);
}

TEST(DiskDiscovery, IncludeAddsARemovableDisk) {
  const MixedTree mixed;
  const std::vector<DiscoveredDisk> disks = DiscoverDisks(mixed.tree(), {.include = {"sdc"}, .exclude = {}});
  ASSERT_EQ(disks.size(), 4u);
  EXPECT_EQ(disks[3].ref.name, "sdc");
  EXPECT_TRUE(disks[3].removable);
  EXPECT_EQ(disks[3].bus, "usb");
}

TEST(DiskDiscovery, IncludeNeverAddsANonDisk) {
  const MixedTree mixed;
  EXPECT_EQ(DiscoverDisks(mixed.tree(), {.include = {"loop0", "sr0"}, .exclude = {}}).size(), 3u);
}

TEST(DiskDiscovery, FindsTheDiskBehindADrivetempChip) {
  const MixedTree mixed;
  const Result<std::string> disk = BlockDeviceOfHwmon(mixed.tree(), "hwmon2");
  ASSERT_TRUE(disk) << disk.error().message;
  EXPECT_EQ(*disk, "sda");
}

TEST(DiskDiscovery, AChipWithoutADiskIsNotFound) {
  const MixedTree mixed;
  const Result<std::string> disk = BlockDeviceOfHwmon(mixed.tree(), "hwmon0");
  ASSERT_FALSE(disk);
  EXPECT_EQ(disk.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace vigie::agent::smart
