// A report as JSON for scripts (`vigie-agent --once --json`,
// `vigie-disk-probe`, the collector's /v1/nodes/{id}): the proto's field names, enums by name, units in the
// names as in proto/vigie.proto.
#pragma once

#include <string>

#include "common/json_writer.h"
#include "vigie.pb.h"

namespace vigie {

void WriteDiskJson(const v1::Disk& disk, JsonWriter& json);
void WriteSensorJson(const v1::Sensor& sensor, JsonWriter& json);
std::string ReportAsJson(const v1::Report& report);

}  // namespace vigie
