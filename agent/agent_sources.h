// The sources the agent runs, built from its configuration: shared by
// vigie-agent and bench/agent_footprint, so that the bench measures exactly
// the objects the agent builds.
#pragma once

#include <memory>
#include <vector>

#include "agent/agent.h"
#include "agent/agent_config.h"
#include "agent/smart/device_io.h"
#include "agent/sources/disk_source.h"
#include "common/file_tree.h"

namespace vigie::agent {

// In the agent's order: the disk source (when [disks] is enabled, on
// config.smart_period) first, because the hwmon source asks it which disks
// sleep; then hwmon (libsensors, which reads the live /sys whatever
// host_root says), RAPL, power_supply and system over `host`, every cycle.
// `host` and `disk_io` must outlive the sources (they keep references). Sets up libsensors once; never throws.
std::vector<ScheduledSource> MakeAgentSources(const AgentConfig& config, const FileTree& host,
                                              smart::DeviceIo& disk_io, DiskSource::DiskLister disk_lister);

}  // namespace vigie::agent
