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

void GroupCommitter::Submit(BatchWrite write, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back(Pending{write, std::move(done)});
      queued_.notify_one();
      return;
    }
  }
  done(Fail(ErrorCode::kUnavailable, "the collector is stopping"));
}

void GroupCommitter::Run() {
  std::vector<Pending> group;
  std::vector<BatchWrite> writes;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to commit
      while (!queue_.empty() && group.size() < max_batches_) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    writes.clear();
    for (const Pending& pending : group) writes.push_back(pending.write);
    const auto started = std::chrono::steady_clock::now();
    Result<std::vector<StoredBatch>> stored = store_.StoreBatches(writes);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    if (stored && after_commit_) after_commit_(writes, *stored);
    {
      std::lock_guard lock(mutex_);
      ++stats_.commits;
      stats_.batches += group.size();
      stats_.microseconds +=
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
    }
    for (size_t i = 0; i < group.size(); ++i) {
      if (stored) {
        group[i].done(std::move((*stored)[i]));
      } else {
        group[i].done(tl::unexpected(stored.error()));
      }
    }
    group.clear();
  }
}

GroupCommitter::Stats GroupCommitter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace vigie::collector
