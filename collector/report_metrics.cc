#include "collector/report_metrics.h"

#include <functional>
#include <map>

namespace vigie::collector {

SeriesLabels NodeLabels(const CollectorConfig& config, const std::string& node_id) {
  const auto entry = config.nodes.find(node_id);
  return {{"node", node_id}, {"site", entry == config.nodes.end() ? "" : entry->second.site}};
}

void AppendReportMetrics(const std::vector<LabeledReport>& reports, SeriesSink& page) {
  page.Family("vigie_node_reports_dropped_total", "counter", "Reports the agent dropped unsent: its spool was full, or a collector refused them.");
  for (const LabeledReport& node : reports) {
    page.Sample(node.labels, static_cast<double>(node.report->reports_dropped()));
  }

  // One gauge family per reading.
  using Getter = std::function<double(const v1::Report&)>;
  const auto node_family = [&](std::string_view name, std::string_view help, const Getter& get) {
    page.Family(name, "gauge", help);
    for (const LabeledReport& node : reports) page.Sample(node.labels, get(*node.report));
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
    for (const LabeledReport& node : reports) {
      for (const v1::Filesystem& fs : node.report->system().filesystems()) {
        page.Sample(LabelRefs(node.labels).With({{"mountpoint", fs.mountpoint()}, {"device", fs.device()}, {"fstype", fs.fstype()}}),
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
  for (const LabeledReport& node : reports) {
    std::map<std::string, int> by_source;
    for (const v1::SourceError& error : node.report->source_errors()) ++by_source[error.source()];
    for (const auto& [source, count] : by_source) page.Sample(LabelRefs(node.labels).With({{"source", source}}), count);
  }

  AppendHardwareMetrics(reports, page);
}

namespace {

class SampleCollector : public SeriesSink {
 public:
  void Family(std::string_view name, std::string_view, std::string_view) override { family_ = name; }
  void Sample(const LabelRefs& labels, double value) override {
    SeriesLabels owned;
    owned.reserve(labels.size());
    for (const LabelRef& label : labels) owned.push_back({label.name, std::string(label.value)});
    samples.push_back({family_, std::move(owned), value});
  }
  std::vector<ReportSample> samples;

 private:
  std::string_view family_;
};

}  // namespace

std::vector<ReportSample> ReportSamples(const SeriesLabels& node_labels, const v1::Report& report) {
  SampleCollector collector;
  AppendReportMetrics({{node_labels, &report}}, collector);
  return std::move(collector.samples);
}

}  // namespace vigie::collector
