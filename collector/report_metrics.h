// The series of a node's report: the one place that says which families,
// labels and values a report becomes. GET /metrics renders them for each
// node's newest report; remote_write sends them for every stored report,
// stamped with the report's own timestamp. Series that only the collector
// knows (vigie_node_up, vigie_node_last_seen_timestamp_seconds, the node
// facts it derives across reports such as vigie_node_boots_total, the
// collector's counters) are not here: see metrics_page.cc.
//
//   vigie_node_reports_dropped_total, vigie_node_report_timestamp_seconds, vigie_node_uptime_seconds,
//   vigie_node_load{1,5,15}, vigie_node_{memory,swap}_*_bytes     {node,site}
//   vigie_filesystem_*                          {node,site,mountpoint,device,fstype}
//   vigie_node_source_errors                    {node,site,source}
//   and the hardware families of metrics_hardware.h.
//
// Pure functions; cost linear in the number of readings.
#pragma once

#include <string>
#include <vector>

#include "collector/collector_config.h"
#include "collector/metrics_hardware.h"
#include "collector/series.h"
#include "vigie.pb.h"

namespace vigie::collector {

// node="<id>", site="<its configured site>" ("" once removed from the config).
SeriesLabels NodeLabels(const CollectorConfig& config, const std::string& node_id);

// Every family of the reports, family by family, each family's samples in
// the order of `reports` (so that a text page keeps a family together).
void AppendReportMetrics(const std::vector<LabeledReport>& reports, SeriesSink& sink);

struct ReportSample {
  std::string_view family;  // a string literal
  SeriesLabels labels;      // without __name__, in /metrics order
  double value = 0;
};
// The samples of one report: AppendReportMetrics for that report alone.
std::vector<ReportSample> ReportSamples(const SeriesLabels& node_labels, const v1::Report& report);

}  // namespace vigie::collector
