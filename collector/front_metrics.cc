#include "collector/front_metrics.h"

namespace vigie::collector {

void RenderFrontMetrics(const IngestCounters& ingest, const ConnectionGuard& connections, Exposition& page) {
  const ConnectionCounters& counters = connections.counters();
  page.Family("vigie_collector_connections_open", "gauge", "HTTP connections open now.");
  page.Sample("", static_cast<double>(connections.open()));
  page.Family("vigie_collector_connections_limit", "gauge",
              "HTTP connections allowed at once ([ingest] max_connections, within the open-file limit).");
  page.Sample("", static_cast<double>(connections.max_connections()));
  page.Family("vigie_collector_connections_dropped_total", "counter",
              "HTTP connections refused or cut, by reason: per_address_limit (refused), header_timeout (headers "
              "not all in within [ingest] header_timeout), evicted (cut near the limit to make room), slow_body.");
  page.Sample(Label("reason", "per_address_limit"), static_cast<double>(counters.refused_per_address.load()));
  page.Sample(Label("reason", "header_timeout"), static_cast<double>(counters.header_timeouts.load()));
  page.Sample(Label("reason", "evicted"), static_cast<double>(counters.evicted.load()));
  page.Sample(Label("reason", "slow_body"), static_cast<double>(counters.slow_bodies.load()));
  page.Family("vigie_collector_pushes_over_limits_total", "counter",
              "Pushes refused (400, counted in result=\"bad_request\" too) for a report over [ingest.limits].");
  page.Sample("", static_cast<double>(ingest.pushes_over_limits.load()));
}

}  // namespace vigie::collector
