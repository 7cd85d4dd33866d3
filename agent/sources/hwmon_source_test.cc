#include "agent/sources/hwmon_source.h"

#include <gtest/gtest.h>

#include "tests/testing/testing.h"

namespace vigie::agent {
namespace {

// tests/fixtures/hosts/desktop-nct6775: hwmon2 is the drivetemp chip of the
// SATA disk sda (see its PROVENANCE.md). libsensors itself needs the real
// /sys: HwmonSource is tested in hwmon_fake_sys_test.cc.
TEST(DrivetempBlockDevice, NamesTheDiskOfADrivetempChip) {
  const FileTree tree(testing::FixturePath("hosts/desktop-nct6775"));
  EXPECT_EQ(DrivetempBlockDevice(tree, "/sys/class/hwmon/hwmon2"), "sda");
}

TEST(DrivetempBlockDevice, IsNulloptForOtherChipsAndMissingOnes) {
  const FileTree tree(testing::FixturePath("hosts/desktop-nct6775"));
  EXPECT_EQ(DrivetempBlockDevice(tree, "/sys/class/hwmon/hwmon0"), std::nullopt);  // coretemp
  EXPECT_EQ(DrivetempBlockDevice(tree, "/sys/class/hwmon/hwmon3"), std::nullopt);  // nvme
  EXPECT_EQ(DrivetempBlockDevice(tree, "/sys/class/hwmon/hwmon9"), std::nullopt);
}

}  // namespace
}  // namespace vigie::agent
