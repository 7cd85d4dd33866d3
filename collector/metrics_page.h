// GET /metrics: the fleet in the Prometheus text exposition format 0.0.4.
// Names are vigie_* in base units; every family has HELP and TYPE and its
// samples together; every node sample carries node and site labels.
// Cost: linear in the number of readings; no store access.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "alerting/alert.h"
#include "collector/collector_config.h"
#include "collector/fleet_state.h"
#include "collector/group_committer.h"
#include "collector/ingest.h"

namespace vigie::collector {

// The alerting engine's part of the page: one vigie_alerts_firing{node,site,
// rule,severity} sample per firing alert, and the outbox's queued messages.
std::string RenderAlertMetrics(const CollectorConfig& config, const std::vector<alerting::Alert>& active,
                               size_t outbox_queued);

std::string RenderMetrics(const CollectorConfig& config, const std::vector<NodeState>& nodes,
                          const IngestCounters& counters, const GroupCommitter::Stats& commits, int64_t now_ms);

}  // namespace vigie::collector
