#include "collector/fleet_state.h"

namespace vigie::collector {

void FleetState::Update(const std::string& node_id, int64_t seen_ms, std::shared_ptr<const v1::Report> newest,
                        const NodeFacts& facts) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = nodes_.try_emplace(node_id);
  NodeState& state = it->second;
  if (inserted) state.node_id = node_id;
  state.last_seen_ms = std::max(state.last_seen_ms, seen_ms);
  state.facts = facts;
  if (newest != nullptr &&
      (state.last_report == nullptr || newest->timestamp_unix_ms() >= state.last_report->timestamp_unix_ms())) {
    // SMART runs on a longer period than the rest: between two disk cycles
    // the node's disks are those of its last disk cycle.
    if (!newest->disks_read() && newest->disks_size() == 0 && state.last_report != nullptr &&
        state.last_report->disks_size() > 0) {
      auto merged = std::make_shared<v1::Report>(*newest);
      *merged->mutable_disks() = state.last_report->disks();
      merged->set_disks_read(true);
      newest = std::move(merged);
    }
    state.last_report = std::move(newest);
  }
  if (state.last_report == nullptr) state.last_report = std::make_shared<const v1::Report>();
}

std::vector<NodeState> FleetState::Snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<NodeState> nodes;
  nodes.reserve(nodes_.size());
  for (const auto& [id, state] : nodes_) nodes.push_back(state);
  return nodes;
}

}  // namespace vigie::collector
