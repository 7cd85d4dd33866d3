#include "collector/store.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "common/log.h"

namespace vigie::collector {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS nodes (
  node_id             TEXT PRIMARY KEY,
  last_seen_ms        INTEGER NOT NULL,
  boot_id             TEXT NOT NULL,
  last_seq            INTEGER NOT NULL,
  last_ts_ms          INTEGER NOT NULL,
  last_report         BLOB NOT NULL,
  boots               INTEGER NOT NULL DEFAULT 0,
  last_shutdown_clean INTEGER NOT NULL DEFAULT 1,
  clock_skew_ms       INTEGER NOT NULL DEFAULT 0,
  history_bytes       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS reports_by_received ON reports (received_ms);
)sql";

// A new database's reports are rows of a rowid table, appended in arrival
// order, with a unique index for deduplication. Before, the table was
// WITHOUT ROWID, keyed by (node_id, boot_id, seq): SQLite keeps at most
// (U-12)*64/255-23 = 1 002 bytes of such a row in its B-tree page (U = 4096;
// the file format's maximum embedded payload of an index page) and a 1.6 KiB
// report spilled the rest into an overflow page of its own, so each report
// took two pages, and the inserts went to a page per node. A database made
// before keeps its table: every statement here works on both.
constexpr const char* kReportsSchema = R"sql(
CREATE TABLE reports (
  node_id      TEXT NOT NULL,
  boot_id      TEXT NOT NULL,
  seq          INTEGER NOT NULL,
  received_ms  INTEGER NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  body         BLOB NOT NULL
);
CREATE UNIQUE INDEX reports_by_key ON reports (node_id, boot_id, seq);
)sql";

const v1::Event* StartEvent(const v1::Report& report) {
  for (const v1::Event& event : report.events()) {
    if (event.kind() == v1::Event::AGENT_STARTED) return &event;
  }
  return nullptr;
}

}  // namespace

Store::Store(sqlite3* db, StoreLimits limits) : limits_(limits), db_(db) {}

Store::~Store() {
  insert_report_.reset();
  select_node_.reset();
  insert_node_.reset();
  update_node_.reset();
  sqlite3_close_v2(checkpointer_);
  sqlite3_close_v2(db_);
}

Error Store::LastError(std::string_view what) {
  const int code = sqlite3_extended_errcode(db_) & 0xFF;
  const ErrorCode error_code =
      (code == SQLITE_FULL || code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_IOERR)
          ? ErrorCode::kUnavailable
          : ErrorCode::kIo;
  return Error{error_code, fmt::format("{}: {}", what, sqlite3_errmsg(db_))};
}

Result<Store::Statement> Store::Prepare(const char* sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &statement, nullptr) != SQLITE_OK) {
    return tl::unexpected(LastError("prepare"));
  }
  return Statement(statement);
}

Result<void> Store::Exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return tl::unexpected(LastError(sql));
  return {};
}

Result<std::unique_ptr<Store>> Store::Open(const std::filesystem::path& path, Mode mode, StoreLimits limits) {
  sqlite3* db = nullptr;
  const int flags = mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_FULLMUTEX, nullptr);
  std::unique_ptr<Store> store(new Store(db, limits));  // owns db even when open failed
  if (rc != SQLITE_OK) {
    return Fail(rc == SQLITE_CANTOPEN ? ErrorCode::kNotFound : ErrorCode::kIo,
                fmt::format("cannot open {}: {}", path.string(), sqlite3_errmsg(db)));
  }
  sqlite3_busy_timeout(db, 5000);
  if (mode == Mode::kReadOnly) return store;
  // WAL with synchronous=FULL: every commit is fsynced before it returns.
  // SQLite's automatic checkpoint runs inside COMMIT every 1000 WAL pages
  // (about 300 pushes) and writes and fsyncs the database file on the ingest
  // path; at most every 20000 pages (~80 MiB of WAL) it halved the commit
  // time at 50 pushes per commit (bench/ingest). An 8 MiB page cache saves
  // re-reading B-tree pages; 16 MiB cost 10-15 MiB more RSS at 10 000 nodes
  // (up to 151 MiB, over the 150 MiB target) for no less CPU per push.
  if (auto r = store->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=20000; "
                           "PRAGMA cache_size=-8192;");
      !r) {
    return tl::unexpected(r.error());
  }
  if (auto r = store->CreateSchema(); !r) return tl::unexpected(r.error());
  if (sqlite3_open_v2(path.c_str(), &store->checkpointer_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    return Fail(ErrorCode::kIo, fmt::format("cannot open {} to checkpoint it: {}", path.string(),
                                            sqlite3_errmsg(store->checkpointer_)));
  }
  sqlite3_busy_timeout(store->checkpointer_, 5000);
  // A connection learns that the database is in WAL mode only when it first
  // reads it; until then sqlite3_wal_checkpoint_v2 on it returns SQLITE_OK
  // having done nothing (the checkpoints then all ran inside COMMIT, at
  // wal_autocheckpoint's 20000 pages).
  if (sqlite3_exec(store->checkpointer_, "PRAGMA schema_version", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Fail(ErrorCode::kIo, fmt::format("cannot read {} to checkpoint it: {}", path.string(),
                                            sqlite3_errmsg(store->checkpointer_)));
  }
  auto insert = store->Prepare(
      "INSERT OR IGNORE INTO reports(node_id, boot_id, seq, received_ms, timestamp_ms, body) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  auto select = store->Prepare(
      "SELECT boot_id, last_seq, last_ts_ms, boots, last_shutdown_clean, clock_skew_ms, history_bytes FROM nodes "
      "WHERE node_id = ?1");
  auto insert_node = store->Prepare(
      "INSERT INTO nodes(node_id, last_seen_ms, boot_id, last_seq, last_ts_ms, last_report, boots, "
      "last_shutdown_clean, clock_skew_ms, history_bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  // In place: REPLACE would delete the row and insert it again, in the
  // table and in its primary key's index.
  auto update_node = store->Prepare(
      "UPDATE nodes SET last_seen_ms = ?2, boot_id = ?3, last_seq = ?4, last_ts_ms = ?5, "
      "last_report = COALESCE(?6, last_report), boots = ?7, last_shutdown_clean = ?8, clock_skew_ms = ?9, "
      "history_bytes = ?10 WHERE node_id = ?1");
  if (!insert) return tl::unexpected(insert.error());
  if (!select) return tl::unexpected(select.error());
  if (!insert_node) return tl::unexpected(insert_node.error());
  if (!update_node) return tl::unexpected(update_node.error());
  store->insert_report_ = std::move(*insert);
  store->select_node_ = std::move(*select);
  store->insert_node_ = std::move(*insert_node);
  store->update_node_ = std::move(*update_node);
  return store;
}

Result<void> Store::CreateSchema() {
  const auto has_reports = [this]() -> Result<bool> {
    Result<Statement> select = Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reports'");
    if (!select) return tl::unexpected(select.error());
    return sqlite3_step(select->get()) == SQLITE_ROW;
  };
  if (auto r = Exec("BEGIN IMMEDIATE"); !r) return r;
  const Result<bool> existed = has_reports();
  Result<void> created = existed ? Result<void>{} : tl::unexpected(existed.error());
  if (created && !*existed) created = Exec(kReportsSchema);
  if (created) created = Exec(kSchema);
  // A nodes table from before history_bytes gets it, counted once.
  if (created) {
    Result<Statement> has_column =
        Prepare("SELECT 1 FROM pragma_table_info('nodes') WHERE name = 'history_bytes'");
    if (!has_column) {
      created = tl::unexpected(has_column.error());
    } else if (sqlite3_step(has_column->get()) != SQLITE_ROW) {
      created = Exec(
          "ALTER TABLE nodes ADD COLUMN history_bytes INTEGER NOT NULL DEFAULT 0; "
          "UPDATE nodes SET history_bytes = "
          "COALESCE((SELECT SUM(length(body)) FROM reports WHERE reports.node_id = nodes.node_id), 0);");
    }
  }
  if (created) created = Exec("COMMIT");
  if (!created) Exec("ROLLBACK");
  return created;
}

Store::NodeChange Store::CommittedNode(const std::string& node_id) {
  NodeChange node;
  if (const auto row = rows_.find(node_id); row != rows_.end()) {
    node.existed = node.exists = true;
    node.row = row->second;
    return node;
  }
  sqlite3_stmt* s = select_node_.get();
  sqlite3_reset(s);
  sqlite3_bind_text(s, 1, node_id.data(), static_cast<int>(node_id.size()), SQLITE_STATIC);
  if (sqlite3_step(s) == SQLITE_ROW) {
    node.existed = node.exists = true;
    node.row.boot_id = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    node.row.last_seq = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
    node.row.last_ts_ms = sqlite3_column_int64(s, 2);
    node.row.boots = sqlite3_column_int64(s, 3);
    node.row.last_shutdown_clean = sqlite3_column_int(s, 4) != 0;
    node.row.clock_skew_ms = sqlite3_column_int64(s, 5);
    node.row.history_bytes = sqlite3_column_int64(s, 6);
  }
  sqlite3_reset(s);
  return node;
}

Result<StoredBatch> Store::WriteBatch(const BatchWrite& write, NodeChanges& changes) {
  const std::string& node_id = *write.node_id;
  auto found = changes.find(node_id);
  if (found == changes.end()) found = changes.emplace(node_id, CommittedNode(node_id)).first;
  NodeChange& node = found->second;
  NodeRow& row = node.row;

  StoredBatch result;
  for (int index = 0; index < write.batch->reports_size(); ++index) {
    const v1::Report& report = write.batch->reports(index);
    const std::string_view body = write.report_bytes[static_cast<size_t>(index)];
    sqlite3_stmt* s = insert_report_.get();
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, node_id.data(), static_cast<int>(node_id.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 2, report.boot_id().data(), static_cast<int>(report.boot_id().size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, static_cast<sqlite3_int64>(report.seq()));
    sqlite3_bind_int64(s, 4, write.received_ms);
    sqlite3_bind_int64(s, 5, report.timestamp_unix_ms());
    sqlite3_bind_blob(s, 6, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) return tl::unexpected(LastError("insert report"));
    if (sqlite3_changes(db_) != 1) {
      ++result.duplicates;
      continue;
    }
    ++result.stored;
    result.stored_indices.push_back(index);
    row.history_bytes += static_cast<int64_t>(body.size());
    // The node's state follows its reports in their own order, (boot, seq),
    // not its clock, which may be wrong: an old report arriving late (a
    // backlog) does not roll it back; a new boot's follow the old one's.
    if (node.exists && report.boot_id() == row.boot_id && report.seq() < row.last_seq) continue;
    if (node.exists && report.boot_id() != row.boot_id) ++row.boots;
    if (const v1::Event* started = StartEvent(report)) row.last_shutdown_clean = started->previous_shutdown_clean();
    node.exists = true;
    row.boot_id = report.boot_id();
    row.last_seq = report.seq();
    row.last_ts_ms = report.timestamp_unix_ms();
    node.last_report = body;
  }
  if (write.batch->reports_size() == 1 && result.stored == 1) {
    // Saturated: a node's timestamp may be anything, INT64_MIN included.
    if (__builtin_sub_overflow(write.batch->reports(0).timestamp_unix_ms(), write.received_ms, &row.clock_skew_ms)) {
      row.clock_skew_ms = write.received_ms > 0 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
    }
  }
  result.facts = NodeFacts{static_cast<uint64_t>(row.boots), row.last_shutdown_clean, row.clock_skew_ms};
  node.last_seen_ms = write.received_ms;
  return result;
}

Result<void> Store::WriteNode(const std::string& node_id, const NodeChange& node) {
  sqlite3_stmt* s = node.existed ? update_node_.get() : insert_node_.get();
  sqlite3_reset(s);
  sqlite3_bind_text(s, 1, node_id.data(), static_cast<int>(node_id.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, node.last_seen_ms);
  sqlite3_bind_text(s, 3, node.row.boot_id.data(), static_cast<int>(node.row.boot_id.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, 4, static_cast<sqlite3_int64>(node.row.last_seq));
  sqlite3_bind_int64(s, 5, node.row.last_ts_ms);
  if (!node.last_report.empty()) {
    sqlite3_bind_blob(s, 6, node.last_report.data(), static_cast<int>(node.last_report.size()), SQLITE_STATIC);
  } else {
    sqlite3_bind_null(s, 6);
  }
  sqlite3_bind_int64(s, 7, node.row.boots);
  sqlite3_bind_int(s, 8, node.row.last_shutdown_clean ? 1 : 0);
  sqlite3_bind_int64(s, 9, node.row.clock_skew_ms);
  sqlite3_bind_int64(s, 10, node.row.history_bytes);
  if (sqlite3_step(s) != SQLITE_DONE) return tl::unexpected(LastError("update node"));
  return {};
}

Result<std::vector<StoredBatch>> Store::StoreBatches(std::span<const BatchWrite> writes) {
  std::lock_guard lock(mutex_);
  if (auto r = Exec("BEGIN IMMEDIATE"); !r) return tl::unexpected(r.error());
  std::vector<StoredBatch> results;
  results.reserve(writes.size());
  NodeChanges changes;
  for (const BatchWrite& write : writes) {
    Result<StoredBatch> stored = WriteBatch(write, changes);
    if (!stored) {
      Exec("ROLLBACK");
      return tl::unexpected(stored.error());
    }
    results.push_back(std::move(*stored));
  }
  for (const auto& [node_id, change] : changes) {
    // Nothing new from a node never stored: no row to write.
    if (!change.exists) continue;
    if (Result<void> written = WriteNode(node_id, change); !written) {
      Exec("ROLLBACK");
      return tl::unexpected(written.error());
    }
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    Error error = LastError("commit");
    Exec("ROLLBACK");
    return tl::unexpected(error);
  }
  // Only now: a transaction rolled back leaves rows_ as the table is.
  for (auto& [node_id, change] : changes) {
    if (change.exists) rows_.insert_or_assign(node_id, std::move(change.row));
  }
  return results;
}

Result<StoredBatch> Store::StoreBatch(const std::string& node_id, const v1::Batch& batch, int64_t received_ms) {
  std::vector<std::string> bodies;
  for (const v1::Report& report : batch.reports()) bodies.push_back(report.SerializeAsString());
  const std::vector<std::string_view> report_bytes(bodies.begin(), bodies.end());
  const BatchWrite write{&node_id, &batch, report_bytes, received_ms};
  Result<std::vector<StoredBatch>> stored = StoreBatches(std::span<const BatchWrite>(&write, 1));
  if (!stored) return tl::unexpected(stored.error());
  return stored->front();
}

Result<std::vector<NodeRecord>> Store::LoadNodes() {
  std::lock_guard lock(mutex_);
  Result<Statement> select = Prepare(
      "SELECT node_id, last_seen_ms, boot_id, last_seq, last_report, boots, last_shutdown_clean, clock_skew_ms "
      "FROM nodes ORDER BY node_id");
  if (!select) return tl::unexpected(select.error());
  std::vector<NodeRecord> nodes;
  sqlite3_stmt* s = select->get();
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    NodeRecord node;
    node.node_id = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    node.last_seen_ms = sqlite3_column_int64(s, 1);
    node.boot_id = reinterpret_cast<const char*>(sqlite3_column_text(s, 2));
    node.last_seq = static_cast<uint64_t>(sqlite3_column_int64(s, 3));
    node.last_report.ParseFromArray(sqlite3_column_blob(s, 4), sqlite3_column_bytes(s, 4));
    node.facts.boots = static_cast<uint64_t>(sqlite3_column_int64(s, 5));
    node.facts.last_shutdown_clean = sqlite3_column_int(s, 6) != 0;
    node.facts.clock_skew_ms = sqlite3_column_int64(s, 7);
    nodes.push_back(std::move(node));
  }
  if (rc != SQLITE_DONE) return tl::unexpected(LastError("select nodes"));
  return nodes;
}

Result<int64_t> Store::CountReports(const std::string& node_id) {
  std::lock_guard lock(mutex_);
  Result<Statement> select = Prepare("SELECT COUNT(*) FROM reports WHERE node_id = ?1");
  if (!select) return tl::unexpected(select.error());
  sqlite3_bind_text(select->get(), 1, node_id.data(), static_cast<int>(node_id.size()), SQLITE_STATIC);
  if (sqlite3_step(select->get()) != SQLITE_ROW) return tl::unexpected(LastError("count reports"));
  return sqlite3_column_int64(select->get(), 0);
}

Result<std::vector<Store::StoredReport>> Store::ListReports(const std::string& node_id) {
  std::lock_guard lock(mutex_);
  Result<Statement> select = Prepare(
      "SELECT boot_id, seq, received_ms, body FROM reports WHERE node_id = ?1 ORDER BY received_ms, seq");
  if (!select) return tl::unexpected(select.error());
  sqlite3_stmt* s = select->get();
  sqlite3_bind_text(s, 1, node_id.data(), static_cast<int>(node_id.size()), SQLITE_STATIC);
  std::vector<StoredReport> reports;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    StoredReport stored;
    stored.boot_id = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    stored.seq = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
    stored.received_ms = sqlite3_column_int64(s, 2);
    stored.report.ParseFromArray(sqlite3_column_blob(s, 3), sqlite3_column_bytes(s, 3));
    reports.push_back(std::move(stored));
  }
  if (rc != SQLITE_DONE) return tl::unexpected(LastError("select reports"));
  return reports;
}

Result<void> Store::Checkpoint() {
  std::lock_guard lock(checkpoint_mutex_);
  if (checkpointer_ == nullptr) return {};
  const int rc = sqlite3_wal_checkpoint_v2(checkpointer_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    return Fail(ErrorCode::kIo, fmt::format("checkpoint: {}", sqlite3_errmsg(checkpointer_)));
  }
  return {};
}

Result<void> Store::TakeOffHistory(const std::unordered_map<std::string, int64_t>& freed_bytes) {
  Result<Statement> update =
      Prepare("UPDATE nodes SET history_bytes = MAX(0, history_bytes - ?2) WHERE node_id = ?1");
  if (!update) return tl::unexpected(update.error());
  for (const auto& [node_id, bytes] : freed_bytes) {
    sqlite3_stmt* s = update->get();
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, node_id.data(), static_cast<int>(node_id.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, bytes);
    if (sqlite3_step(s) != SQLITE_DONE) return tl::unexpected(LastError("update history bytes"));
  }
  return {};
}

Result<int64_t> Store::PruneOverBudget(int limit, std::unordered_map<std::string, int64_t>& freed_bytes) {
  // From rows_, without reading the table: a node grows only by pushing,
  // and every node that pushed since Open is there.
  std::vector<std::pair<std::string, int64_t>> nodes;  // and their bytes over
  for (const auto& [node_id, row] : rows_) {
    if (row.history_bytes > limits_.max_history_bytes_per_node) {
      nodes.emplace_back(node_id, row.history_bytes - limits_.max_history_bytes_per_node);
    }
  }
  // The oldest first, read in one pass of the node's reports (one sort),
  // then deleted by key.
  Result<Statement> oldest = Prepare(
      "SELECT boot_id, seq, length(body) FROM reports WHERE node_id = ?1 ORDER BY received_ms, seq");
  Result<Statement> erase = Prepare("DELETE FROM reports WHERE node_id = ?1 AND boot_id = ?2 AND seq = ?3");
  if (!oldest) return tl::unexpected(oldest.error());
  if (!erase) return tl::unexpected(erase.error());
  int64_t pruned = 0;
  for (const auto& [node_id, excess] : nodes) {
    std::vector<std::pair<std::string, int64_t>> keys;  // boot id, seq
    int64_t freed = 0;
    sqlite3_stmt* s = oldest->get();
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, node_id.data(), static_cast<int>(node_id.size()), SQLITE_STATIC);
    while (freed < excess && pruned + static_cast<int64_t>(keys.size()) < limit) {
      const int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return tl::unexpected(LastError("select the oldest reports"));
      keys.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), sqlite3_column_int64(s, 1));
      freed += sqlite3_column_int64(s, 2);
    }
    sqlite3_reset(s);
    for (const auto& [boot_id, seq] : keys) {
      sqlite3_stmt* e = erase->get();
      sqlite3_reset(e);
      sqlite3_bind_text(e, 1, node_id.data(), static_cast<int>(node_id.size()), SQLITE_STATIC);
      sqlite3_bind_text(e, 2, boot_id.data(), static_cast<int>(boot_id.size()), SQLITE_STATIC);
      sqlite3_bind_int64(e, 3, seq);
      if (sqlite3_step(e) != SQLITE_DONE) return tl::unexpected(LastError("prune reports over budget"));
    }
    if (keys.empty()) continue;
    pruned += static_cast<int64_t>(keys.size());
    freed_bytes[node_id] += freed;
    LogWarning("node {} stores more than {} bytes of reports: its {} oldest pruned ({} bytes)", node_id,
               limits_.max_history_bytes_per_node, keys.size(), freed);
  }
  return pruned;
}

Result<int64_t> Store::PruneReports(int64_t before_ms, int limit) {
  std::lock_guard lock(mutex_);
  if (auto r = Exec("BEGIN IMMEDIATE"); !r) return tl::unexpected(r.error());
  const auto fail = [&](Error error) -> Result<int64_t> {
    Exec("ROLLBACK");
    return tl::unexpected(std::move(error));
  };
  Result<Statement> prune = Prepare(
      "DELETE FROM reports WHERE (node_id, boot_id, seq) IN "
      "(SELECT node_id, boot_id, seq FROM reports WHERE received_ms < ?1 LIMIT ?2) RETURNING node_id, length(body)");
  if (!prune) return fail(prune.error());
  sqlite3_bind_int64(prune->get(), 1, before_ms);
  sqlite3_bind_int(prune->get(), 2, limit);
  std::unordered_map<std::string, int64_t> freed_bytes;
  int64_t pruned = 0;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(prune->get())) == SQLITE_ROW) {
    ++pruned;
    freed_bytes[reinterpret_cast<const char*>(sqlite3_column_text(prune->get(), 0))] +=
        sqlite3_column_int64(prune->get(), 1);
  }
  if (rc != SQLITE_DONE) return fail(LastError("prune reports"));
  prune->reset();
  if (pruned < limit) {
    const Result<int64_t> over = PruneOverBudget(static_cast<int>(limit - pruned), freed_bytes);
    if (!over) return fail(over.error());
    pruned += *over;
  }
  if (Result<void> taken = TakeOffHistory(freed_bytes); !taken) return fail(taken.error());
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return fail(LastError("commit"));
  // Only now, as StoreBatches does: rows_ is what the table holds.
  for (const auto& [node_id, bytes] : freed_bytes) {
    if (const auto row = rows_.find(node_id); row != rows_.end()) {
      row->second.history_bytes = std::max<int64_t>(0, row->second.history_bytes - bytes);
    }
  }
  return pruned;
}

Result<int64_t> Store::HistoryBytes(const std::string& node_id) {
  std::lock_guard lock(mutex_);
  Result<Statement> select = Prepare("SELECT history_bytes FROM nodes WHERE node_id = ?1");
  if (!select) return tl::unexpected(select.error());
  sqlite3_bind_text(select->get(), 1, node_id.data(), static_cast<int>(node_id.size()), SQLITE_STATIC);
  const int rc = sqlite3_step(select->get());
  if (rc == SQLITE_DONE) return 0;
  if (rc != SQLITE_ROW) return tl::unexpected(LastError("select history bytes"));
  return sqlite3_column_int64(select->get(), 0);
}

}  // namespace vigie::collector
