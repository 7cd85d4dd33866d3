// Group commit: pushes that arrive while a transaction is being written wait
// and are committed together in the next one, so concurrent pushes share one
// fsync instead of paying one each. A push's call returns only after its
// batch is durably committed (or the transaction failed: then every batch of
// that transaction failed, and none is half-written).
//
// Thread-safe. One writer thread; callers block in Commit().
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <thread>

#include "collector/store.h"
#include "common/result.h"

namespace vigie::collector {

class GroupCommitter {
 public:
  // Runs on the writer thread after each successful commit, before the
  // callers waiting on it return: what must follow the store (the alerting
  // engine) does it once per transaction, not once per push, and without
  // competing with the writer for SQLite's write lock.
  using AfterCommit = std::function<void(std::span<const BatchWrite> writes, std::span<const StoredBatch> stored)>;

  // `max_batches`: at most this many pushes in one transaction.
  explicit GroupCommitter(Store& store, size_t max_batches = 256, AfterCommit after_commit = {});
  // Commits what is queued, then stops; later calls fail with kUnavailable.
  ~GroupCommitter();

  Result<StoredBatch> Commit(const std::string& node_id, const v1::Batch& batch, int64_t received_ms);

  struct Stats {
    uint64_t commits = 0;       // transactions since start
    uint64_t batches = 0;       // pushes they carried
    uint64_t microseconds = 0;  // time spent in them, for the mean commit latency
  };
  Stats stats() const;

 private:
  struct Pending {
    BatchWrite write;
    std::optional<Result<StoredBatch>> result;
  };

  void Run();

  Store& store_;
  const size_t max_batches_;
  const AfterCommit after_commit_;
  mutable std::mutex mutex_;
  std::condition_variable queued_;
  std::condition_variable done_;
  std::deque<Pending*> queue_;
  bool stopping_ = false;
  Stats stats_;
  std::thread writer_;
};

}  // namespace vigie::collector
