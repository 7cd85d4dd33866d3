// The hardware part of /metrics: lm-sensors readings and their limits, disks
// (SMART attributes, NVMe health), and power. Family by family, so that each
// family's samples stay together across nodes.
//
//   vigie_sensor_<kind>_<unit>{chip,sensor}            e.g. vigie_sensor_temperature_celsius
//   vigie_sensor_<kind>_limit_<unit>{chip,sensor,limit} limit = min|max|crit|lcrit
//   vigie_sensor_alarm{chip,sensor}
//   vigie_disk_*{disk,model,serial}                     see the HELP texts
//   vigie_power_rapl_watts{zone}, vigie_power_ac_online, vigie_power_battery_capacity_ratio{battery}
#pragma once

#include <string>
#include <vector>

#include "collector/series.h"
#include "vigie.pb.h"

namespace vigie::collector {

struct LabeledReport {
  SeriesLabels labels;  // node, site
  const v1::Report* report;
};

void AppendHardwareMetrics(const std::vector<LabeledReport>& reports, SeriesSink& page);

}  // namespace vigie::collector
