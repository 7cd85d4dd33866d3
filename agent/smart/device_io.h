// The narrow I/O seam between the disk source and the hardware: the few ATA
// and NVMe admin commands the agent issues, returning the exact bytes the
// device sent. Decoding those bytes is the pure decoders' job (ata_*.h,
// nvme_*.h); nothing here interprets a page beyond the status registers.
//
// Implementations:
//   MakeLinuxDeviceIo()     the live one (linux_device_io.cc, the only file of
//                           the project that issues ioctls);
//   MakeRecordedDeviceIo()  replays a recorded folder (recorded_device_io.h);
//   RecordingDeviceIo       a decorator that saves what another one reads.
//
// Errors, for every method:
//   kNotFound         the device node does not exist (unplugged);
//   kPermissionDenied the agent lacks the capability the command needs
//                     (SATA: CAP_SYS_RAWIO; NVMe admin: CAP_SYS_ADMIN);
//   kUnavailable      the device or its bridge does not support the command
//                     (a USB bridge without ATA pass-through, SMART disabled,
//                     an aborted command): not a fault, report UNSUPPORTED;
//   kIo               the command failed or timed out.
//
// Thread-compatible: one caller at a time (the agent has one thread).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace vigie::agent::smart {

// One ATA 512-byte data block or the 512-byte NVMe health log page, as read.
using Block512 = std::array<std::byte, 512>;
// The 4096-byte NVMe Identify Controller data structure, as read.
using Block4096 = std::array<std::byte, 4096>;

enum class DiskTransport {
  kAta,   // sd* behind libata (AHCI...) or a SCSI/ATA Translation (USB) bridge
  kNvme,  // nvme*n*: admin commands go to the controller node /dev/nvmeN
};

// Which disk a command is for.
struct DiskRef {
  // Kernel block device name, as reported in Disk.device: "sda", "nvme0n1".
  // Also the folder name of a recording.
  std::string name;
  // The node the commands are sent to: "/dev/sda"; "/dev/nvme0" for NVMe.
  std::string node;
  DiskTransport transport = DiskTransport::kAta;
};

// ATA power modes as CHECK POWER MODE reports them (ACS-3 7.3, table 29 of
// normal outputs), grouped as smartd's -n option groups them.
enum class PowerMode {
  kUnknown,  // the device answered something else (or is NVMe: no such command)
  kActive,   // FFh: active or idle
  kIdle,     // 80h-83h: idle, idle_a, idle_b, idle_c
  kStandby,  // 00h, 01h (standby_z, standby_y), 40h (NV cache, spun down)
  kSleep,    // the device did not answer CHECK POWER MODE (smartd's reading)
};

std::string_view PowerModeName(PowerMode mode);  // "active", "standby"...
Result<PowerMode> ParsePowerModeName(std::string_view text);

// SMART RETURN STATUS (ACS-3 7.48.9): LBA mid/high C2h:4Fh = no threshold
// exceeded, 2Ch:F4h = a threshold was exceeded.
enum class SmartStatus { kPassed, kFailed };

std::string_view SmartStatusName(SmartStatus status);  // "passed", "failed"
Result<SmartStatus> ParseSmartStatusName(std::string_view text);

// SMART log addresses the agent reads with SMART READ LOG (ACS-3 A.1, table
// A.2).
inline constexpr uint8_t kSmartLogSummaryError = 0x01;  // summary SMART error log
inline constexpr uint8_t kSmartLogSelfTest = 0x06;      // SMART self-test log
// NVMe Log Page Identifier of SMART / Health Information (NVMe Base 2.0,
// figure 202).
inline constexpr uint8_t kNvmeLogHealth = 0x02;

class DeviceIo {
 public:
  virtual ~DeviceIo() = default;

  // ATA CHECK POWER MODE (E5h), a non-data command that never changes the
  // power mode: a disk in standby stays spun down. kUnknown for NVMe.
  virtual Result<PowerMode> CheckPowerMode(const DiskRef& disk) = 0;

  // ATA IDENTIFY DEVICE (ECh), 512 bytes.
  virtual Result<Block512> Identify(const DiskRef& disk) = 0;
  // SMART RETURN STATUS (B0h/DAh): the drive's own overall verdict.
  virtual Result<SmartStatus> SmartReturnStatus(const DiskRef& disk) = 0;
  // SMART READ DATA (B0h/D0h), 512 bytes.
  virtual Result<Block512> ReadSmartData(const DiskRef& disk) = 0;
  // SMART READ ATTRIBUTE THRESHOLDS (B0h/D1h), 512 bytes.
  virtual Result<Block512> ReadSmartThresholds(const DiskRef& disk) = 0;
  // SMART READ LOG (B0h/D5h), the first 512-byte page of `log_address`.
  virtual Result<Block512> ReadSmartLog(const DiskRef& disk, uint8_t log_address) = 0;

  // NVMe Identify (06h) with CNS 01h: the Identify Controller structure.
  virtual Result<Block4096> NvmeIdentifyController(const DiskRef& disk) = 0;
  // NVMe Get Log Page (02h), 512 bytes of `log_id`, controller-wide
  // (NSID FFFFFFFFh).
  virtual Result<Block512> NvmeGetLogPage(const DiskRef& disk, uint8_t log_id) = 0;
};

// The live implementation: SG_IO with ATA PASS-THROUGH(16) for ATA disks,
// NVME_IOCTL_ADMIN_CMD for NVMe controllers. Device nodes are opened
// O_RDONLY|O_NONBLOCK on first use and kept open across cycles; a node that
// fails with ENODEV/ENXIO is closed and reopened next time. Each command costs
// one ioctl (a few hundred microseconds on real hardware).
std::unique_ptr<DeviceIo> MakeLinuxDeviceIo();

}  // namespace vigie::agent::smart
