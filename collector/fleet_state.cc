#include "collector/fleet_state.h"

namespace vigie::collector {
namespace {

// SMART runs on a longer period than the rest: between two disk cycles the
// node's disks are those of its last disk cycle.
bool CarriesDisks(const v1::Report& report) { return report.disks_read() || report.disks_size() > 0; }

// The series of `report`, with the disks of `kept_disks` (a serialized
// disks-only Report, may be null) when it has none of its own.
std::shared_ptr<const NodeSeries> SeriesOf(const v1::Report& report, const std::string* kept_disks) {
  if (CarriesDisks(report) || kept_disks == nullptr) return std::make_shared<const NodeSeries>(report);
  v1::Report merged = report;
  merged.MergeFromString(*kept_disks);
  return std::make_shared<const NodeSeries>(merged);
}

}  // namespace

void FleetState::Update(const std::string& node_id, int64_t seen_ms, std::shared_ptr<const v1::Report> newest,
                        const NodeFacts& facts) {
  std::shared_ptr<const std::string> report_bytes;
  std::shared_ptr<const std::string> disk_bytes;
  std::shared_ptr<const NodeSeries> series;
  if (newest != nullptr) {
    std::shared_ptr<const std::string> kept_disks;
    if (!CarriesDisks(*newest)) {
      // A concurrent disk cycle of the same node may land after this read:
      // its disks then show from the node's next report on.
      std::lock_guard lock(mutex_);
      const auto entry = nodes_.find(node_id);
      if (entry != nodes_.end()) kept_disks = entry->second.disks;
    }
    series = SeriesOf(*newest, kept_disks.get());
    report_bytes = std::make_shared<const std::string>(newest->SerializeAsString());
    if (newest->disks_size() > 0) {
      v1::Report disks_only;
      *disks_only.mutable_disks() = newest->disks();
      disks_only.set_disks_read(true);
      disk_bytes = std::make_shared<const std::string>(disks_only.SerializeAsString());
    }
  }
  std::lock_guard lock(mutex_);
  Entry& entry = nodes_[node_id];
  entry.last_seen_ms = std::max(entry.last_seen_ms, seen_ms);
  entry.facts = facts;
  if (newest != nullptr && (entry.report == nullptr || newest->timestamp_unix_ms() >= entry.last_timestamp_ms)) {
    entry.report = std::move(report_bytes);
    entry.series = std::move(series);
    entry.last_timestamp_ms = newest->timestamp_unix_ms();
    if (CarriesDisks(*newest)) entry.disks = std::move(disk_bytes);
  }
}

std::vector<NodeState> FleetState::Snapshot() const {
  struct Held {
    std::string id;
    int64_t last_seen_ms;
    std::shared_ptr<const std::string> report;
    std::shared_ptr<const std::string> disks;
    NodeFacts facts;
  };
  std::vector<Held> held;
  {
    std::lock_guard lock(mutex_);
    held.reserve(nodes_.size());
    for (const auto& [id, entry] : nodes_) held.push_back({id, entry.last_seen_ms, entry.report, entry.disks, entry.facts});
  }
  std::vector<NodeState> nodes;
  nodes.reserve(held.size());
  for (Held& h : held) {
    auto report = std::make_shared<v1::Report>();
    if (h.report != nullptr) {
      report->ParseFromString(*h.report);
      if (!CarriesDisks(*report) && h.disks != nullptr) report->MergeFromString(*h.disks);
    }
    nodes.push_back(NodeState{std::move(h.id), h.last_seen_ms, std::move(report), h.facts});
  }
  return nodes;
}

std::vector<NodeMetrics> FleetState::MetricsSnapshot() const {
  static const auto kNoReport = std::make_shared<const NodeSeries>(v1::Report());
  std::vector<NodeMetrics> nodes;
  std::lock_guard lock(mutex_);
  nodes.reserve(nodes_.size());
  for (const auto& [id, entry] : nodes_) {
    nodes.push_back({id, entry.last_seen_ms, entry.facts, entry.series != nullptr ? entry.series : kNoReport});
  }
  return nodes;
}

}  // namespace vigie::collector
