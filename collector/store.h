// The collector's embedded store: SQLite in WAL mode with synchronous=FULL,
// so that a committed transaction survives kill -9 and a power cut.
//
//   nodes(node_id, last_seen_ms, boot_id, last_seq, last_report)
//   reports(node_id, boot_id, seq, received_ms, timestamp_ms, body)
//
// Thread-safe: one connection behind a mutex (SQLite has one writer anyway).
// Errors are Results; nothing throws after Open.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "vigie.pb.h"

namespace vigie::collector {

struct StoredBatch {
  uint32_t stored = 0;
  uint32_t duplicates = 0;
};

struct NodeRecord {
  std::string node_id;
  int64_t last_seen_ms = 0;
  std::string boot_id;
  uint64_t last_seq = 0;
  v1::Report last_report;
};

class Store {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& path, Mode mode = Mode::kReadWrite);
  ~Store();

  // Stores every report of `batch` for `node_id` in one transaction; reports
  // already stored (same node, boot id, seq) are counted as duplicates. When
  // this returns successfully, the transaction is durably committed.
  Result<StoredBatch> StoreBatch(const std::string& node_id, const v1::Batch& batch, int64_t received_ms);

  // Every node that ever reported, with its newest report.
  Result<std::vector<NodeRecord>> LoadNodes();

  // How many reports are stored for a node (for tests and vigiectl).
  Result<int64_t> CountReports(const std::string& node_id);

  struct StoredReport {
    std::string boot_id;
    uint64_t seq = 0;
    int64_t received_ms = 0;
    v1::Report report;
  };
  // A node's stored reports in the order they were received (ties by seq).
  Result<std::vector<StoredReport>> ListReports(const std::string& node_id);

 private:
  explicit Store(sqlite3* db);
  Result<void> Exec(const char* sql);

  std::mutex mutex_;
  sqlite3* db_;
};

}  // namespace vigie::collector
