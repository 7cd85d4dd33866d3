#include "agent/agent_sources.h"

#include <filesystem>

#include "agent/sources/hwmon_source.h"
#include "agent/sources/power_supply_source.h"
#include "agent/sources/rapl_source.h"
#include "agent/sources/system_source.h"

namespace vigie::agent {

std::vector<ScheduledSource> MakeAgentSources(const AgentConfig& config, const FileTree& host,
                                              smart::DeviceIo& disk_io, DiskSource::DiskLister disk_lister) {
  std::vector<ScheduledSource> sources;
  const DiskSourceOptions disk_options{config.spin_up_skip};
  auto disk_source = std::make_unique<DiskSource>(std::move(disk_lister), disk_io, disk_options);
  // Owned by `sources` when disks are enabled; otherwise kept alive by the
  // hwmon predicate, which then finds no disk asleep.
  std::shared_ptr<DiskSource> unscheduled;
  DiskSource* disks = disk_source.get();
  if (config.disks_enabled) {
    sources.push_back({std::move(disk_source), config.smart_period});
  } else {
    unscheduled = std::move(disk_source);
  }
  if (config.sensors_enabled) {
    HwmonOptions hwmon;
    hwmon.config_path = config.sensors_config;
    hwmon.may_read = [live_sys = FileTree("/"), disks, unscheduled](const std::string& chip_path) {
      // Reading a drivetemp sensor sends the disk ATA commands: never for a sleeping disk.
      return !HwmonChipOnSleepingDisk(live_sys, std::filesystem::path(chip_path).filename().string(), *disks);
    };
    sources.push_back({std::make_unique<HwmonSource>(std::move(hwmon)), {}});
  }
  sources.push_back({std::make_unique<RaplSource>(host), {}});
  sources.push_back({std::make_unique<PowerSupplySource>(host), {}});
  sources.push_back({std::make_unique<SystemSource>(host, MakeFilesystemUsageReader(host)), {}});
  return sources;
}

}  // namespace vigie::agent
