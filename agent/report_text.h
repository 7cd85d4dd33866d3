// One report, for a person (`vigie-agent --once`, grouped and with units,
// in the manner of `sensors` and `smartctl -A`) or for scripts (`--once --json`).
#pragma once

#include <string>

#include "vigie.pb.h"

namespace vigie::agent {

std::string ReportAsText(const v1::Report& report);
std::string ReportAsJson(const v1::Report& report);

}  // namespace vigie::agent
