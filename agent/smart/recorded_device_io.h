// Record and replay of the disk commands: a folder holds, for each disk, the
// exact bytes the live DeviceIo returned, so that tests, `--replay-disks DIR`
// and bug reports replay a real machine without its hardware.
//
// Layout, one folder per disk named after its kernel block device (DiskRef::
// name), every file optional:
//
//   <dir>/PROVENANCE.md          machine, kernel, date, command
//   <dir>/<disk>/power_mode      text: "active", "idle", "standby", "sleep",
//                                "unknown" (CHECK POWER MODE)
//   <dir>/<disk>/smart_status    text: "passed" or "failed" (SMART RETURN STATUS)
//   <dir>/<disk>/identify.bin    512 bytes, IDENTIFY DEVICE
//   <dir>/<disk>/smart_data.bin  512 bytes, SMART READ DATA
//   <dir>/<disk>/smart_thresholds.bin   512 bytes, SMART READ THRESHOLDS
//   <dir>/<disk>/log_01.bin, log_06.bin 512 bytes, SMART READ LOG 01h / 06h
//   <dir>/<disk>/nvme_identify.bin      4096 bytes, NVMe Identify Controller
//   <dir>/<disk>/nvme_log_02.bin        512 bytes, NVMe Get Log Page 02h
//   <dir>/<disk>/errors          text, one line per failed command:
//                                "<file> <code> <message>" (code as
//                                ErrorCodeName, spaces as '_')
//
// A missing file replays as kUnavailable (the command was never answered), a
// line of `errors` as the error it records.
#pragma once

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/smart/device_io.h"

namespace vigie::agent::smart {

// Replays `dir`. Reads the files at each call (they are small); never writes.
std::unique_ptr<DeviceIo> MakeRecordedDeviceIo(std::filesystem::path dir);

// The disks of a recorded folder, for `--replay-disks DIR`: every subfolder,
// NVMe when it holds nvme_identify.bin or nvme_log_02.bin or is named nvme*.
// Sorted by name; node is "/dev/<name>" (unused by the replay).
std::vector<DiskRef> ListRecordedDisks(const std::filesystem::path& dir);

// A decorator for `--record DIR`: passes every call to `live` and saves what
// it answered (bytes, or the error) into `dir` in the layout above. A disk's
// folder is emptied at its first command, so that recording again into the
// same `dir` leaves no stale file. A file that
// cannot be written is logged once (common/log.h) and otherwise ignored: the
// reading itself is returned unchanged.
class RecordingDeviceIo : public DeviceIo {
 public:
  RecordingDeviceIo(DeviceIo& live, std::filesystem::path dir);

  Result<PowerMode> CheckPowerMode(const DiskRef& disk) override;
  Result<Block512> Identify(const DiskRef& disk) override;
  Result<SmartStatus> SmartReturnStatus(const DiskRef& disk) override;
  Result<Block512> ReadSmartData(const DiskRef& disk) override;
  Result<Block512> ReadSmartThresholds(const DiskRef& disk) override;
  Result<Block512> ReadSmartLog(const DiskRef& disk, uint8_t log_address) override;
  Result<Block4096> NvmeIdentifyController(const DiskRef& disk) override;
  Result<Block512> NvmeGetLogPage(const DiskRef& disk, uint8_t log_id) override;

 private:
  void Save(const DiskRef& disk, const std::string& file, std::string_view bytes);
  void SaveError(const DiskRef& disk, const std::string& file, const Error& error);
  // Creates (the first time: empties) the folder of `disk`.
  void PrepareFolder(const DiskRef& disk);

  DeviceIo& live_;
  std::filesystem::path dir_;
  std::set<std::string> prepared_;
  bool write_failed_ = false;
};

// Writes <dir>/PROVENANCE.md describing a recording made now on this machine
// (uname, date, `command`). Overwrites an existing one.
Result<void> WriteRecordingProvenance(const std::filesystem::path& dir, std::string_view command);

}  // namespace vigie::agent::smart
