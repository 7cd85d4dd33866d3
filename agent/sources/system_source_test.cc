#include "agent/sources/system_source.h"

#include <gtest/gtest.h>

#include "common/printable.h"
#include "common/report_limits.h"

#include "tests/testing/testing.h"

namespace vigie::agent {
namespace {

// Values below are those of tests/fixtures/hosts/vm-2core (see its PROVENANCE.md).
TEST(SystemSource, DecodesTheRecordedVm) {
  const FileTree tree(testing::FixturePath("hosts/vm-2core"));
  SystemSource source(tree, MakeFilesystemUsageReader(tree));
  v1::Report report;
  source.Collect(CollectContext{}, report);

  EXPECT_EQ(report.source_errors_size(), 0) << report.source_errors(0).message();
  EXPECT_DOUBLE_EQ(report.uptime_seconds(), 350.43);
  EXPECT_DOUBLE_EQ(report.system().load1(), 0.19);
  EXPECT_DOUBLE_EQ(report.system().load5(), 0.18);
  EXPECT_DOUBLE_EQ(report.system().load15(), 0.09);
  EXPECT_EQ(report.system().memory_total_bytes(), 24684096ull * 1024);
  EXPECT_EQ(report.system().memory_available_bytes(), 24378852ull * 1024);
  EXPECT_EQ(report.system().swap_total_bytes(), 0u);
  ASSERT_EQ(report.system().filesystems_size(), 1);
  const v1::Filesystem& root = report.system().filesystems(0);
  EXPECT_EQ(root.mountpoint(), "/");
  EXPECT_EQ(root.device(), "/dev/vda");
  EXPECT_EQ(root.fstype(), "ext4");
  // statvfs.tsv: 66053021 and 20922579 blocks of 4096 bytes (df -B1 /: 270553174016 in all).
  EXPECT_EQ(root.size_bytes(), 270553174016ull);
  EXPECT_EQ(root.avail_bytes(), 20922579ull * 4096);
  EXPECT_EQ(root.free_bytes(), 61891303ull * 4096);
  EXPECT_EQ(root.files(), 16777216u);
  EXPECT_EQ(root.files_free(), 16366554u);
}

TEST(SystemSource, ReadsTheBootId) {
  const FileTree tree(testing::FixturePath("hosts/vm-2core"));
  const Result<std::string> id = ReadBootId(tree);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, "6ef63991-7ee5-4c0b-81a3-e6c91f946998");
}

TEST(SystemSource, AMissingFileBecomesASourceErrorAndTheRestIsRead) {
  testing::TempDir dir;
  dir.Write("proc/uptime", "12.5 3.0\n");
  dir.Write("proc/loadavg", "1.00 0.50 0.25 1/1 1\n");
  dir.Write("proc/self/mounts", "");
  dir.Write("statvfs.tsv", "");
  const FileTree tree(dir.path());
  SystemSource source(tree, MakeFilesystemUsageReader(tree));
  v1::Report report;
  source.Collect(CollectContext{}, report);

  ASSERT_EQ(report.source_errors_size(), 1);
  EXPECT_EQ(report.source_errors(0).source(), "system");
  EXPECT_EQ(report.source_errors(0).code(), v1::SourceError::NOT_FOUND);
  EXPECT_NE(report.source_errors(0).message().find("proc/meminfo"), std::string::npos);
  EXPECT_DOUBLE_EQ(report.uptime_seconds(), 12.5);
  EXPECT_DOUBLE_EQ(report.system().load1(), 1.0);
}

// Mount points are whatever a user named a folder: bytes, not UTF-8.
TEST(SystemSource, MakesAMountPointOfOddBytesPrintableAndBounded) {
  testing::TempDir dir;
  const std::string long_device = "/dev/mapper/" + std::string(400, 'v');
  dir.Write("proc/self/mounts", "/dev/sdb1 /mnt/photos\xff\x1b[2J ext4 rw 0 0\n" + long_device +
                                    " /srv ext4 rw 0 0\n");
  dir.Write("statvfs.tsv", "/mnt/photos\xff\x1b[2J 4096 10 5 4 100 50\n/srv 4096 10 5 4 100 50\n");
  const FileTree tree(dir.path());
  SystemSource source(tree, MakeFilesystemUsageReader(tree));
  v1::Report report;
  source.Collect(CollectContext{}, report);

  ASSERT_EQ(report.system().filesystems_size(), 2);
  EXPECT_EQ(report.system().filesystems(0).mountpoint(), "/mnt/photos\uFFFD\uFFFD[2J");
  EXPECT_EQ(report.system().filesystems(1).device(), long_device.substr(0, 256));
  EXPECT_EQ(ReportLimitViolation(report, ReportLimits{}), "");
}

TEST(SystemSource, RefusesABootIdThatIsNotAUuid) {
  testing::TempDir dir;
  dir.Write("proc/sys/kernel/random/boot_id", "6ef63991-7ee5-4c0b-81a3-e6c91f94699\n\n");
  const Result<std::string> id = ReadBootId(FileTree(dir.path()));
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code, ErrorCode::kMalformed);
}

TEST(SystemSource, RecordedFilesystemUsageNamesABadLine) {
  testing::TempDir dir;
  dir.Write("statvfs.tsv", "/ 4096 10 5 4 100 50\n\n/home 4096 10 x 4 100 50\n");
  const FileTree tree(dir.path());
  const Result<FilesystemUsage> usage = MakeFilesystemUsageReader(tree)->Read("/");
  ASSERT_FALSE(usage);
  EXPECT_EQ(usage.error().message, "statvfs.tsv: bad line '/home 4096 10 x 4 100 50'");

  dir.Write("statvfs.tsv", "/ 4096 10 5 4 100 50\n\n/home\t512 8 6 2 7 3");
  const Result<FilesystemUsage> home = MakeFilesystemUsageReader(tree)->Read("/home");
  ASSERT_TRUE(home) << home.error().message;
  EXPECT_EQ(home->size_bytes, 8u * 512);
  EXPECT_EQ(home->avail_bytes, 2u * 512);
  EXPECT_EQ(home->files_free, 3u);
}

}  // namespace
}  // namespace vigie::agent
