#include "collector/metrics_page.h"

#include "collector/exposition.h"
#include "collector/metrics_hardware.h"

#include <functional>
#include <map>

#include <fmt/format.h>

namespace vigie::collector {

std::string RenderMetrics(const CollectorConfig& config, const std::vector<NodeState>& nodes,
                          const IngestCounters& counters, int64_t now_ms) {
  Exposition page;
  std::map<std::string, const NodeState*> seen;
  for (const NodeState& node : nodes) seen[node.node_id] = &node;
  const auto node_labels = [&](const std::string& id) {
    const auto entry = config.nodes.find(id);
    return Label("node", id) + "," + Label("site", entry == config.nodes.end() ? "" : entry->second.site);
  };
  // The configured nodes and any node still in the store but since removed from the config.
  std::map<std::string, const NodeState*> all = seen;
  for (const auto& [id, entry] : config.nodes) all.try_emplace(id, nullptr);

  page.Family("vigie_node_up", "gauge", "1 when the node reported within offline_after, else 0.");
  for (const auto& [id, node] : all) {
    const bool up = node != nullptr && now_ms - node->last_seen_ms <= config.offline_after.count();
    page.Sample(node_labels(id), up ? 1 : 0);
  }
  page.Family("vigie_node_last_seen_timestamp_seconds", "gauge", "When the collector last received a push from the node.");
  for (const auto& [id, node] : seen) page.Sample(node_labels(id), static_cast<double>(node->last_seen_ms) / 1000.0);

  // One gauge family per reading of the newest report.
  using Getter = std::function<double(const v1::Report&)>;
  const auto node_family = [&](std::string_view name, std::string_view help, const Getter& get) {
    page.Family(name, "gauge", help);
    for (const auto& [id, node] : seen) page.Sample(node_labels(id), get(*node->last_report));
  };
  node_family("vigie_node_report_timestamp_seconds", "When the node collected its newest report (its own clock).",
              [](const v1::Report& r) { return static_cast<double>(r.timestamp_unix_ms()) / 1000.0; });
  node_family("vigie_node_uptime_seconds", "Seconds since the node booted.",
              [](const v1::Report& r) { return r.uptime_seconds(); });
  node_family("vigie_node_load1", "1-minute load average.", [](const v1::Report& r) { return r.system().load1(); });
  node_family("vigie_node_load5", "5-minute load average.", [](const v1::Report& r) { return r.system().load5(); });
  node_family("vigie_node_load15", "15-minute load average.", [](const v1::Report& r) { return r.system().load15(); });
  node_family("vigie_node_memory_total_bytes", "Physical memory.",
              [](const v1::Report& r) { return static_cast<double>(r.system().memory_total_bytes()); });
  node_family("vigie_node_memory_available_bytes", "Memory available for new work (MemAvailable).",
              [](const v1::Report& r) { return static_cast<double>(r.system().memory_available_bytes()); });
  node_family("vigie_node_swap_total_bytes", "Swap space.",
              [](const v1::Report& r) { return static_cast<double>(r.system().swap_total_bytes()); });
  node_family("vigie_node_swap_free_bytes", "Unused swap space.",
              [](const v1::Report& r) { return static_cast<double>(r.system().swap_free_bytes()); });

  using FsGetter = std::function<double(const v1::Filesystem&)>;
  const auto fs_family = [&](std::string_view name, std::string_view help, const FsGetter& get) {
    page.Family(name, "gauge", help);
    for (const auto& [id, node] : seen) {
      for (const v1::Filesystem& fs : node->last_report->system().filesystems()) {
        page.Sample(node_labels(id) + "," + Label("mountpoint", fs.mountpoint()) + "," + Label("device", fs.device()) +
                        "," + Label("fstype", fs.fstype()),
                    get(fs));
      }
    }
  };
  fs_family("vigie_filesystem_size_bytes", "Filesystem size.",
            [](const v1::Filesystem& f) { return static_cast<double>(f.size_bytes()); });
  fs_family("vigie_filesystem_free_bytes", "Free space, including the blocks reserved for root.",
            [](const v1::Filesystem& f) { return static_cast<double>(f.free_bytes()); });
  fs_family("vigie_filesystem_avail_bytes", "Space available to unprivileged users.",
            [](const v1::Filesystem& f) { return static_cast<double>(f.avail_bytes()); });
  fs_family("vigie_filesystem_files", "Inodes.", [](const v1::Filesystem& f) { return static_cast<double>(f.files()); });
  fs_family("vigie_filesystem_files_free", "Free inodes.",
            [](const v1::Filesystem& f) { return static_cast<double>(f.files_free()); });

  page.Family("vigie_node_source_errors", "gauge", "Sources the node could not read in its newest report.");
  for (const auto& [id, node] : seen) {
    std::map<std::string, int> by_source;
    for (const v1::SourceError& error : node->last_report->source_errors()) ++by_source[error.source()];
    for (const auto& [source, count] : by_source) page.Sample(node_labels(id) + "," + Label("source", source), count);
  }

  std::vector<LabeledReport> reports;
  for (const auto& [id, node] : seen) reports.push_back({node_labels(id), node->last_report.get()});
  AppendHardwareMetrics(reports, page);

  page.Family("vigie_collector_pushes_total", "counter", "Pushes received, by result.");
  page.Sample(Label("result", "stored"), static_cast<double>(counters.pushes_stored.load()));
  page.Sample(Label("result", "unauthorized"), static_cast<double>(counters.pushes_unauthorized.load()));
  page.Sample(Label("result", "forbidden"), static_cast<double>(counters.pushes_forbidden.load()));
  page.Sample(Label("result", "bad_request"), static_cast<double>(counters.pushes_bad_request.load()));
  page.Sample(Label("result", "store_error"), static_cast<double>(counters.pushes_store_error.load()));
  page.Family("vigie_collector_reports_total", "counter", "Reports received in accepted pushes, by result.");
  page.Sample(Label("result", "stored"), static_cast<double>(counters.reports_stored.load()));
  page.Sample(Label("result", "duplicate"), static_cast<double>(counters.reports_duplicate.load()));
  page.Family("vigie_collector_received_bytes_total", "counter", "Bytes of push bodies received.");
  page.Sample("", static_cast<double>(counters.bytes_received.load()));
  return page.Take();
}

}  // namespace vigie::collector
