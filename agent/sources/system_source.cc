#include "agent/sources/system_source.h"

#include "agent/sources/procfs.h"

namespace vigie::agent {

SystemSource::SystemSource(const FileTree& tree, std::unique_ptr<FilesystemUsageReader> usage)
    : tree_(tree), usage_(std::move(usage)) {}

void SystemSource::Collect(const CollectContext&, v1::Report& report) {
  const auto fail = [&](const Error& error) { AddSourceError(report, name(), error); };

  const Result<double> uptime = tree_.ReadText("/proc/uptime").and_then(ParseUptime);
  if (uptime) {
    report.set_uptime_seconds(*uptime);
  } else {
    fail(uptime.error());
  }

  v1::System& system = *report.mutable_system();
  const Result<LoadAverage> load = tree_.ReadText("/proc/loadavg").and_then(ParseLoadavg);
  if (load) {
    system.set_load1(load->load1);
    system.set_load5(load->load5);
    system.set_load15(load->load15);
  } else {
    fail(load.error());
  }

  const Result<MemoryInfo> memory = tree_.ReadText("/proc/meminfo").and_then(ParseMeminfo);
  if (memory) {
    system.set_memory_total_bytes(memory->total_bytes);
    system.set_memory_available_bytes(memory->available_bytes);
    system.set_swap_total_bytes(memory->swap_total_bytes);
    system.set_swap_free_bytes(memory->swap_free_bytes);
  } else {
    fail(memory.error());
  }

  const Result<std::string> mounts = tree_.ReadText("/proc/self/mounts");
  if (!mounts) {
    fail(mounts.error());
    return;
  }
  for (const MountEntry& mount : DiskFilesystems(ParseMounts(*mounts))) {
    const Result<FilesystemUsage> usage = usage_->Read(mount.mountpoint);
    if (!usage) {
      fail(usage.error());
      continue;
    }
    v1::Filesystem& fs = *system.add_filesystems();
    fs.set_mountpoint(ReportName(mount.mountpoint));
    fs.set_device(ReportName(mount.device));
    fs.set_fstype(ReportName(mount.fstype));
    fs.set_size_bytes(usage->size_bytes);
    fs.set_free_bytes(usage->free_bytes);
    fs.set_avail_bytes(usage->avail_bytes);
    fs.set_files(usage->files);
    fs.set_files_free(usage->files_free);
  }
}

Result<std::string> ReadBootId(const FileTree& tree) {
  Result<std::string> id = tree.ReadText("/proc/sys/kernel/random/boot_id");
  // A UUID as the kernel writes it (drivers/char/random.c): 36 characters,
  // hex digits and dashes; anything else would reach every report.
  if (id && (id->size() != 36 || id->find_first_not_of("0123456789abcdef-") != std::string::npos)) {
    return Fail(ErrorCode::kMalformed, "/proc/sys/kernel/random/boot_id: not a UUID: '" + ReportName(*id) + "'");
  }
  return id;
}

}  // namespace vigie::agent
