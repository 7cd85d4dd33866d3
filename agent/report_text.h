// One report for a person (`vigie-agent --once`): grouped by disk, sensor
// chip and power, with units, in the manner of `smartctl -A` and `sensors`.
#pragma once

#include <string>

#include "vigie.pb.h"

namespace vigie::agent {

std::string ReportAsText(const v1::Report& report);

}  // namespace vigie::agent
