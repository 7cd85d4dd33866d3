#include "agent/sources/disk_source.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "agent/smart/recorded_device_io.h"
#include "common/printable.h"
#include "common/report_limits.h"
#include "tests/testing/testing.h"

namespace vigie::agent {
namespace {

namespace fs = std::filesystem;
using smart::Block4096;
using smart::Block512;
using smart::DiskRef;
using smart::PowerMode;

// Counts the commands that reach the device, to prove a sleeping disk got
// none but CHECK POWER MODE. Answers come from the wrapped recording.
class CountingDeviceIo : public smart::DeviceIo {
 public:
  explicit CountingDeviceIo(smart::DeviceIo& inner) : inner_(inner) {}
  int power_checks = 0;
  int smart_commands = 0;

  Result<PowerMode> CheckPowerMode(const DiskRef& d) override { return ++power_checks, inner_.CheckPowerMode(d); }
  Result<Block512> Identify(const DiskRef& d) override { return ++smart_commands, inner_.Identify(d); }
  Result<smart::SmartStatus> SmartReturnStatus(const DiskRef& d) override {
    return ++smart_commands, inner_.SmartReturnStatus(d);
  }
  Result<Block512> ReadSmartData(const DiskRef& d) override { return ++smart_commands, inner_.ReadSmartData(d); }
  Result<Block512> ReadSmartThresholds(const DiskRef& d) override {
    return ++smart_commands, inner_.ReadSmartThresholds(d);
  }
  Result<Block512> ReadSmartLog(const DiskRef& d, uint8_t log) override {
    return ++smart_commands, inner_.ReadSmartLog(d, log);
  }
  Result<Block4096> NvmeIdentifyController(const DiskRef& d) override {
    return ++smart_commands, inner_.NvmeIdentifyController(d);
  }
  Result<Block512> NvmeGetLogPage(const DiskRef& d, uint8_t log) override {
    return ++smart_commands, inner_.NvmeGetLogPage(d, log);
  }

 private:
  smart::DeviceIo& inner_;
};

v1::Report CollectOnce(DiskSource& source, int64_t wall_unix_ms = 1'800'000'000'000) {
  v1::Report report;
  source.Collect(CollectContext{.wall_unix_ms = wall_unix_ms, .monotonic_ns = 0}, report);
  return report;
}

v1::Report ReplayOnce(std::string_view fixture) {
  const fs::path dir = testing::FixturePath(fixture);
  const std::unique_ptr<smart::DeviceIo> io = smart::MakeRecordedDeviceIo(dir);
  DiskSource source(RecordedDiskLister(dir), *io);
  return CollectOnce(source);
}

// A writable copy of a recorded folder, to put its disk to sleep.
class FixtureCopy {
 public:
  explicit FixtureCopy(std::string_view fixture) {
    fs::copy(testing::FixturePath(fixture), dir_.path(), fs::copy_options::recursive);
  }
  const fs::path& path() const { return dir_.path(); }
  void Write(std::string_view relative, std::string_view text) const { dir_.Write(relative, text); }

 private:
  testing::TempDir dir_;
};

// Expected values: tests/fixtures/smart/qemu_ahci/smartctl.json, smartctl's
// reading of the same disk in the same guest.
TEST(DiskSource, DecodesTheRecordedAhciDisk) {
  const v1::Report report = ReplayOnce("smart/qemu_ahci");
  ASSERT_EQ(report.disks_size(), 1);
  const v1::Disk& disk = report.disks(0);
  EXPECT_EQ(disk.status(), v1::Disk::READ) << disk.error();
  EXPECT_EQ(disk.device(), "sda");
  EXPECT_EQ(disk.kind(), v1::Disk::ATA_HDD);
  EXPECT_EQ(disk.model(), "VIGIE QEMU SATA");
  EXPECT_EQ(disk.serial(), "VIGIESATA0001");
  EXPECT_EQ(disk.firmware(), "2.5+");
  EXPECT_EQ(disk.capacity_bytes(), 67108864u);
  EXPECT_EQ(disk.power_state(), v1::Disk::ACTIVE);
  EXPECT_EQ(disk.health(), v1::Disk::PASSED);
  EXPECT_EQ(disk.last_read_unix_ms(), 1'800'000'000'000);
  ASSERT_TRUE(disk.has_temperature_celsius());
  EXPECT_EQ(disk.temperature_celsius(), 31);
  ASSERT_EQ(disk.ata_attributes_size(), 7);
  const v1::AtaAttribute& realloc = disk.ata_attributes(3);
  EXPECT_EQ(realloc.id(), 5u);
  EXPECT_EQ(realloc.name(), "Reallocated_Sector_Ct");
  EXPECT_TRUE(realloc.prefailure());
  EXPECT_EQ(realloc.value(), 100u);
  EXPECT_EQ(realloc.threshold(), 36u);
  EXPECT_EQ(realloc.raw(), 0u);
  const v1::AtaAttribute& airflow = disk.ata_attributes(6);
  EXPECT_EQ(airflow.id(), 190u);
  EXPECT_EQ(airflow.value(), 69u);
  EXPECT_EQ(airflow.worst(), 69u);
  EXPECT_EQ(airflow.threshold(), 50u);
  EXPECT_EQ(airflow.raw(), 522125343u);
  EXPECT_EQ(airflow.raw_decoded(), 31);
  EXPECT_EQ(airflow.raw_text(), "31 (Min/Max 31/31)");
  ASSERT_TRUE(disk.has_ata_error_count());
  EXPECT_EQ(disk.ata_error_count(), 0u);
  ASSERT_TRUE(disk.has_last_self_test());
  EXPECT_EQ(disk.last_self_test().status(), 0u);
  EXPECT_EQ(disk.last_self_test().lifetime_hours(), 4660u);
  EXPECT_EQ(disk.last_self_test().description(), "Short offline: Completed without error");
  EXPECT_EQ(report.source_errors_size(), 0);
}

// Real drives (and USB bridges) put stray bytes in their IDENTIFY strings:
// the recorded disk, its model given a 0xff byte and its serial a terminal
// escape, the integrity checksum made right again.
TEST(DiskSource, MakesTheIdentifyStringsOfADriveWithStrayBytesPrintable) {
  const FixtureCopy copy("smart/qemu_ahci");
  std::string page = testing::ReadFixture("smart/qemu_ahci/sda/identify.bin");
  ASSERT_EQ(page.size(), 512u);
  // ATA strings hold two characters per word, the first in the high byte
  // (ACS-3, 3.3.10): words 27-46 are the model, 10-19 the serial.
  page[2 * 27 + 1] = '\xff';
  page[2 * 10 + 1] = '\x1b';
  if (static_cast<unsigned char>(page[510]) == 0xa5) {
    unsigned sum = 0;
    for (size_t i = 0; i < 511; ++i) sum += static_cast<unsigned char>(page[i]);
    page[511] = static_cast<char>((256 - sum % 256) % 256);
  }
  copy.Write("sda/identify.bin", page);
  const std::unique_ptr<smart::DeviceIo> io = smart::MakeRecordedDeviceIo(copy.path());
  DiskSource source(RecordedDiskLister(copy.path()), *io);
  const v1::Report report = CollectOnce(source);

  ASSERT_EQ(report.disks_size(), 1);
  const v1::Disk& disk = report.disks(0);
  EXPECT_EQ(disk.status(), v1::Disk::READ) << disk.error();
  EXPECT_EQ(disk.model(), "\uFFFDIGIE QEMU SATA");
  EXPECT_EQ(disk.serial(), "\uFFFDIGIESATA0001");
  EXPECT_EQ(ReportLimitViolation(report, ReportLimits{}), "");
}

// Expected values: tests/fixtures/smart/qemu_nvme/smartctl.json.
TEST(DiskSource, DecodesTheRecordedNvmeDisk) {
  const v1::Report report = ReplayOnce("smart/qemu_nvme");
  ASSERT_EQ(report.disks_size(), 1);
  const v1::Disk& disk = report.disks(0);
  EXPECT_EQ(disk.status(), v1::Disk::READ) << disk.error();
  EXPECT_EQ(disk.device(), "nvme0n1");
  EXPECT_EQ(disk.kind(), v1::Disk::NVME);
  EXPECT_EQ(disk.model(), "QEMU NVMe Ctrl");
  EXPECT_EQ(disk.serial(), "VIGIENVME0001");
  EXPECT_EQ(disk.firmware(), "7.2.22");
  EXPECT_EQ(disk.power_state(), v1::Disk::POWER_STATE_UNSPECIFIED);
  EXPECT_EQ(disk.health(), v1::Disk::PASSED);
  EXPECT_EQ(disk.temperature_celsius(), 50);
  EXPECT_EQ(disk.nvme().critical_warning(), 0u);
  EXPECT_EQ(disk.nvme().composite_temperature_celsius(), 50);
  EXPECT_EQ(disk.nvme().available_spare_percent(), 0u);
  EXPECT_EQ(disk.nvme().available_spare_threshold_percent(), 0u);
  EXPECT_EQ(disk.nvme().data_units_read(), 1u);
  EXPECT_EQ(disk.nvme().temperature_sensors_size(), 0);
}

// qom-set smart_critical_warning 5 before this recording (its PROVENANCE.md).
TEST(DiskSource, ReportsTheInjectedNvmeCriticalWarningAsFailed) {
  const v1::Report report = ReplayOnce("smart/qemu_nvme_critical_warning");
  ASSERT_EQ(report.disks_size(), 1);
  EXPECT_EQ(report.disks(0).status(), v1::Disk::READ);
  EXPECT_EQ(report.disks(0).nvme().critical_warning(), 0x05u);
  EXPECT_EQ(report.disks(0).health(), v1::Disk::FAILED);
}

TEST(DiskSource, ADiskInStandbyGetsNoSmartCommandAndKeepsItsLastReadTime) {
  const FixtureCopy copy("smart/qemu_ahci");
  const std::unique_ptr<smart::DeviceIo> recorded = smart::MakeRecordedDeviceIo(copy.path());
  CountingDeviceIo io(*recorded);
  DiskSource source(RecordedDiskLister(copy.path()), io);
  ASSERT_EQ(CollectOnce(source, 1000).disks(0).status(), v1::Disk::READ);
  EXPECT_FALSE(source.KnownAsleep("sda"));

  copy.Write("sda/power_mode", "standby\n");
  io.power_checks = io.smart_commands = 0;
  const v1::Report report = CollectOnce(source, 2000);
  ASSERT_EQ(report.disks_size(), 1);
  const v1::Disk& disk = report.disks(0);
  EXPECT_EQ(io.power_checks, 1);
  EXPECT_EQ(io.smart_commands, 0);
  EXPECT_EQ(disk.status(), v1::Disk::SKIPPED_ASLEEP);
  EXPECT_EQ(disk.power_state(), v1::Disk::STANDBY);
  EXPECT_EQ(disk.last_read_unix_ms(), 1000);
  EXPECT_EQ(disk.model(), "VIGIE QEMU SATA");
  EXPECT_EQ(disk.health(), v1::Disk::PASSED);
  EXPECT_EQ(disk.ata_attributes_size(), 0);
  EXPECT_FALSE(disk.has_temperature_celsius());
  EXPECT_TRUE(source.KnownAsleep("sda"));
}

TEST(DiskSource, ADiskAsleepSinceStartHasNoLastRead) {
  const FixtureCopy copy("smart/qemu_ahci");
  copy.Write("sda/power_mode", "sleep\n");
  const std::unique_ptr<smart::DeviceIo> io = smart::MakeRecordedDeviceIo(copy.path());
  DiskSource source(RecordedDiskLister(copy.path()), *io);
  const v1::Disk disk = CollectOnce(source).disks(0);
  EXPECT_EQ(disk.status(), v1::Disk::SKIPPED_ASLEEP);
  EXPECT_EQ(disk.power_state(), v1::Disk::SLEEP);
  EXPECT_EQ(disk.last_read_unix_ms(), 0);
  EXPECT_EQ(disk.model(), "");
}

TEST(DiskSource, PolicyNeverReadsADiskInStandby) {
  const FixtureCopy copy("smart/qemu_ahci");
  copy.Write("sda/power_mode", "standby\n");
  const std::unique_ptr<smart::DeviceIo> io = smart::MakeRecordedDeviceIo(copy.path());
  DiskSource source(RecordedDiskLister(copy.path()), *io, {.skip = SpinUpPolicy::kNever});
  const v1::Disk disk = CollectOnce(source).disks(0);
  EXPECT_EQ(disk.status(), v1::Disk::READ);
  EXPECT_EQ(disk.power_state(), v1::Disk::STANDBY);
  EXPECT_EQ(disk.ata_attributes_size(), 7);
}

TEST(DiskSource, PoliciesSkipAsSmartdDashN) {
  using P = SpinUpPolicy;
  using M = PowerMode;
  EXPECT_FALSE(ShouldSkip(P::kNever, M::kSleep));
  EXPECT_TRUE(ShouldSkip(P::kSleep, M::kSleep));
  EXPECT_FALSE(ShouldSkip(P::kSleep, M::kStandby));
  EXPECT_TRUE(ShouldSkip(P::kStandby, M::kStandby));
  EXPECT_FALSE(ShouldSkip(P::kStandby, M::kIdle));
  EXPECT_TRUE(ShouldSkip(P::kIdle, M::kIdle));
  EXPECT_FALSE(ShouldSkip(P::kIdle, M::kActive));
  EXPECT_FALSE(ShouldSkip(P::kIdle, M::kUnknown));
  EXPECT_EQ(ParseSpinUpPolicy("standby"), P::kStandby);
  EXPECT_FALSE(ParseSpinUpPolicy("always"));
}

// Recorded as uid 65534 without capabilities (qemu_nocaps/PROVENANCE.md).
TEST(DiskSource, MissingCapabilitiesAreEachDisksErrorWithTheCapabilityNamed) {
  const v1::Report report = ReplayOnce("smart/qemu_nocaps");
  ASSERT_EQ(report.disks_size(), 2);
  EXPECT_EQ(report.disks(0).device(), "nvme0n1");
  EXPECT_EQ(report.disks(0).status(), v1::Disk::ERROR);
  EXPECT_EQ(report.disks(0).error(),
            "/dev/nvme0: NVMe Identify Controller: admin commands need CAP_SYS_ADMIN (Permission denied)");
  EXPECT_EQ(report.disks(1).device(), "sda");
  EXPECT_EQ(report.disks(1).status(), v1::Disk::ERROR);
  EXPECT_EQ(report.disks(1).error(),
            "/dev/sda: CHECK POWER MODE: ATA pass-through needs CAP_SYS_RAWIO (Operation not permitted)");
  EXPECT_EQ(report.source_errors_size(), 0);
}

TEST(DiskSource, ABridgeWithoutPassThroughIsUnsupported) {
  testing::TempDir dir;
  dir.Write("sdb/errors",
            "power_mode unavailable /dev/sdb: unsupported: the device rejected ATA PASS-THROUGH (CHECK POWER MODE; "
            "ASC/ASCQ 20h/00h)\n");
  const std::unique_ptr<smart::DeviceIo> io = smart::MakeRecordedDeviceIo(dir.path());
  DiskSource source(RecordedDiskLister(dir.path()), *io);
  const v1::Disk disk = CollectOnce(source).disks(0);
  EXPECT_EQ(disk.status(), v1::Disk::UNSUPPORTED);
  EXPECT_NE(disk.error().find("unsupported"), std::string::npos);
}

TEST(DiskSource, AttributesWithoutAThresholdsPageHaveThresholdZero) {
  const FixtureCopy copy("smart/qemu_ahci");
  fs::remove(copy.path() / "sda/smart_thresholds.bin");
  const std::unique_ptr<smart::DeviceIo> io = smart::MakeRecordedDeviceIo(copy.path());
  DiskSource source(RecordedDiskLister(copy.path()), *io);
  const v1::Disk disk = CollectOnce(source).disks(0);
  EXPECT_EQ(disk.status(), v1::Disk::READ);
  ASSERT_EQ(disk.ata_attributes_size(), 7);
  EXPECT_EQ(disk.ata_attributes(3).threshold(), 0u);
  EXPECT_EQ(disk.ata_attributes(3).value(), 100u);
}

TEST(DiskSource, TellsTheHwmonSourceWhichDrivetempChipIsOnASleepingDisk) {
  const FixtureCopy copy("smart/qemu_ahci");
  copy.Write("sda/power_mode", "standby\n");
  testing::TempDir sys;
  sys.Write("sys/class/hwmon/hwmon1/name", "drivetemp\n");
  fs::create_directories(sys.path() / "sys/class/hwmon/hwmon1/device/block/sda");
  sys.Write("sys/class/hwmon/hwmon0/name", "nvme\n");
  const FileTree tree(sys.path());
  const std::unique_ptr<smart::DeviceIo> io = smart::MakeRecordedDeviceIo(copy.path());
  DiskSource source(RecordedDiskLister(copy.path()), *io);
  EXPECT_FALSE(HwmonChipOnSleepingDisk(tree, "hwmon1", source));  // not yet asked
  CollectOnce(source);
  EXPECT_TRUE(HwmonChipOnSleepingDisk(tree, "hwmon1", source));
  EXPECT_FALSE(HwmonChipOnSleepingDisk(tree, "hwmon0", source));
}

// SMART waits 30 minutes between reads, sensors one: the question is asked
// of the disk itself each time, so a disk that spun down or up in between is
// seen as it is now.
TEST(DiskSource, AsleepNowAsksThePowerModeBetweenSmartCycles) {
  const FixtureCopy copy("smart/qemu_ahci");
  const std::unique_ptr<smart::DeviceIo> io = smart::MakeRecordedDeviceIo(copy.path());
  DiskSource source(RecordedDiskLister(copy.path()), *io);
  CollectOnce(source);
  EXPECT_FALSE(source.AsleepNow("sda"));
  copy.Write("sda/power_mode", "standby\n");
  EXPECT_TRUE(source.AsleepNow("sda"));
  EXPECT_TRUE(source.KnownAsleep("sda"));
  copy.Write("sda/power_mode", "idle\n");
  EXPECT_FALSE(source.AsleepNow("sda"));
}

// Recording a replay reproduces the recording, byte for byte: what the
// recorder saves is exactly what the source read.
TEST(DiskSource, RecordingAReplayGivesTheSameFiles) {
  const fs::path fixture = testing::FixturePath("smart/qemu_ahci");
  const std::unique_ptr<smart::DeviceIo> replay = smart::MakeRecordedDeviceIo(fixture);
  testing::TempDir out;
  const Result<std::vector<v1::Disk>> disks = RecordDisks(RecordedDiskLister(fixture), *replay, out.path(), "test");
  ASSERT_TRUE(disks) << disks.error().message;
  ASSERT_EQ(disks->size(), 1u);
  EXPECT_EQ((*disks)[0].status(), v1::Disk::READ);
  for (const char* file : {"identify.bin", "smart_data.bin", "smart_thresholds.bin", "log_01.bin", "log_06.bin",
                           "power_mode", "smart_status"}) {
    const std::string expected = testing::ReadFixture(std::string("smart/qemu_ahci/sda/") + file);
    std::ifstream in(out.path() / "sda" / file, std::ios::binary);
    const std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(got, expected) << file;
  }
  EXPECT_TRUE(fs::exists(out.path() / "PROVENANCE.md"));
}

TEST(DiskSource, RecordingADiskInStandbySavesOnlyItsPowerMode) {
  testing::TempDir dir;
  dir.Write("sda/power_mode", "standby\n");
  const std::unique_ptr<smart::DeviceIo> replay = smart::MakeRecordedDeviceIo(dir.path());
  testing::TempDir out;
  const Result<std::vector<v1::Disk>> disks = RecordDisks(RecordedDiskLister(dir.path()), *replay, out.path(), "test");
  ASSERT_TRUE(disks);
  EXPECT_EQ((*disks)[0].status(), v1::Disk::SKIPPED_ASLEEP);
  EXPECT_TRUE(fs::exists(out.path() / "sda/power_mode"));
  EXPECT_FALSE(fs::exists(out.path() / "sda/identify.bin"));
}

}  // namespace
}  // namespace vigie::agent
