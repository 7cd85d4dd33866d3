#include "collector/fleet_state.h"

#include <optional>

#include "collector/wire_fields.h"
#include "common/log.h"

namespace vigie::collector {
namespace {

// SMART runs on a longer period than the rest: between two disk cycles the
// node's disks are those of its last disk cycle.
bool CarriesDisks(const v1::Report& report) { return report.disks_read() || report.disks_size() > 0; }

// The disks of a report's bytes as a Report of its disks alone, with
// disks_read: the disk fields' records as they stand, and that flag's.
// Null when the report has no disk.
std::shared_ptr<const std::string> DisksOnly(std::string_view report_bytes) {
  static const std::string disks_read_record = [] {
    v1::Report flag;
    flag.set_disks_read(true);
    return flag.SerializeAsString();
  }();
  const std::optional<std::vector<WireField>> fields = WireFields(report_bytes);
  if (!fields) return nullptr;
  const auto is_disk = [](const WireField& field) {
    return field.number == v1::Report::kDisksFieldNumber && field.wire_type == kLengthDelimited;
  };
  size_t size = 0;
  for (const WireField& field : *fields) size += is_disk(field) ? field.record.size() : 0;
  if (size == 0) return nullptr;
  std::string disks;
  disks.reserve(size + disks_read_record.size());
  for (const WireField& field : *fields) {
    if (is_disk(field)) disks += field.record;
  }
  disks += disks_read_record;
  return std::make_shared<const std::string>(std::move(disks));
}

}  // namespace

void FleetState::Update(const std::string& node_id, int64_t seen_ms, v1::Report* newest, std::string_view newest_bytes,
                        const NodeFacts& facts) {
  std::shared_ptr<const std::string> report_bytes;
  std::shared_ptr<const std::string> disk_bytes;
  std::shared_ptr<const NodeSeries> series;
  const auto fresh = [&](const Entry& entry) { return seen_ms - entry.disks_seen_ms <= limits_.kept_disks_ms; };
  // Before the kept disks are merged into it.
  const bool carries_disks = newest != nullptr && CarriesDisks(*newest);
  if (newest != nullptr) {
    report_bytes = std::make_shared<const std::string>(newest_bytes);
    if (carries_disks) {
      disk_bytes = DisksOnly(newest_bytes);
    } else {
      // A concurrent disk cycle of the same node may land after this read:
      // its disks then show from the node's next report on.
      std::shared_ptr<const std::string> kept_disks;
      {
        std::lock_guard lock(mutex_);
        const auto entry = nodes_.find(node_id);
        if (entry != nodes_.end() && fresh(entry->second)) kept_disks = entry->second.disks;
      }
      if (kept_disks != nullptr) newest->MergeFromString(*kept_disks);
    }
    series = std::make_shared<const NodeSeries>(*newest, limits_.max_series_bytes);
  }
  bool started_dropping = false;
  {
    std::lock_guard lock(mutex_);
    Entry& entry = nodes_[node_id];
    entry.last_seen_ms = std::max(entry.last_seen_ms, seen_ms);
    entry.facts = facts;
    // Newer by (boot, seq), not by the node's clock, which may be wrong.
    if (newest != nullptr &&
        (entry.report == nullptr || newest->boot_id() != entry.boot_id || newest->seq() >= entry.seq)) {
      started_dropping = series->dropped_samples() > 0 &&
                         (entry.series == nullptr || entry.series->dropped_samples() == 0);
      entry.report = std::move(report_bytes);
      entry.series = std::move(series);
      entry.boot_id = newest->boot_id();
      entry.seq = newest->seq();
      if (carries_disks) {
        entry.disks = std::move(disk_bytes);
        entry.disks_seen_ms = seen_ms;
      }
    }
    if (entry.disks != nullptr && !fresh(entry)) entry.disks = nullptr;
  }
  // Once, when it starts: the gauge says it for as long as it lasts.
  if (started_dropping) {
    LogWarning("node {}: its newest report makes more than {} bytes of series for /metrics; the samples past them "
               "are left out (vigie_node_series_dropped_samples)",
               node_id, limits_.max_series_bytes);
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
