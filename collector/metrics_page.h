// GET /metrics: the fleet in the Prometheus text exposition format 0.0.4.
// Names are vigie_* in base units; every family has HELP and TYPE and its
// samples together; every node sample carries node and site labels.
// Cost: linear in the number of readings; no store access.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collector/collector_config.h"
#include "collector/fleet_state.h"
#include "collector/ingest.h"

namespace vigie::collector {

std::string RenderMetrics(const CollectorConfig& config, const std::vector<NodeState>& nodes,
                          const IngestCounters& counters, int64_t now_ms);

}  // namespace vigie::collector
