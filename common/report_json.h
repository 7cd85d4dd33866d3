// A report as JSON for scripts (`vigie-agent --once --json`,
// `vigie-disk-probe`, the collector's /v1/nodes/{id}): the proto's field names, enums by name, units in the
// names as in proto/vigie.proto.
#pragma once

#include <string>

#include "common/json_writer.h"
#include "vigie.pb.h"

namespace vigie {

// Lower-case names for metric labels and the API.
std::string_view DiskKindLabel(v1::Disk::Kind kind);        // "hdd", "ssd", "nvme", "unknown"
std::string_view DiskStatusLabel(v1::Disk::Status status);  // "read", "asleep", "unsupported", "error", "unknown"
std::string_view DiskHealthLabel(v1::Disk::Health health);  // "passed", "failed", "unknown"

void WriteDiskJson(const v1::Disk& disk, JsonWriter& json);
void WriteSensorJson(const v1::Sensor& sensor, JsonWriter& json);
std::string ReportAsJson(const v1::Report& report);

}  // namespace vigie
