// What the collector knows of each node right now: its newest report and
// when it was last heard from. Loaded from the store at start, updated after
// each committed push. Thread-safe; readers get an immutable snapshot.
//
// Memory: a node's newest report is kept serialized (about 1.6 KiB for 60
// readings, plus its last disk cycle's disks) rather than parsed (about
// 9 KiB: a protobuf object per reading): 10 000 nodes cost ~25 MiB, not
// ~90. Snapshot() parses them, for the reader to hold only while it uses
// them. Beside it, the report's series for /metrics in compact form (about
// 3 KiB, NodeSeries), so that a scrape parses nothing. What a node can make
// it keep is bounded: see FleetLimits.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "collector/node_series.h"
#include "collector/store.h"
#include "vigie.pb.h"

namespace vigie::collector {

struct NodeState {
  std::string node_id;
  int64_t last_seen_ms = 0;
  std::shared_ptr<const v1::Report> last_report;  // never null
  NodeFacts facts;
};

// What GET /metrics needs of a node.
struct NodeMetrics {
  std::string node_id;
  int64_t last_seen_ms = 0;
  NodeFacts facts;
  std::shared_ptr<const NodeSeries> series;  // never null
};

// What the fleet state keeps of a node at most. A report's own bytes are
// bounded before it gets here (ingest refuses a report over
// ReportLimits::max_report_bytes), and so are the kept disks (one report's).
struct FleetLimits {
  // Of the node's series for /metrics: past it, samples are dropped,
  // counted (vigie_node_series_dropped_samples) and logged.
  size_t max_series_bytes = NodeSeries::kDefaultMaxBytes;
  // How long the disks of a node's last disk cycle stand for its disks: a
  // node that stopped reading them (SMART turned off, an agent that lost
  // its permissions) stops showing disks it may no longer have. Many times
  // the agent's SMART period (30 minutes by default).
  int64_t kept_disks_ms = 24 * 3'600'000;
};

class FleetState {
 public:
  explicit FleetState(FleetLimits limits = {}) : limits_(limits) {}

  // Records that `node_id` was heard at `seen_ms`; `newest` (may be null, for
  // an all-duplicate push), whose serialization is `newest_bytes` (as
  // received: kept as they are, not serialized again), replaces the last
  // report if it is not older. A report without a disk cycle (disks_read
  // false) keeps the disks of the last disk cycle, heard less than
  // FleetLimits::kept_disks_ms before it: they are merged into *newest,
  // which the caller must not need as it was. Costs the build of its
  // NodeSeries (see node_series.h), outside the lock: linear in the report.
  void Update(const std::string& node_id, int64_t seen_ms, v1::Report* newest, std::string_view newest_bytes,
              const NodeFacts& facts);

  // Every node heard from, ordered by id, each report parsed afresh (about
  // 10 us a node, outside the lock).
  std::vector<NodeState> Snapshot() const;

  // Every node heard from, ordered by id, with its series: copies of ids and
  // pointers, under the lock.
  std::vector<NodeMetrics> MetricsSnapshot() const;

 private:
  struct Entry {
    int64_t last_seen_ms = 0;
    // The newest report's boot and seq.
    std::string boot_id;
    uint64_t seq = 0;
    // The newest report, serialized; null until the node's first report.
    std::shared_ptr<const std::string> report;
    // A Report holding only the disks of the newest disk cycle (and
    // disks_read), serialized; merged into a report that has none. Null when
    // that cycle found no disk, or when it is older than kept_disks_ms.
    std::shared_ptr<const std::string> disks;
    int64_t disks_seen_ms = 0;  // when that cycle was received
    // The series of the newest report (with those disks); null with it.
    std::shared_ptr<const NodeSeries> series;
    NodeFacts facts;
  };

  const FleetLimits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> nodes_;
};

}  // namespace vigie::collector
