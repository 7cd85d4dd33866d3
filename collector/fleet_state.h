// What the collector knows of each node right now: its newest report and
// when it was last heard from. Loaded from the store at start, updated after
// each committed push. Thread-safe; readers get an immutable snapshot.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collector/store.h"
#include "vigie.pb.h"

namespace vigie::collector {

struct NodeState {
  std::string node_id;
  int64_t last_seen_ms = 0;
  std::shared_ptr<const v1::Report> last_report;  // never null
  NodeFacts facts;
};

class FleetState {
 public:
  // Records that `node_id` was heard at `seen_ms`; `newest` (may be null, for
  // an all-duplicate push) replaces the last report if it is not older. A
  // report without a disk cycle (disks_read false) keeps the disks of the
  // report it replaces.
  void Update(const std::string& node_id, int64_t seen_ms, std::shared_ptr<const v1::Report> newest,
              const NodeFacts& facts);

  // Every node heard from, ordered by id.
  std::vector<NodeState> Snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, NodeState> nodes_;
};

}  // namespace vigie::collector
