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
#include <mutex>
#include <optional>
#include <thread>

#include "collector/store.h"
#include "common/result.h"

namespace vigie::collector {

class GroupCommitter {
 public:
  // `max_batches`: at most this many pushes in one transaction.
  GroupCommitter(Store& store, size_t max_batches = 256);
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
  mutable std::mutex mutex_;
  std::condition_variable queued_;
  std::condition_variable done_;
  std::deque<Pending*> queue_;
  bool stopping_ = false;
  Stats stats_;
  std::thread writer_;
};

}  // namespace vigie::collector
