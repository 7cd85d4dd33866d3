// What the collector knows of each node right now: its newest report and
// when it was last heard from. Loaded from the store at start, updated after
// each committed push. Thread-safe; readers get an immutable snapshot.
//
// Memory: a node's newest report is kept serialized (about 1.6 KiB for 60
// readings, plus its last disk cycle's disks) rather than parsed (about
// 9 KiB: a protobuf object per reading): 10 000 nodes cost ~25 MiB, not
// ~90. Snapshot() parses them, for the reader to hold only while it uses
// them. Beside it, the report's series for /metrics in compact form (about
// 3 KiB, NodeSeries), so that a scrape parses nothing.
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

class FleetState {
 public:
  // Records that `node_id` was heard at `seen_ms`; `newest` (may be null, for
  // an all-duplicate push), whose serialization is `newest_bytes` (as
  // received: kept as they are, not serialized again), replaces the last
  // report if it is not older. A report without a disk cycle (disks_read
  // false) keeps the disks of the report it replaces: they are merged into
  // *newest, which the caller must not need as it was. Costs the build of
  // its NodeSeries (see node_series.h), outside the lock.
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
    // that cycle found no disk.
    std::shared_ptr<const std::string> disks;
    // The series of the newest report (with those disks); null with it.
    std::shared_ptr<const NodeSeries> series;
    NodeFacts facts;
  };

  mutable std::mutex mutex_;
  std::map<std::string, Entry> nodes_;
};

}  // namespace vigie::collector
