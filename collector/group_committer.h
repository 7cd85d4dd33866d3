// Group commit: pushes that arrive while a transaction is being written wait
// and are committed together in the next one, so concurrent pushes share one
// fsync instead of paying one each. A push hears of its result only after its
// batch is durably committed (or the transaction failed: then every batch of
// that transaction failed, and none is half-written).
//
// Thread-safe. One writer thread; Submit() returns at once and the result
// comes back on the writer thread, so that no caller's thread waits.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <thread>

#include "collector/store.h"
#include "common/result.h"

namespace vigie::collector {

class GroupCommitter {
 public:
  // Runs on the writer thread after each successful commit, before the
  // pushes of that commit hear of it: what must follow the store (the
  // alerting engine) does it once per transaction, not once per push, and
  // without competing with the writer for SQLite's write lock.
  using AfterCommit = std::function<void(std::span<const BatchWrite> writes, std::span<const StoredBatch> stored)>;
  // A push's result. It runs on the writer thread and delays the next
  // commit: it should only hand the result over.
  using Done = std::function<void(Result<StoredBatch> stored)>;

  // `max_batches`: at most this many pushes in one transaction.
  explicit GroupCommitter(Store& store, size_t max_batches = 256, AfterCommit after_commit = {});
  // Commits what is queued and calls its Done, then stops.
  ~GroupCommitter();

  // Queues `write` for the next transaction. `done` is called exactly once:
  // on the writer thread after the transaction (and AfterCommit), or at once
  // on the caller's thread with kUnavailable when the committer is stopping.
  // The node id and batch that `write` points to must stay valid until then.
  void Submit(BatchWrite write, Done done);

  struct Stats {
    uint64_t commits = 0;       // transactions since start
    uint64_t batches = 0;       // pushes they carried
    uint64_t microseconds = 0;  // time spent in them, for the mean commit latency
  };
  Stats stats() const;

 private:
  struct Pending {
    BatchWrite write;
    Done done;
  };

  void Run();

  Store& store_;
  const size_t max_batches_;
  const AfterCommit after_commit_;
  mutable std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  Stats stats_;
  std::thread writer_;
};

}  // namespace vigie::collector
