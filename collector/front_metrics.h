// The HTTP front's own counters on /metrics: connections (open, their
// limit, those refused or cut, by reason) and the pushes refused for a
// report over its limits.
#pragma once

#include "collector/connection_guard.h"
#include "collector/exposition.h"
#include "collector/ingest.h"

namespace vigie::collector {

void RenderFrontMetrics(const IngestCounters& ingest, const ConnectionGuard& connections, Exposition& page);

}  // namespace vigie::collector
