// The only code of the project that issues ioctls.
//
// ATA disks: SG_IO (scsi/sg.h, "SCSI Generic (sg) HOWTO") carrying the SCSI
// command ATA PASS-THROUGH (16) of SAT-3 (T10/BSR INCITS 517, 12.2.2), which
// libata translates to the ATA command itself and which SAT USB bridges pass
// on. NVMe: NVME_IOCTL_ADMIN_CMD (linux/nvme_ioctl.h) on the controller node.
//
// Nothing here decodes a data page; only the status registers that some
// commands return (CHECK POWER MODE's count, SMART RETURN STATUS's LBA mid and
// high) are read back, from the sense data.
#include <fcntl.h>
#include <linux/nvme_ioctl.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <span>

#include <fmt/format.h>

#include "agent/smart/ata_status.h"
#include "agent/smart/device_io.h"
#include "agent/smart/sat_sense.h"

namespace vigie::agent::smart {
namespace {

// SAT-3 12.2.2.1, table 180: ATA PASS-THROUGH (16) operation code.
constexpr uint8_t kAtaPassThrough16 = 0x85;
// SAT-3 table 182, PROTOCOL field (CDB byte 1 bits 4:1).
constexpr uint8_t kProtocolNonData = 3;
constexpr uint8_t kProtocolPioDataIn = 4;
// SAT-3 12.2.2.3, CDB byte 2: OFF_LINE (7:6), CK_COND (5), T_TYPE (4),
// T_DIR (3), BYT_BLOK (2), T_LENGTH (1:0).
constexpr uint8_t kCkCond = 1 << 5;
constexpr uint8_t kTDirFromDevice = 1 << 3;
constexpr uint8_t kBytBlokBlocks = 1 << 2;
constexpr uint8_t kTLengthInCount = 0x2;  // transfer length in the COUNT field (table 184)

// ATA commands (ACS-3 table B.2) and SMART feature values (ACS-3 7.48).
constexpr uint8_t kAtaCheckPowerMode = 0xE5;
constexpr uint8_t kAtaIdentifyDevice = 0xEC;
constexpr uint8_t kAtaSmart = 0xB0;
constexpr uint8_t kSmartReadData = 0xD0;
constexpr uint8_t kSmartReadThresholds = 0xD1;  // obsolete since ATA-4 but kept by drives
constexpr uint8_t kSmartReadLog = 0xD5;
constexpr uint8_t kSmartReturnStatus = 0xDA;
// Every SMART command carries C24Fh in LBA high:mid (ACS-3 7.48.1).
constexpr uint8_t kSmartLbaMid = 0x4F;
constexpr uint8_t kSmartLbaHigh = 0xC2;

// SPC-4 4.5.6, table 31: sense keys.
constexpr uint8_t kSenseRecoveredError = 0x1;
constexpr uint8_t kSenseIllegalRequest = 0x5;
constexpr uint8_t kSenseAbortedCommand = 0xB;
// ATA status register bits (ACS-3 6.2): ERR and DF.
constexpr uint8_t kAtaStatusErr = 0x01;
constexpr uint8_t kAtaStatusDf = 0x20;
// SAM-5 5.3, status codes; sg_io_hdr driver_status (scsi/sg.h).
constexpr uint8_t kScsiStatusGood = 0x00;
constexpr uint8_t kScsiStatusCheckCondition = 0x02;

// NVMe Base 2.0, figure 138 (admin opcodes), figure 273 (CNS values) and
// figure 197 (Get Log Page CDW10: LID bits 7:0, NUMDL bits 31:16).
constexpr uint8_t kNvmeAdminGetLogPage = 0x02;
constexpr uint8_t kNvmeAdminIdentify = 0x06;
constexpr uint32_t kNvmeCnsController = 0x01;
constexpr uint32_t kNvmeNsidAll = 0xFFFFFFFF;

constexpr unsigned kSgTimeoutMs = 10000;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// What an ATA command needs: the registers and whether it reads a block.
struct AtaCommand {
  uint8_t command = 0;
  uint8_t features = 0;
  uint8_t count = 0;
  uint8_t lba_low = 0;
  uint8_t lba_mid = 0;
  uint8_t lba_high = 0;
  bool reads_block = false;  // PIO data-in of one 512-byte block, else non-data
  bool check_condition = false;  // CK_COND: return the registers
  std::string what;  // for messages, e.g. "SMART READ DATA"
};

class LinuxDeviceIo : public DeviceIo {
 public:
  Result<PowerMode> CheckPowerMode(const DiskRef& disk) override {
    if (disk.transport == DiskTransport::kNvme) return PowerMode::kUnknown;
    const Result<AtaRegisters> out =
        RunAta(disk, AtaCommand{.command = kAtaCheckPowerMode, .check_condition = true, .what = "CHECK POWER MODE"},
               nullptr);
    if (!out) {
      // smartd reads a device that does not answer CHECK POWER MODE as being
      // in SLEEP (smartd.cpp, "is in SLEEP mode"): a sleeping ATA device
      // only answers a reset. A bridge without pass-through is not asleep.
      if (out.error().code == ErrorCode::kIo) return PowerMode::kSleep;
      return tl::unexpected(out.error());
    }
    // The COUNT register after CHECK POWER MODE (ACS-3 7.3.5), decoded by
    // ata_status.h; a value it does not know leaves the mode unknown, and the
    // disk is read as smartd does with an unknown mode.
    const Result<AtaPowerMode> decoded = DecodeAtaPowerMode(out->count);
    if (!decoded) return PowerMode::kUnknown;
    if (IsSpunDown(*decoded)) return PowerMode::kStandby;
    return *decoded == AtaPowerMode::kIdle ? PowerMode::kIdle : PowerMode::kActive;
  }

  Result<Block512> Identify(const DiskRef& disk) override {
    return ReadBlock(disk, AtaCommand{.command = kAtaIdentifyDevice, .count = 1, .what = "IDENTIFY DEVICE"});
  }

  Result<SmartStatus> SmartReturnStatus(const DiskRef& disk) override {
    const Result<AtaRegisters> out = RunAta(disk,
                                         AtaCommand{.command = kAtaSmart,
                                                    .features = kSmartReturnStatus,
                                                    .lba_mid = kSmartLbaMid,
                                                    .lba_high = kSmartLbaHigh,
                                                    .check_condition = true,
                                                    .what = "SMART RETURN STATUS"},
                                         nullptr);
    if (!out) return tl::unexpected(out.error());
    const Result<bool> passed = DecodeAtaSmartReturnStatus(out->lba_mid, out->lba_high);
    if (!passed) {
      return Fail(ErrorCode::kMalformed,
                  fmt::format("{}: {}", disk.node, passed.error().message));
    }
    return *passed ? SmartStatus::kPassed : SmartStatus::kFailed;
  }

  Result<Block512> ReadSmartData(const DiskRef& disk) override {
    return ReadBlock(disk, AtaCommand{.command = kAtaSmart,
                                      .features = kSmartReadData,
                                      .count = 1,
                                      .lba_mid = kSmartLbaMid,
                                      .lba_high = kSmartLbaHigh,
                                      .what = "SMART READ DATA"});
  }

  Result<Block512> ReadSmartThresholds(const DiskRef& disk) override {
    return ReadBlock(disk, AtaCommand{.command = kAtaSmart,
                                      .features = kSmartReadThresholds,
                                      .count = 1,
                                      .lba_mid = kSmartLbaMid,
                                      .lba_high = kSmartLbaHigh,
                                      .what = "SMART READ THRESHOLDS"});
  }

  Result<Block512> ReadSmartLog(const DiskRef& disk, uint8_t log_address) override {
    // ACS-3 7.48.7: LBA(7:0) is the log address, COUNT the number of pages.
    return ReadBlock(disk, AtaCommand{.command = kAtaSmart,
                                      .features = kSmartReadLog,
                                      .count = 1,
                                      .lba_low = log_address,
                                      .lba_mid = kSmartLbaMid,
                                      .lba_high = kSmartLbaHigh,
                                      .what = fmt::format("SMART READ LOG {:02X}h", log_address)});
  }

  Result<Block4096> NvmeIdentifyController(const DiskRef& disk) override {
    Block4096 block{};
    nvme_admin_cmd cmd{};
    cmd.opcode = kNvmeAdminIdentify;
    cmd.nsid = 0;
    cmd.addr = reinterpret_cast<uintptr_t>(block.data());
    cmd.data_len = block.size();
    cmd.cdw10 = kNvmeCnsController;
    if (Result<void> done = RunNvme(disk, cmd, "Identify Controller"); !done) return tl::unexpected(done.error());
    return block;
  }

  Result<Block512> NvmeGetLogPage(const DiskRef& disk, uint8_t log_id) override {
    Block512 block{};
    nvme_admin_cmd cmd{};
    cmd.opcode = kNvmeAdminGetLogPage;
    cmd.nsid = kNvmeNsidAll;
    cmd.addr = reinterpret_cast<uintptr_t>(block.data());
    cmd.data_len = block.size();
    // NUMDL is 0's based: 128 dwords -> 127.
    const uint32_t numd = block.size() / 4 - 1;
    cmd.cdw10 = log_id | (numd << 16);
    if (Result<void> done = RunNvme(disk, cmd, fmt::format("Get Log Page {:02X}h", log_id)); !done) {
      return tl::unexpected(done.error());
    }
    return block;
  }

 private:
  // The open descriptor of `node`, opening it on first use.
  Result<int> Open(const std::string& node) {
    if (auto it = fds_.find(node); it != fds_.end()) return it->second->get();
    // O_NONBLOCK: opening a device must never wait for media (a removable
    // bridge without a disk), as smartctl does; O_RDONLY suffices for SG_IO
    // and for the NVMe admin ioctl.
    const int fd = ::open(node.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      return Fail(ErrorCodeFromErrno(err), fmt::format("{}: open: {}", node, std::strerror(err)));
    }
    fds_.emplace(node, std::make_unique<Fd>(fd));
    return fd;
  }

  // Forgets a descriptor whose device went away, so the next cycle reopens it.
  void DropIfGone(const std::string& node, int err) {
    if (err == ENODEV || err == ENXIO || err == EBADF) fds_.erase(node);
  }

  Result<Block512> ReadBlock(const DiskRef& disk, const AtaCommand& command) {
    Block512 block{};
    AtaCommand with_data = command;
    with_data.reads_block = true;
    const Result<AtaRegisters> out = RunAta(disk, with_data, block.data());
    if (!out) return tl::unexpected(out.error());
    return block;
  }

  Result<AtaRegisters> RunAta(const DiskRef& disk, const AtaCommand& command, std::byte* block) {
    const Result<int> fd = Open(disk.node);
    if (!fd) return tl::unexpected(fd.error());

    // SAT-3 12.2.2.1, table 180: the ATA PASS-THROUGH (16) CDB.
    uint8_t cdb[16] = {};
    cdb[0] = kAtaPassThrough16;
    cdb[1] = static_cast<uint8_t>((command.reads_block ? kProtocolPioDataIn : kProtocolNonData) << 1);
    if (command.reads_block) cdb[2] = kTDirFromDevice | kBytBlokBlocks | kTLengthInCount;
    if (command.check_condition) cdb[2] |= kCkCond;
    cdb[4] = command.features;  // FEATURES (7:0)
    cdb[6] = command.count;     // COUNT (7:0)
    cdb[8] = command.lba_low;   // LBA (7:0)
    cdb[10] = command.lba_mid;  // LBA (15:8)
    cdb[12] = command.lba_high; // LBA (23:16)
    cdb[14] = command.command;

    uint8_t sense[64] = {};
    sg_io_hdr_t io{};
    io.interface_id = 'S';
    io.cmd_len = sizeof cdb;
    io.cmdp = cdb;
    io.mx_sb_len = sizeof sense;
    io.sbp = sense;
    io.timeout = kSgTimeoutMs;
    if (command.reads_block) {
      io.dxfer_direction = SG_DXFER_FROM_DEV;
      io.dxferp = block;
      io.dxfer_len = 512;
    } else {
      io.dxfer_direction = SG_DXFER_NONE;
    }

    if (::ioctl(*fd, SG_IO, &io) < 0) {
      const int err = errno;
      DropIfGone(disk.node, err);
      if (err == EPERM || err == EACCES) {
        return Fail(ErrorCode::kPermissionDenied,
                    fmt::format("{}: {}: ATA pass-through needs CAP_SYS_RAWIO ({})", disk.node, command.what,
                                std::strerror(err)));
      }
      if (err == EINVAL || err == ENOTTY || err == EOPNOTSUPP) {
        return Fail(ErrorCode::kUnavailable,
                    fmt::format("{}: unsupported: no SCSI generic pass-through ({})", disk.node, std::strerror(err)));
      }
      return Fail(ErrorCodeFromErrno(err), fmt::format("{}: {}: SG_IO: {}", disk.node, command.what, std::strerror(err)));
    }

    const SatSense parsed = ParseSatSense(std::span<const uint8_t>(sense, io.sb_len_wr));
    if (io.host_status != 0 || (io.status != kScsiStatusGood && io.status != kScsiStatusCheckCondition)) {
      return Fail(ErrorCode::kIo, fmt::format("{}: {}: SCSI status {:02X}h, host status {:04X}h", disk.node,
                                              command.what, io.status, io.host_status));
    }
    if (io.status == kScsiStatusCheckCondition) {
      if (parsed.sense_key == kSenseIllegalRequest) {
        // ASC 20h (invalid command operation code) or 24h (invalid field in
        // CDB): the bridge does not translate ATA PASS-THROUGH.
        return Fail(ErrorCode::kUnavailable,
                    fmt::format("{}: unsupported: the device rejected ATA PASS-THROUGH ({}; ASC/ASCQ {:02X}h/{:02X}h)",
                                disk.node, command.what, parsed.asc, parsed.ascq));
      }
      if (parsed.has_registers && (parsed.registers.status & (kAtaStatusErr | kAtaStatusDf)) != 0) {
        // The drive itself refused (e.g. SMART disabled: ABORT in the error
        // register, ACS-3 7.48.1).
        return Fail(ErrorCode::kUnavailable,
                    fmt::format("{}: {} aborted by the drive (status {:02X}h, error {:02X}h)", disk.node,
                                command.what, parsed.registers.status, parsed.registers.error));
      }
      if (parsed.sense_key == kSenseAbortedCommand) {
        return Fail(ErrorCode::kIo, fmt::format("{}: {}: aborted (ASC/ASCQ {:02X}h/{:02X}h)", disk.node,
                                                command.what, parsed.asc, parsed.ascq));
      }
      if (parsed.sense_key != kSenseRecoveredError && parsed.sense_key != 0) {
        return Fail(ErrorCode::kIo, fmt::format("{}: {}: sense key {:X}h, ASC/ASCQ {:02X}h/{:02X}h", disk.node,
                                                command.what, parsed.sense_key, parsed.asc, parsed.ascq));
      }
    }
    if (command.check_condition && !parsed.has_registers) {
      // A bridge that ignores CK_COND: the registers are lost.
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("{}: unsupported: {} returned no ATA registers (CK_COND ignored)", disk.node,
                              command.what));
    }
    if (command.reads_block && io.resid != 0) {
      return Fail(ErrorCode::kIo,
                  fmt::format("{}: {}: short transfer ({} of 512 bytes missing)", disk.node, command.what, io.resid));
    }
    return parsed.registers;
  }

  Result<void> RunNvme(const DiskRef& disk, nvme_admin_cmd& cmd, std::string_view what) {
    const Result<int> fd = Open(disk.node);
    if (!fd) return tl::unexpected(fd.error());
    const int rc = ::ioctl(*fd, NVME_IOCTL_ADMIN_CMD, &cmd);
    if (rc < 0) {
      const int err = errno;
      DropIfGone(disk.node, err);
      if (err == EPERM || err == EACCES) {
        return Fail(ErrorCode::kPermissionDenied, fmt::format("{}: NVMe {}: admin commands need CAP_SYS_ADMIN ({})",
                                                              disk.node, what, std::strerror(err)));
      }
      if (err == ENOTTY || err == EINVAL) {
        return Fail(ErrorCode::kUnavailable,
                    fmt::format("{}: unsupported: not an NVMe controller node ({})", disk.node, std::strerror(err)));
      }
      return Fail(ErrorCodeFromErrno(err), fmt::format("{}: NVMe {}: {}", disk.node, what, std::strerror(err)));
    }
    if (rc > 0) {
      // A positive return is the NVMe status field (NVMe Base 2.0, figure 92:
      // SCT bits 10:8, SC bits 7:0); 02h/09h: invalid log page, 01h/02h:
      // invalid field.
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("{}: NVMe {}: controller status {:03X}h", disk.node, what, rc & 0x7FF));
    }
    return {};
  }

  std::map<std::string, std::unique_ptr<Fd>> fds_;
};

}  // namespace

std::unique_ptr<DeviceIo> MakeLinuxDeviceIo() { return std::make_unique<LinuxDeviceIo>(); }

}  // namespace vigie::agent::smart
