#include "common/file_tree.h"

#include <gtest/gtest.h>

#include "tests/testing/testing.h"

namespace vigie {
namespace {

TEST(FileTree, ReadsUnderItsRootAndTrimsOneNewline) {
  testing::TempDir dir;
  dir.Write("proc/sys/kernel/random/boot_id", "0f6e1d3c-1d2b-4b7e-9a51-6c2f0d7b8e11\n");
  const FileTree tree(dir.path());
  const Result<std::string> text = tree.ReadText("/proc/sys/kernel/random/boot_id");
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, "0f6e1d3c-1d2b-4b7e-9a51-6c2f0d7b8e11");
}

TEST(FileTree, MissingFileIsNotFoundWithItsPath) {
  testing::TempDir dir;
  const FileTree tree(dir.path());
  const Result<std::string> text = tree.ReadText("/proc/loadavg");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, ErrorCode::kNotFound);
  EXPECT_NE(text.error().message.find((dir.path() / "proc/loadavg").string()), std::string::npos);
}

TEST(FileTree, ListsSorted) {
  testing::TempDir dir;
  dir.Write("sys/class/hwmon/hwmon1/name", "b");
  dir.Write("sys/class/hwmon/hwmon0/name", "a");
  const FileTree tree(dir.path());
  EXPECT_EQ(tree.List("/sys/class/hwmon"), (std::vector<std::string>{"hwmon0", "hwmon1"}));
  EXPECT_TRUE(tree.List("/sys/class/nothing").empty());
}

}  // namespace
}  // namespace vigie
