#include "agent/sources/rapl_source.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/testing/testing.h"

namespace vigie::agent {
namespace {

namespace fs = std::filesystem;

// Values of tests/fixtures/hosts/laptop-thinkpad (see its PROVENANCE.md).
constexpr uint64_t kPackageUj = 240422366267;
constexpr uint64_t kCoreUj = 118821284256;
constexpr uint64_t kRangeUj = 262143328850;
constexpr char kPackageEnergy[] =
    "sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj";
constexpr char kCoreEnergy[] =
    "sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/intel-rapl:0:0/energy_uj";
constexpr int64_t kSecond = 1'000'000'000;

// A writable copy of a recorded host, symlinks kept as links.
void CopyHost(std::string_view host, const testing::TempDir& dir) {
  fs::copy(testing::FixturePath(std::string("hosts/") + std::string(host)), dir.path(),
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
}

// Rewrites a counter in place, as the kernel's value changes.
void SetCounter(const testing::TempDir& dir, std::string_view file, uint64_t value) {
  std::ofstream out(dir.path() / file, std::ios::trunc);
  out << value << '\n';
}

v1::Report CollectAt(RaplSource& source, int64_t monotonic_ns) {
  v1::Report report;
  CollectContext context;
  context.monotonic_ns = monotonic_ns;
  source.Collect(context, report);
  return report;
}

TEST(RaplSource, ListsTheZonesOfTheRecordedLaptop) {
  const FileTree tree(testing::FixturePath("hosts/laptop-thinkpad"));
  const RaplSource source(tree);
  EXPECT_TRUE(source.setup_errors().empty());
  ASSERT_EQ(source.zones().size(), 2u);
  EXPECT_EQ(source.zones()[0].id, "intel-rapl:0");
  EXPECT_EQ(source.zones()[0].name, "package-0");
  EXPECT_EQ(source.zones()[0].max_energy_range_uj, kRangeUj);
  EXPECT_EQ(source.zones()[1].id, "intel-rapl:0:0");
  EXPECT_EQ(source.zones()[1].name, "core");
}

TEST(RaplSource, ListsPackageCoreUncoreAndDramOfTheDesktop) {
  const FileTree tree(testing::FixturePath("hosts/desktop-nct6775"));
  const RaplSource source(tree);
  ASSERT_EQ(source.zones().size(), 4u);
  EXPECT_EQ(source.zones()[0].name, "package-0");
  EXPECT_EQ(source.zones()[1].name, "core");
  EXPECT_EQ(source.zones()[2].name, "uncore");
  EXPECT_EQ(source.zones()[3].name, "dram");
}

TEST(RaplSource, FirstCycleReportsNoWattsAndNoError) {
  const FileTree tree(testing::FixturePath("hosts/laptop-thinkpad"));
  RaplSource source(tree);
  const v1::Report report = CollectAt(source, 5 * kSecond);
  EXPECT_EQ(report.source_errors_size(), 0);
  EXPECT_EQ(report.power().rapl_size(), 0);
  EXPECT_EQ(source.zones()[0].previous_uj, kPackageUj);
  EXPECT_EQ(source.zones()[1].previous_uj, kCoreUj);
}

TEST(RaplSource, AveragesWattsOverThePeriodBetweenCycles) {
  testing::TempDir dir;
  CopyHost("laptop-thinkpad", dir);
  const FileTree tree(dir.path());
  RaplSource source(tree);
  CollectAt(source, 100 * kSecond);
  // 60 s later: the package used 900 J (15 W), the cores 360 J (6 W).
  SetCounter(dir, kPackageEnergy, kPackageUj + 900'000'000);
  SetCounter(dir, kCoreEnergy, kCoreUj + 360'000'000);
  const v1::Report report = CollectAt(source, 160 * kSecond);
  ASSERT_EQ(report.source_errors_size(), 0) << report.source_errors(0).message();
  ASSERT_EQ(report.power().rapl_size(), 2);
  EXPECT_EQ(report.power().rapl(0).name(), "package-0");
  EXPECT_DOUBLE_EQ(report.power().rapl(0).watts(), 15.0);
  EXPECT_EQ(report.power().rapl(1).name(), "core");
  EXPECT_DOUBLE_EQ(report.power().rapl(1).watts(), 6.0);
}

TEST(RaplSource, CounterThatWrapsBetweenCyclesGivesTheRightWatts) {
  testing::TempDir dir;
  CopyHost("laptop-thinkpad", dir);
  const FileTree tree(dir.path());
  RaplSource source(tree);
  // 2 J before the end of the range, then 2 s later 8 J after its start:
  // 10 J in 2 s.
  SetCounter(dir, kPackageEnergy, kRangeUj - 2'000'000);
  CollectAt(source, 0);
  SetCounter(dir, kPackageEnergy, 8'000'000);
  const v1::Report report = CollectAt(source, 2 * kSecond);
  ASSERT_EQ(report.source_errors_size(), 0) << report.source_errors(0).message();
  ASSERT_GE(report.power().rapl_size(), 1);
  EXPECT_EQ(report.power().rapl(0).name(), "package-0");
  EXPECT_DOUBLE_EQ(report.power().rapl(0).watts(), 5.0);
}

TEST(RaplSource, EnergyDeltaHandlesOneWrap) {
  EXPECT_EQ(EnergyDeltaMicrojoules(100, 250, kRangeUj), 150u);
  EXPECT_EQ(EnergyDeltaMicrojoules(kRangeUj - 10, 5, kRangeUj), 15u);
  EXPECT_EQ(EnergyDeltaMicrojoules(7, 7, kRangeUj), 0u);
}

TEST(RaplSource, SameMonotonicTimeReportsNothing) {
  const FileTree tree(testing::FixturePath("hosts/laptop-thinkpad"));
  RaplSource source(tree);
  CollectAt(source, kSecond);
  const v1::Report report = CollectAt(source, kSecond);
  EXPECT_EQ(report.source_errors_size(), 0);
  EXPECT_EQ(report.power().rapl_size(), 0);
}

TEST(RaplSource, AMachineWithoutPowercapHasNoZonesAndNoError) {
  const FileTree tree(testing::FixturePath("hosts/vm-2core"));
  RaplSource source(tree);
  EXPECT_TRUE(source.zones().empty());
  const v1::Report report = CollectAt(source, kSecond);
  EXPECT_EQ(report.source_errors_size(), 0);
  EXPECT_FALSE(report.has_power());
}

TEST(RaplSource, AZoneThatCannotBeOpenedIsAnErrorAndTheOthersAreStillRead) {
  testing::TempDir dir;
  CopyHost("laptop-thinkpad", dir);
  // The core zone's counter is gone (its driver went away).
  fs::remove(dir.path() / kCoreEnergy);
  const FileTree tree(dir.path());
  RaplSource source(tree);
  CollectAt(source, 0);
  SetCounter(dir, kPackageEnergy, kPackageUj + 10'000'000);
  const v1::Report report = CollectAt(source, kSecond);
  ASSERT_EQ(report.source_errors_size(), 1);
  EXPECT_EQ(report.source_errors(0).source(), "rapl");
  EXPECT_EQ(report.source_errors(0).code(), v1::SourceError::NOT_FOUND);
  EXPECT_EQ(report.source_errors(0).message(),
            "/sys/class/powercap/intel-rapl:0:0/energy_uj: No such file or directory");
  ASSERT_EQ(report.power().rapl_size(), 1);
  EXPECT_EQ(report.power().rapl(0).name(), "package-0");
  EXPECT_DOUBLE_EQ(report.power().rapl(0).watts(), 10.0);

  // It comes back: read again from the next cycle on, first as a baseline.
  SetCounter(dir, kCoreEnergy, kCoreUj);
  EXPECT_EQ(CollectAt(source, 2 * kSecond).source_errors_size(), 0);
  SetCounter(dir, kCoreEnergy, kCoreUj + 3'000'000);
  const v1::Report back = CollectAt(source, 3 * kSecond);
  ASSERT_EQ(back.power().rapl_size(), 2);
  EXPECT_DOUBLE_EQ(back.power().rapl(1).watts(), 3.0);
}

TEST(RaplSource, AMalformedCounterIsAnError) {
  testing::TempDir dir;
  CopyHost("laptop-thinkpad", dir);
  const FileTree tree(dir.path());
  RaplSource source(tree);
  std::ofstream(dir.path() / kCoreEnergy, std::ios::trunc) << "-5\n";
  const v1::Report report = CollectAt(source, kSecond);
  ASSERT_EQ(report.source_errors_size(), 1);
  EXPECT_EQ(report.source_errors(0).code(), v1::SourceError::MALFORMED);
  EXPECT_EQ(report.source_errors(0).message(),
            "/sys/class/powercap/intel-rapl:0:0/energy_uj: not a counter: '-5'");
}

// energy_uj is 0400 root since Linux 5.10. Tests run as root, whom file
// modes do not stop: the read then happens in a child process that dropped
// to the unprivileged user "nobody" (65534), which is exactly the agent run
// without privileges. As a non-root user the file is made unreadable (000)
// and read in-process.
TEST(RaplSource, PermissionDeniedSaysRootOnlySinceLinux510) {
  testing::TempDir dir;
  CopyHost("laptop-thinkpad", dir);
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(dir.path())) {
    if (entry.is_symlink()) continue;
    ::chmod(entry.path().c_str(), entry.is_directory() ? 0755 : 0444);
  }
  ::chmod(dir.path().c_str(), 0755);
  ::chmod((dir.path() / kPackageEnergy).c_str(), 0400);
  ::chmod((dir.path() / kCoreEnergy).c_str(), 0400);

  std::string serialized;
  if (::geteuid() == 0) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
          ::setresuid(65534, 65534, 65534) != 0) {
        ::_exit(3);
      }
      const FileTree tree(dir.path());
      RaplSource source(tree);
      std::string bytes = CollectAt(source, kSecond).SerializeAsString();
      const char* p = bytes.data();
      size_t left = bytes.size();
      while (left > 0) {
        const ssize_t n = ::write(fds[1], p, left);
        if (n <= 0) ::_exit(4);
        p += n;
        left -= static_cast<size_t>(n);
      }
      ::_exit(0);
    }
    ::close(fds[1]);
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) serialized.append(buffer, static_cast<size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  } else {
    ::chmod((dir.path() / kPackageEnergy).c_str(), 0);
    ::chmod((dir.path() / kCoreEnergy).c_str(), 0);
    const FileTree tree(dir.path());
    RaplSource source(tree);
    serialized = CollectAt(source, kSecond).SerializeAsString();
  }

  v1::Report report;
  ASSERT_TRUE(report.ParseFromString(serialized));
  ASSERT_EQ(report.source_errors_size(), 2);
  const v1::SourceError& error = report.source_errors(0);
  EXPECT_EQ(error.source(), "rapl");
  EXPECT_EQ(error.code(), v1::SourceError::PERMISSION_DENIED);
  EXPECT_EQ(error.message(), RaplPermissionMessage("/sys/class/powercap/intel-rapl:0/energy_uj"));
  EXPECT_NE(error.message().find("energy_uj is readable by root only since Linux 5.10"),
            std::string::npos);
  EXPECT_EQ(report.power().rapl_size(), 0);
}

}  // namespace
}  // namespace vigie::agent
