#include "agent/smart/recorded_device_io.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/testing/testing.h"

namespace vigie::agent::smart {
namespace {

const DiskRef kSda{.name = "sda", .node = "/dev/sda", .transport = DiskTransport::kAta};
const DiskRef kNvme{.name = "nvme0n1", .node = "/dev/nvme0", .transport = DiskTransport::kNvme};

// tests/fixtures/smart/qemu_ahci and qemu_nvme: recorded in the QEMU guest of
// tests/qemu (see their PROVENANCE.md).
TEST(RecordedDeviceIo, ReplaysTheRecordedAhciDisk) {
  const std::unique_ptr<DeviceIo> io = MakeRecordedDeviceIo(testing::FixturePath("smart/qemu_ahci"));
  const Result<PowerMode> mode = io->CheckPowerMode(kSda);
  ASSERT_TRUE(mode) << mode.error().message;
  EXPECT_EQ(*mode, PowerMode::kActive);
  const Result<SmartStatus> status = io->SmartReturnStatus(kSda);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(*status, SmartStatus::kPassed);
  const Result<Block512> data = io->ReadSmartData(kSda);
  ASSERT_TRUE(data) << data.error().message;
  // SMART READ DATA byte 2 is the first attribute's id (1, Raw_Read_Error_Rate).
  EXPECT_EQ((*data)[2], std::byte{0x01});
  const std::string file = testing::ReadFixture("smart/qemu_ahci/sda/smart_data.bin");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(data->data()), data->size()), file);
}

TEST(RecordedDeviceIo, ReplaysTheRecordedNvmeController) {
  const std::unique_ptr<DeviceIo> io = MakeRecordedDeviceIo(testing::FixturePath("smart/qemu_nvme"));
  const Result<Block4096> identify = io->NvmeIdentifyController(kNvme);
  ASSERT_TRUE(identify) << identify.error().message;
  // Identify Controller bytes 1:0, the PCI vendor id: 1B36h (Red Hat, QEMU).
  EXPECT_EQ((*identify)[0], std::byte{0x36});
  EXPECT_EQ((*identify)[1], std::byte{0x1B});
  EXPECT_TRUE(io->NvmeGetLogPage(kNvme, kNvmeLogHealth));
}

TEST(RecordedDeviceIo, ACommandNeverRecordedIsUnavailable) {
  const std::unique_ptr<DeviceIo> io = MakeRecordedDeviceIo(testing::FixturePath("smart/qemu_nvme"));
  const Result<Block512> log = io->NvmeGetLogPage(kNvme, 0x01);
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, ErrorCode::kUnavailable);
}

TEST(RecordedDeviceIo, ReplaysTheRecordedPermissionErrors) {
  const std::unique_ptr<DeviceIo> io = MakeRecordedDeviceIo(testing::FixturePath("smart/qemu_nocaps"));
  const Result<PowerMode> mode = io->CheckPowerMode(kSda);
  ASSERT_FALSE(mode);
  EXPECT_EQ(mode.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(mode.error().message,
            "/dev/sda: CHECK POWER MODE: ATA pass-through needs CAP_SYS_RAWIO (Operation not permitted)");
  const Result<Block4096> identify = io->NvmeIdentifyController(kNvme);
  ASSERT_FALSE(identify);
  EXPECT_EQ(identify.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(identify.error().message.find("CAP_SYS_ADMIN"), std::string::npos);
}

TEST(RecordedDeviceIo, AShortFileIsMalformed) {
  testing::TempDir dir;
  dir.Write("sda/identify.bin", std::string(100, '\0'));
  const std::unique_ptr<DeviceIo> io = MakeRecordedDeviceIo(dir.path());
  const Result<Block512> identify = io->Identify(kSda);
  ASSERT_FALSE(identify);
  EXPECT_EQ(identify.error().code, ErrorCode::kMalformed);
}

TEST(RecordedDeviceIo, ListsTheRecordedDisks) {
  const std::vector<DiskRef> disks = ListRecordedDisks(testing::FixturePath("smart/qemu_nocaps"));
  ASSERT_EQ(disks.size(), 2u);
  EXPECT_EQ(disks[0].name, "nvme0n1");
  EXPECT_EQ(disks[0].transport, DiskTransport::kNvme);
  EXPECT_EQ(disks[1].name, "sda");
  EXPECT_EQ(disks[1].transport, DiskTransport::kAta);
}

TEST(RecordedDeviceIo, RecordingAgainLeavesNoStaleFile) {
  testing::TempDir out;
  out.Write("sda/errors", "identify.bin io old failure\n");
  out.Write("sda/smart_data.bin", "stale");
  const std::unique_ptr<DeviceIo> replay = MakeRecordedDeviceIo(testing::FixturePath("smart/qemu_ahci"));
  RecordingDeviceIo recording(*replay, out.path());
  ASSERT_TRUE(recording.Identify(kSda));
  EXPECT_TRUE(std::filesystem::exists(out.path() / "sda/identify.bin"));
  EXPECT_FALSE(std::filesystem::exists(out.path() / "sda/errors"));
  EXPECT_FALSE(std::filesystem::exists(out.path() / "sda/smart_data.bin"));
}

}  // namespace
}  // namespace vigie::agent::smart
