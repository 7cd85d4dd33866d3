// GET /metrics: the fleet in the Prometheus text exposition format 0.0.4.
// Names are vigie_* in base units; every family has HELP and TYPE and its
// samples together; every node sample carries node and site labels.
// Cost: a copy of each node's NodeSeries, family by family; no store
// access, no report parsed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "alerting/alert.h"
#include "collector/collector_config.h"
#include "collector/exposition.h"
#include "collector/fleet_state.h"
#include "collector/group_committer.h"
#include "collector/http_types.h"
#include "collector/ingest.h"

namespace vigie::collector {

// The alerting engine's part of the page: one vigie_alerts_firing{node,site,
// rule,severity} sample per firing alert, the outbox's queued messages, and
// the engine's failed database calls (Engine::DatabaseErrors).
std::string RenderAlertMetrics(const CollectorConfig& config, const std::vector<alerting::Alert>& active,
                               size_t outbox_queued, uint64_t database_errors = 0);

// `nodes` as FleetState::MetricsSnapshot() returns them: ordered by id.
void RenderMetrics(const CollectorConfig& config, const std::vector<NodeMetrics>& nodes,
                   const IngestCounters& counters, const GroupCommitter::Stats& commits, int64_t now_ms,
                   Exposition& page);
// The same, the whole page in one string.
std::string RenderMetrics(const CollectorConfig& config, const std::vector<NodeMetrics>& nodes,
                          const IngestCounters& counters, const GroupCommitter::Stats& commits, int64_t now_ms);

// A page rendered by `render` on a thread of its own while it is sent, at
// most a few Exposition::kChunkBytes ahead of the reader: the collector's
// memory does not grow with the page (about 18 KiB per node of a typical
// fleet, 185 MiB at 10 000 nodes). `render` runs once, on that thread, and
// must only use what it owns or what outlives the stream. When the stream
// is destroyed before the end (the client went away), the rest of the
// render is dropped and the destructor waits for the thread.
std::shared_ptr<BodyStream> StreamPage(std::function<void(Exposition& page)> render);

}  // namespace vigie::collector
