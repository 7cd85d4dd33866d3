// The collector's embedded store: SQLite in WAL mode with synchronous=FULL,
// so that a committed transaction survives kill -9 and a power cut.
//
//   nodes(node_id, last_seen_ms, boot_id, last_seq, last_ts_ms, last_report,
//         boots, last_shutdown_clean, clock_skew_ms, history_bytes)
//   reports(node_id, boot_id, seq, received_ms, timestamp_ms, body), unique
//           (node_id, boot_id, seq)
//
// Thread-safe: one connection behind a mutex (SQLite has one writer anyway).
// Errors are Results; nothing throws. A write that fails (disk full) rolls
// back whole: nothing is ever half-written.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "vigie.pb.h"

namespace vigie::collector {

// What the collector knows of a node beyond its reports.
struct NodeFacts {
  // Boot ids seen after the first one: reboots, clean or not.
  uint64_t boots = 0;
  // From the newest AGENT_STARTED event: did the run before it end cleanly?
  bool last_shutdown_clean = true;
  // Newest report's timestamp minus its receive time, measured on pushes
  // that carry one fresh report (a backlog says nothing about the clock).
  int64_t clock_skew_ms = 0;
};

// What the store keeps of a node at most. Its newest report is bounded before
// it gets here (ingest refuses a report over ReportLimits::max_report_bytes);
// its history by age (PruneReports) and by this.
struct StoreLimits {
  // The bytes of a node's stored reports: far above what a node pushing
  // every 10 seconds stores in the default 30-day history, far below what
  // one pushing the largest reports at its rate limit would.
  int64_t max_history_bytes_per_node = int64_t{2} << 30;
};

struct StoredBatch {
  uint32_t stored = 0;
  uint32_t duplicates = 0;
  NodeFacts facts;  // the node's, after this batch
  // Positions in the batch of the reports stored now (not duplicates), in order.
  std::vector<int> stored_indices;
};

// One node's batch to store.
struct BatchWrite {
  const std::string* node_id;
  const v1::Batch* batch;
  // Each report of `batch`, in order, as it came on the wire (a slice of the
  // request body): stored as it is, not serialized again.
  std::span<const std::string_view> report_bytes;
  int64_t received_ms;
};

struct NodeRecord {
  std::string node_id;
  int64_t last_seen_ms = 0;
  std::string boot_id;
  uint64_t last_seq = 0;
  v1::Report last_report;
  NodeFacts facts;
};

class Store {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& path, Mode mode = Mode::kReadWrite,
                                             StoreLimits limits = {});
  ~Store();

  // Stores every batch in one transaction (one fsync for all: the group
  // commit); per batch, how many reports were new and how many were already
  // stored (same node, boot id, seq). A node's row is written once per
  // transaction, however many of its batches it holds. Returns only once
  // durably committed.
  Result<std::vector<StoredBatch>> StoreBatches(std::span<const BatchWrite> writes);
  // StoreBatches for one batch, whose reports it serializes.
  Result<StoredBatch> StoreBatch(const std::string& node_id, const v1::Batch& batch, int64_t received_ms);

  // Every node that ever reported, with its newest report.
  Result<std::vector<NodeRecord>> LoadNodes();

  // How many reports are stored for a node.
  Result<int64_t> CountReports(const std::string& node_id);

  struct StoredReport {
    std::string boot_id;
    uint64_t seq = 0;
    int64_t received_ms = 0;
    v1::Report report;
  };
  // A node's stored reports in the order they were received (ties by seq).
  Result<std::vector<StoredReport>> ListReports(const std::string& node_id);

  // Deletes at most `limit` reports, in one short transaction: first those
  // received before `before_ms`, then the oldest of each node whose history
  // is over StoreLimits::max_history_bytes_per_node (logged, with the node;
  // the nodes that pushed since Open, the only ones that can have grown);
  // returns how many. Call it again while it returns `limit`.
  Result<int64_t> PruneReports(int64_t before_ms, int limit);

  // The bytes of a node's stored reports (0 for a node never stored).
  Result<int64_t> HistoryBytes(const std::string& node_id);

  // Copies the WAL's committed pages into the database file and fsyncs it
  // (SQLite's PASSIVE checkpoint), on a connection of its own: it neither
  // waits for nor blocks the writes. Call it every second or so from a
  // background thread, so that checkpoints stay off the commits (SQLite's
  // automatic one, every 20000 pages, is only the fallback). Thread-safe.
  Result<void> Checkpoint();

 private:
  struct StatementDeleter {
    void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
  };
  using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

  // A node's row in the nodes table, but its last report.
  struct NodeRow {
    std::string boot_id;
    uint64_t last_seq = 0;
    int64_t last_ts_ms = 0;
    int64_t boots = 0;
    bool last_shutdown_clean = true;
    int64_t clock_skew_ms = 0;
    int64_t history_bytes = 0;  // of its rows in reports
  };
  // A node's row as the transaction under way leaves it.
  struct NodeChange {
    bool existed = false;  // the row was in the table before the transaction
    bool exists = false;   // it is after it
    NodeRow row;
    int64_t last_seen_ms = 0;
    std::string_view last_report;  // the write's bytes; empty: unchanged
  };
  using NodeChanges = std::unordered_map<std::string, NodeChange>;

  Store(sqlite3* db, StoreLimits limits);
  Result<void> Exec(const char* sql);
  Result<Statement> Prepare(const char* sql);
  Error LastError(std::string_view what);
  // The tables, in one transaction (see kReportsSchema for the two layouts of reports).
  Result<void> CreateSchema();
  // Takes bytes of deleted reports off their nodes' history_bytes, in the
  // table (inside the transaction under way) and in rows_ (which the caller
  // must only do once it committed: see PruneReports).
  Result<void> TakeOffHistory(const std::unordered_map<std::string, int64_t>& freed_bytes);
  // PruneReports' second part: at most `limit` of the oldest reports of the
  // nodes over budget, their bytes added to `freed_bytes`.
  Result<int64_t> PruneOverBudget(int limit, std::unordered_map<std::string, int64_t>& freed_bytes);
  // The committed row of a node, from rows_ or else the table.
  NodeChange CommittedNode(const std::string& node_id);
  Result<StoredBatch> WriteBatch(const BatchWrite& write, NodeChanges& changes);
  Result<void> WriteNode(const std::string& node_id, const NodeChange& change);

  const StoreLimits limits_;
  std::mutex mutex_;
  sqlite3* db_;
  std::mutex checkpoint_mutex_;
  sqlite3* checkpointer_ = nullptr;  // owned; null in read-only mode
  Statement insert_report_;
  Statement select_node_;
  Statement insert_node_;
  Statement update_node_;
  // The committed rows of the nodes that pushed since Open: each batch
  // needs its node's row, and reading it back costs B-tree page reads
  // (SQLite drops this connection's page cache whenever another connection
  // has written).
  std::unordered_map<std::string, NodeRow> rows_;
};

}  // namespace vigie::collector
