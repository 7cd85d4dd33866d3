#include "agent/sources/disk_source.h"

#include <chrono>

#include <fmt/format.h>

#include "agent/smart/ata_drivedb.h"
#include "agent/smart/ata_identify.h"
#include "agent/smart/ata_logs.h"
#include "agent/smart/ata_smart.h"
#include "agent/smart/nvme_health.h"
#include "agent/smart/nvme_identify.h"
#include "agent/smart/recorded_device_io.h"
#include "common/log.h"
#include "common/report_json.h"

namespace vigie::agent {
namespace {

using smart::DiskTransport;
using smart::PowerMode;

v1::Disk::PowerState ToWire(PowerMode mode) {
  switch (mode) {
    case PowerMode::kActive:
      return v1::Disk::ACTIVE;
    case PowerMode::kIdle:
      return v1::Disk::IDLE;
    case PowerMode::kStandby:
      return v1::Disk::STANDBY;
    case PowerMode::kSleep:
      return v1::Disk::SLEEP;
    case PowerMode::kUnknown:
      break;
  }
  return v1::Disk::POWER_STATE_UNSPECIFIED;
}

// The status for a log line; a sleeping disk says it was left alone.
std::string_view StatusName(v1::Disk::Status status) {
  return status == v1::Disk::SKIPPED_ASLEEP ? "asleep, not read" : DiskStatusLabel(status);
}

// A failed command: UNSUPPORTED when the device or bridge cannot answer it,
// ERROR otherwise (permission, I/O, a malformed page).
void SetFailure(v1::Disk& disk, const Error& error) {
  disk.set_status(error.code == ErrorCode::kUnavailable ? v1::Disk::UNSUPPORTED : v1::Disk::ERROR);
  disk.set_error(ReportMessage(error.message));
}

smart::Page512 AsPage(const smart::Block512& block) { return smart::Page512(block); }

// Fills `disk` from an ATA disk; returns false (status set) on a failure that
// ends the reading.
bool ReadAta(smart::DeviceIo& io, const smart::DiskRef& ref, v1::Disk& disk) {
  const Result<smart::Block512> identify_page = io.Identify(ref);
  if (!identify_page) return SetFailure(disk, identify_page.error()), false;
  const Result<smart::AtaIdentify> identify = smart::ParseAtaIdentify(AsPage(*identify_page));
  if (!identify) return SetFailure(disk, identify.error()), false;
  disk.set_model(ReportName(identify->model));
  disk.set_serial(ReportName(identify->serial));
  disk.set_firmware(ReportName(identify->firmware));
  disk.set_capacity_bytes(identify->capacity_bytes);
  disk.set_rotation_rate_rpm(identify->rotation_rate_rpm);
  // IDENTIFY word 217: 1 is a solid-state device; 0 (not reported) is most
  // often an older spinning disk.
  disk.set_kind(identify->rotation_rate_rpm == 1 ? v1::Disk::ATA_SSD : v1::Disk::ATA_HDD);
  if (!identify->smart_supported || !identify->smart_enabled) {
    disk.set_status(v1::Disk::UNSUPPORTED);
    disk.set_error(identify->smart_supported ? "SMART is disabled on this drive" : "the drive does not support SMART");
    return false;
  }

  const Result<smart::SmartStatus> status = io.SmartReturnStatus(ref);
  if (!status) return SetFailure(disk, status.error()), false;
  disk.set_health(*status == smart::SmartStatus::kPassed ? v1::Disk::PASSED : v1::Disk::FAILED);

  const Result<smart::Block512> data = io.ReadSmartData(ref);
  if (!data) return SetFailure(disk, data.error()), false;
  // READ THRESHOLDS is retired since ACS-3: a drive may reject it, and the
  // attributes are still worth reporting (thresholds then 0).
  const Result<smart::Block512> thresholds = io.ReadSmartThresholds(ref);
  const smart::Page512 thresholds_page = thresholds ? AsPage(*thresholds) : AsPage(*data);
  const smart::AtaAttributeDefs defs =
      smart::AtaAttributeDefsFor(smart::FindAtaDrivePreset(identify->model, identify->firmware));
  const Result<smart::AtaSmartData> values =
      smart::ParseAtaSmartData(AsPage(*data), thresholds ? &thresholds_page : nullptr,
                               {.defs = &defs, .rotation_rate_rpm = identify->rotation_rate_rpm});
  if (!values) return SetFailure(disk, values.error()), false;
  for (const smart::AtaAttribute& attribute : values->attributes) {
    v1::AtaAttribute& out = *disk.add_ata_attributes();
    out.set_id(attribute.id);
    out.set_name(ReportName(attribute.name));
    out.set_prefailure(attribute.prefailure);
    out.set_value(attribute.value);
    out.set_worst(attribute.worst);
    out.set_threshold(attribute.threshold);
    out.set_raw(attribute.raw);
    out.set_raw_decoded(attribute.raw_decoded);
    out.set_raw_text(ReportName(attribute.raw_text));
  }
  if (const std::optional<int> celsius = smart::AtaTemperatureCelsius(values->attributes)) {
    disk.set_temperature_celsius(*celsius);
  }

  // The logs are extras: a drive without them still has a full reading.
  if (const Result<smart::Block512> page = io.ReadSmartLog(ref, smart::kSmartLogSummaryError)) {
    if (const Result<smart::AtaErrorLogSummary> log = smart::ParseAtaSummaryErrorLog(AsPage(*page))) {
      disk.set_ata_error_count(log->error_count);
    }
  }
  if (const Result<smart::Block512> page = io.ReadSmartLog(ref, smart::kSmartLogSelfTest)) {
    const Result<smart::AtaSelfTestLog> log = smart::ParseAtaSelfTestLog(AsPage(*page));
    if (log && !log->entries.empty()) {
      const smart::AtaSelfTestEntry& last = log->entries.front();
      v1::SelfTest& test = *disk.mutable_last_self_test();
      test.set_status(last.status_byte);
      test.set_description(ReportName(last.type_text + ": " + last.status_text));
      test.set_lifetime_hours(last.lifetime_hours);
    }
  }
  return true;
}

bool ReadNvme(smart::DeviceIo& io, const smart::DiscoveredDisk& found, v1::Disk& disk) {
  disk.set_kind(v1::Disk::NVME);
  const Result<smart::Block4096> identify_page = io.NvmeIdentifyController(found.ref);
  if (!identify_page) return SetFailure(disk, identify_page.error()), false;
  const Result<smart::NvmeIdentifyController> identify =
      smart::ParseNvmeIdentifyController(smart::Page4096(*identify_page));
  if (!identify) return SetFailure(disk, identify.error()), false;
  disk.set_model(ReportName(identify->model));
  disk.set_serial(ReportName(identify->serial));
  disk.set_firmware(ReportName(identify->firmware));
  // TNVMCAP when the controller reports it; else the namespace's size from
  // /sys/block/<name>/size.
  disk.set_capacity_bytes(identify->total_capacity_bytes.value_or(found.size_bytes));
  disk.set_rotation_rate_rpm(1);

  const Result<smart::Block512> page = io.NvmeGetLogPage(found.ref, smart::kNvmeLogHealth);
  if (!page) return SetFailure(disk, page.error()), false;
  const Result<smart::NvmeHealth> health = smart::ParseNvmeHealth(AsPage(*page));
  if (!health) return SetFailure(disk, health.error()), false;
  // smartctl's verdict for NVMe: FAILED when any critical warning bit is set.
  disk.set_health(health->critical_warning == 0 ? v1::Disk::PASSED : v1::Disk::FAILED);
  disk.set_temperature_celsius(smart::KelvinToCelsius(health->composite_temperature_kelvin));
  v1::NvmeHealth& nvme = *disk.mutable_nvme();
  nvme.set_critical_warning(health->critical_warning);
  nvme.set_composite_temperature_celsius(smart::KelvinToCelsius(health->composite_temperature_kelvin));
  nvme.set_available_spare_percent(health->available_spare_percent);
  nvme.set_available_spare_threshold_percent(health->available_spare_threshold_percent);
  nvme.set_percentage_used(health->percentage_used);
  nvme.set_data_units_read(smart::SaturateToUint64(health->data_units_read));
  nvme.set_data_units_written(smart::SaturateToUint64(health->data_units_written));
  nvme.set_power_cycles(smart::SaturateToUint64(health->power_cycles));
  nvme.set_power_on_hours(smart::SaturateToUint64(health->power_on_hours));
  nvme.set_unsafe_shutdowns(smart::SaturateToUint64(health->unsafe_shutdowns));
  nvme.set_media_errors(smart::SaturateToUint64(health->media_errors));
  nvme.set_error_log_entries(smart::SaturateToUint64(health->error_log_entries));
  nvme.set_warning_temperature_minutes(health->warning_temperature_minutes);
  nvme.set_critical_temperature_minutes(health->critical_temperature_minutes);
  for (size_t i = 0; i < health->temperature_sensors_kelvin.size(); ++i) {
    const uint16_t kelvin = health->temperature_sensors_kelvin[i];
    if (kelvin == 0) continue;  // not implemented (NVMe Base 2.0, figure 207)
    v1::NvmeTemperatureSensor& sensor = *nvme.add_temperature_sensors();
    sensor.set_index(static_cast<uint32_t>(i + 1));
    sensor.set_celsius(smart::KelvinToCelsius(kelvin));
  }
  return true;
}

}  // namespace

Result<SpinUpPolicy> ParseSpinUpPolicy(std::string_view text) {
  if (text == "never") return SpinUpPolicy::kNever;
  if (text == "sleep") return SpinUpPolicy::kSleep;
  if (text == "standby") return SpinUpPolicy::kStandby;
  if (text == "idle") return SpinUpPolicy::kIdle;
  return Fail(ErrorCode::kMalformed,
              fmt::format("'{}' is not one of never, sleep, standby, idle (as smartd's -n)", text));
}

bool ShouldSkip(SpinUpPolicy policy, PowerMode mode) {
  switch (mode) {
    case PowerMode::kSleep:
      return policy != SpinUpPolicy::kNever;
    case PowerMode::kStandby:
      return policy == SpinUpPolicy::kStandby || policy == SpinUpPolicy::kIdle;
    case PowerMode::kIdle:
      return policy == SpinUpPolicy::kIdle;
    case PowerMode::kActive:
    case PowerMode::kUnknown:
      return false;
  }
  return false;
}

DiskSource::DiskSource(DiskLister disks, smart::DeviceIo& io, DiskSourceOptions options)
    : disks_(std::move(disks)), io_(io), options_(options) {}

void DiskSource::Collect(const CollectContext& context, v1::Report& report) {
  report.set_disks_read(true);
  known_.clear();
  for (const smart::DiscoveredDisk& disk : disks_()) {
    known_.push_back(disk.ref);
    DiskState& state = states_[disk.ref.name];
    v1::Disk reading = ReadDisk(disk, context, state);
    LogIfChanged(reading, state);
    *report.add_disks() = std::move(reading);
  }
}

v1::Disk DiskSource::ReadDisk(const smart::DiscoveredDisk& found, const CollectContext& context,
                              DiskState& state) {
  v1::Disk disk;
  disk.set_device(ReportName(found.ref.name));
  if (state.has_last_read) disk.set_last_read_unix_ms(state.last_read.last_read_unix_ms());
  state.asleep = false;

  if (found.ref.transport == DiskTransport::kAta) {
    const Result<PowerMode> mode = io_.CheckPowerMode(found.ref);
    if (!mode) {
      SetFailure(disk, mode.error());
      return disk;
    }
    disk.set_power_state(ToWire(*mode));
    if (ShouldSkip(options_.skip, *mode)) {
      state.asleep = true;
      if (state.has_last_read) {
        // Identity and verdict of the last full reading; its values are in
        // that cycle's report.
        const v1::Disk& last = state.last_read;
        disk.set_kind(last.kind());
        disk.set_model(last.model());
        disk.set_serial(last.serial());
        disk.set_firmware(last.firmware());
        disk.set_capacity_bytes(last.capacity_bytes());
        disk.set_rotation_rate_rpm(last.rotation_rate_rpm());
        disk.set_health(last.health());
      }
      disk.set_status(v1::Disk::SKIPPED_ASLEEP);
      return disk;
    }
    if (!ReadAta(io_, found.ref, disk)) return disk;
  } else {
    if (!ReadNvme(io_, found, disk)) return disk;
  }
  disk.set_status(v1::Disk::READ);
  disk.set_last_read_unix_ms(context.wall_unix_ms);
  state.last_read = disk;
  state.has_last_read = true;
  return disk;
}

void DiskSource::LogIfChanged(const v1::Disk& disk, DiskState& state) {
  if (disk.status() == state.logged_status && disk.error() == state.logged_error) return;
  const bool first = state.logged_status == v1::Disk::STATUS_UNSPECIFIED;
  state.logged_status = disk.status();
  state.logged_error = disk.error();
  switch (disk.status()) {
    case v1::Disk::ERROR:
      LogWarning("disk {}: SMART not read: {}", disk.device(), disk.error());
      break;
    case v1::Disk::UNSUPPORTED:
      LogInfo("disk {}: SMART unsupported: {}", disk.device(), disk.error());
      break;
    default:
      // READ <-> SKIPPED_ASLEEP is the normal life of a disk that spins down.
      if (first) {
        LogInfo("disk {}: {}", disk.device(), StatusName(disk.status()));
      } else {
        LogDebug("disk {}: {}", disk.device(), StatusName(disk.status()));
      }
      break;
  }
}

bool DiskSource::KnownAsleep(std::string_view name) const {
  const auto it = states_.find(name);
  return it != states_.end() && it->second.asleep;
}

bool DiskSource::AsleepNow(std::string_view name) {
  for (const smart::DiskRef& ref : known_) {
    if (ref.name != name || ref.transport != DiskTransport::kAta) continue;
    const Result<PowerMode> mode = io_.CheckPowerMode(ref);
    // A disk whose mode cannot be told is left alone, as smartd does.
    const bool asleep = !mode || ShouldSkip(options_.skip, *mode);
    states_[ref.name].asleep = asleep;
    return asleep;
  }
  return KnownAsleep(name);
}

DiskSource::DiskLister SysfsDiskLister(const FileTree& tree, smart::DiskDiscoveryOptions options) {
  return [&tree, options = std::move(options)] { return smart::DiscoverDisks(tree, options); };
}

DiskSource::DiskLister RecordedDiskLister(std::filesystem::path dir) {
  return [dir = std::move(dir)] {
    std::vector<smart::DiscoveredDisk> disks;
    for (smart::DiskRef& ref : smart::ListRecordedDisks(dir)) {
      smart::DiscoveredDisk disk;
      disk.bus = ref.transport == DiskTransport::kNvme ? "nvme" : "ata";
      disk.ref = std::move(ref);
      disks.push_back(std::move(disk));
    }
    return disks;
  };
}

Result<std::vector<v1::Disk>> RecordDisks(const DiskSource::DiskLister& disks, smart::DeviceIo& live,
                                          const std::filesystem::path& dir, std::string_view command,
                                          DiskSourceOptions options) {
  if (Result<void> written = smart::WriteRecordingProvenance(dir, command); !written) {
    return tl::unexpected(written.error());
  }
  smart::RecordingDeviceIo recording(live, dir);
  DiskSource source(disks, recording, options);
  v1::Report report;
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  source.Collect(CollectContext{.wall_unix_ms = now_ms, .monotonic_ns = 0}, report);
  return std::vector<v1::Disk>(report.disks().begin(), report.disks().end());
}

bool HwmonChipOnSleepingDisk(const FileTree& tree, std::string_view hwmon, DiskSource& disks) {
  const Result<std::string> block = smart::BlockDeviceOfHwmon(tree, hwmon);
  return block && disks.AsleepNow(*block);
}

}  // namespace vigie::agent
