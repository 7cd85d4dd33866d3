// The disks' own health: SATA SMART (IDENTIFY, SMART RETURN STATUS, attributes
// and thresholds, summary error log, self-test log) and NVMe (Identify
// Controller, SMART / Health log), one v1::Disk per disk and cycle.
//
// Never wakes a disk: every ATA disk is first asked CHECK POWER MODE, which
// leaves a spun-down disk spun down, and a disk in a mode the policy protects
// is reported SKIPPED_ASLEEP with its identity and the time of its last full
// reading, and no SMART command is sent to it (smartd's -n option). The stale
// attributes and temperature are not repeated: the collector has them from
// the report of that reading.
//
// A disk whose read fails is that disk's ERROR (or UNSUPPORTED: a USB bridge
// without ATA pass-through, SMART disabled) with the reason in Disk.error;
// the other disks and sources go on. Each disk's state change (READ ->
// ERROR, ERROR -> READ, ...) is logged once, not every cycle.
//
// Cost per cycle: a /sys/block listing, then per awake SATA disk seven
// commands (one CHECK POWER MODE when asleep), per NVMe disk two, each one
// ioctl on a descriptor kept open across cycles. Not thread-safe: the agent
// loop calls it.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/smart/device_io.h"
#include "agent/smart/disk_discovery.h"
#include "agent/sources/source.h"

namespace vigie::agent {

// Which power modes protect a disk from being read, named as smartd's
// `-n` option names them (smartd.conf(5)).
enum class SpinUpPolicy {
  kNever,    // "never": always read, even waking a disk in standby
  kSleep,    // "sleep": skip a disk in SLEEP
  kStandby,  // "standby" (default): skip a disk in SLEEP or STANDBY
  kIdle,     // "idle": skip a disk in SLEEP, STANDBY or IDLE
};

// "never", "sleep", "standby", "idle" -> the policy; kMalformed otherwise.
Result<SpinUpPolicy> ParseSpinUpPolicy(std::string_view text);

// True when `policy` forbids reading a disk found in `mode`.
bool ShouldSkip(SpinUpPolicy policy, smart::PowerMode mode);

struct DiskSourceOptions {
  SpinUpPolicy skip = SpinUpPolicy::kStandby;
};

class DiskSource : public Source {
 public:
  // The disks to read, asked again at every cycle (disks come and go).
  using DiskLister = std::function<std::vector<smart::DiscoveredDisk>()>;

  // `io` must outlive the source.
  DiskSource(DiskLister disks, smart::DeviceIo& io, DiskSourceOptions options = {});

  std::string_view name() const override { return "disk"; }
  // Appends one Disk per listed disk to report.disks.
  void Collect(const CollectContext& context, v1::Report& report) override;

  // For the hwmon source: true when the last cycle found block device `name`
  // ("sda") in a power mode the policy protects, so that its drivetemp sensor
  // must not be read either (SPINUP.md). False for a disk never seen.
  bool KnownAsleep(std::string_view name) const;

  // The same, asked now with CHECK POWER MODE (which never spins a disk up):
  // the hwmon source reads sensors every minute while SMART waits 30, and a
  // disk may have spun down in between. Cost: one ioctl.
  bool AsleepNow(std::string_view name);

 private:
  struct DiskState {
    // The last reading with status READ (identity kept for skipped cycles).
    v1::Disk last_read;
    bool has_last_read = false;
    bool asleep = false;
    // What was last logged: status and error text.
    v1::Disk::Status logged_status = v1::Disk::STATUS_UNSPECIFIED;
    std::string logged_error;
  };

  v1::Disk ReadDisk(const smart::DiscoveredDisk& disk, const CollectContext& context, DiskState& state);
  void LogIfChanged(const v1::Disk& disk, DiskState& state);

  DiskLister disks_;
  smart::DeviceIo& io_;
  DiskSourceOptions options_;
  std::map<std::string, DiskState, std::less<>> states_;
  std::vector<smart::DiskRef> known_;  // the disks of the last cycle
};

// Lists the disks found under `tree` (production: FileTree("/")).
DiskSource::DiskLister SysfsDiskLister(const FileTree& tree, smart::DiskDiscoveryOptions options);

// Lists the disks of a recorded folder (`--replay-disks DIR`); pair it with
// smart::MakeRecordedDeviceIo(dir).
DiskSource::DiskLister RecordedDiskLister(std::filesystem::path dir);

// What `vigie-agent --record DIR` does: one DiskSource cycle over `disks`
// with every command's answer saved under `dir` (recorded_device_io.h) and a
// PROVENANCE.md naming `command`. A disk asleep under `options` is not woken:
// only its power_mode is saved. Returns the disks as read (status READ,
// SKIPPED_ASLEEP, ERROR...); kIo when PROVENANCE.md cannot be written.
Result<std::vector<v1::Disk>> RecordDisks(const DiskSource::DiskLister& disks, smart::DeviceIo& live,
                                          const std::filesystem::path& dir, std::string_view command,
                                          DiskSourceOptions options = {});

// The hwmon source's question: is hwmon chip `hwmon` ("hwmon3") a drivetemp
// sensor of a disk that is asleep now (DiskSource::AsleepNow)? If so, the hwmon
// source must not read its temp1_input, temp1_lowest or temp1_highest.
//
// Why (agent/smart/SPINUP.md has the details): in the kernel's
// drivers/hwmon/drivetemp.c, drivetemp_read() serves those three files by
// calling st->get_temp() at every read, without a cache. That is
// drivetemp_get_scttemp() (SMART READ LOG of the SCT status log E0h) or
// drivetemp_get_smarttemp() (SMART READ DATA). Both are ATA_16
// pass-through commands sent by drivetemp_scsi_command() through
// scsi_execute_req(), and neither checks the power mode. Such a command can
// spin a disk in standby up, or at least restart its spin-down timer
// (Documentation/hwmon/drivetemp.rst, "Usage Note"). Its min/max/crit
// limits are read once at probe time and cost nothing afterwards.
bool HwmonChipOnSleepingDisk(const FileTree& tree, std::string_view hwmon, DiskSource& disks);

}  // namespace vigie::agent
