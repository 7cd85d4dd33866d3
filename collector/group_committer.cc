#include "collector/group_committer.h"

#include <chrono>
#include <vector>

namespace vigie::collector {

GroupCommitter::GroupCommitter(Store& store, size_t max_batches, AfterCommit after_commit)
    : store_(store), max_batches_(max_batches), after_commit_(std::move(after_commit)), writer_([this] { Run(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  writer_.join();
}

Result<StoredBatch> GroupCommitter::Commit(const std::string& node_id, const v1::Batch& batch, int64_t received_ms) {
  Pending pending{BatchWrite{&node_id, &batch, received_ms}, std::nullopt};
  std::unique_lock lock(mutex_);
  if (stopping_) return Fail(ErrorCode::kUnavailable, "the collector is stopping");
  queue_.push_back(&pending);
  queued_.notify_one();
  done_.wait(lock, [&] { return pending.result.has_value(); });
  return std::move(*pending.result);
}

void GroupCommitter::Run() {
  std::vector<Pending*> group;
  std::vector<BatchWrite> writes;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to commit
      while (!queue_.empty() && group.size() < max_batches_) {
        group.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    writes.clear();
    for (Pending* pending : group) writes.push_back(pending->write);
    const auto started = std::chrono::steady_clock::now();
    Result<std::vector<StoredBatch>> stored = store_.StoreBatches(writes);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    if (stored && after_commit_) after_commit_(writes, *stored);
    {
      std::lock_guard lock(mutex_);
      for (size_t i = 0; i < group.size(); ++i) {
        if (stored) {
          group[i]->result = (*stored)[i];
        } else {
          group[i]->result = tl::unexpected(stored.error());
        }
      }
      ++stats_.commits;
      stats_.batches += group.size();
      stats_.microseconds +=
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
    }
    done_.notify_all();
    group.clear();
  }
}

GroupCommitter::Stats GroupCommitter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace vigie::collector
