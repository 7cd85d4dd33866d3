#include "agent/sources/procfs.h"

#include <gtest/gtest.h>

namespace vigie::agent {
namespace {

TEST(Procfs, ParsesLoadavg) {
  const Result<LoadAverage> load = ParseLoadavg("0.41 0.21 0.09 1/79 3082");
  ASSERT_TRUE(load) << load.error().message;
  EXPECT_DOUBLE_EQ(load->load1, 0.41);
  EXPECT_DOUBLE_EQ(load->load5, 0.21);
  EXPECT_DOUBLE_EQ(load->load15, 0.09);
}

TEST(Procfs, RejectsGarbledLoadavg) {
  const Result<LoadAverage> load = ParseLoadavg("0.41 x");
  ASSERT_FALSE(load);
  EXPECT_EQ(load.error().code, ErrorCode::kMalformed);
  EXPECT_EQ(load.error().message, "/proc/loadavg: unexpected '0.41 x'");
}

TEST(Procfs, MeminfoIsInKibibytes) {
  const Result<MemoryInfo> info =
      ParseMeminfo("MemTotal:  4000 kB\nMemFree: 10 kB\nMemAvailable: 3000 kB\nSwapTotal: 20 kB\nSwapFree: 5 kB\n");
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->total_bytes, 4000u * 1024);
  EXPECT_EQ(info->available_bytes, 3000u * 1024);
  EXPECT_EQ(info->swap_total_bytes, 20u * 1024);
  EXPECT_EQ(info->swap_free_bytes, 5u * 1024);
}

TEST(Procfs, MeminfoWithoutMemAvailableIsAnError) {
  const Result<MemoryInfo> info = ParseMeminfo("MemTotal: 4000 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().message, "/proc/meminfo: no MemAvailable: line");
}

TEST(Procfs, MountsDecodeOctalEscapes) {
  const std::vector<MountEntry> mounts = ParseMounts("/dev/sdb1 /media/my\\040disk ext4 rw 0 0\n");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].mountpoint, "/media/my disk");
}

TEST(Procfs, DiskFilesystemsSkipPseudoImagesAndBindRepeats) {
  const std::vector<MountEntry> mounts = ParseMounts(
      "proc /proc proc rw 0 0\n"
      "/dev/sda2 / ext4 rw 0 0\n"
      "tmpfs /run tmpfs rw 0 0\n"
      "/dev/sda1 /boot/efi vfat rw 0 0\n"
      "/dev/loop0 /snap/core/1 squashfs ro 0 0\n"
      "/dev/sda2 /var/lib/docker/x ext4 rw 0 0\n"
      "tank/home /home zfs rw 0 0\n"
      "overlay /var/lib/docker/overlay overlay rw 0 0\n");
  const std::vector<MountEntry> disks = DiskFilesystems(mounts);
  ASSERT_EQ(disks.size(), 3u);
  EXPECT_EQ(disks[0].mountpoint, "/");
  EXPECT_EQ(disks[1].mountpoint, "/boot/efi");
  EXPECT_EQ(disks[2].mountpoint, "/home");
}

}  // namespace
}  // namespace vigie::agent
