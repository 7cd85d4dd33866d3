#include "collector/store.h"

#include <fmt/format.h>

namespace vigie::collector {
namespace {

struct StatementDeleter {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS nodes (
  node_id      TEXT PRIMARY KEY,
  last_seen_ms INTEGER NOT NULL,
  boot_id      TEXT NOT NULL,
  last_seq     INTEGER NOT NULL,
  last_ts_ms   INTEGER NOT NULL,
  last_report  BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS reports (
  node_id      TEXT NOT NULL,
  boot_id      TEXT NOT NULL,
  seq          INTEGER NOT NULL,
  received_ms  INTEGER NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  body         BLOB NOT NULL,
  PRIMARY KEY (node_id, boot_id, seq)
) WITHOUT ROWID;
)sql";

Error SqliteError(sqlite3* db, std::string_view what) {
  const int code = sqlite3_errcode(db);
  const ErrorCode error_code =
      (code == SQLITE_FULL || code == SQLITE_BUSY || code == SQLITE_LOCKED) ? ErrorCode::kUnavailable : ErrorCode::kIo;
  return Error{error_code, fmt::format("{}: {}", what, sqlite3_errmsg(db))};
}

Result<Statement> Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK) {
    return tl::unexpected(SqliteError(db, "prepare"));
  }
  return Statement(statement);
}

}  // namespace

Store::Store(sqlite3* db) : db_(db) {}

Store::~Store() { sqlite3_close_v2(db_); }

Result<void> Store::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    Error error{ErrorCode::kIo, fmt::format("{}", message != nullptr ? message : "sqlite3_exec failed")};
    sqlite3_free(message);
    return tl::unexpected(error);
  }
  return {};
}

Result<std::unique_ptr<Store>> Store::Open(const std::filesystem::path& path, Mode mode) {
  sqlite3* db = nullptr;
  const int flags = mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_FULLMUTEX, nullptr);
  std::unique_ptr<Store> store(new Store(db));  // owns db even when open failed
  if (rc != SQLITE_OK) {
    return Fail(rc == SQLITE_CANTOPEN ? ErrorCode::kNotFound : ErrorCode::kIo,
                fmt::format("cannot open {}: {}", path.string(), sqlite3_errmsg(db)));
  }
  sqlite3_busy_timeout(db, 5000);
  if (mode == Mode::kReadWrite) {
    // WAL with synchronous=FULL: every commit is fsynced before it returns.
    if (auto r = store->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"); !r) return tl::unexpected(r.error());
    if (auto r = store->Exec(kSchema); !r) return tl::unexpected(r.error());
  }
  return store;
}

Result<StoredBatch> Store::StoreBatch(const std::string& node_id, const v1::Batch& batch, int64_t received_ms) {
  std::lock_guard lock(mutex_);
  if (auto r = Exec("BEGIN IMMEDIATE"); !r) return tl::unexpected(r.error());
  const auto rollback = [&](Error error) -> Result<StoredBatch> {
    Exec("ROLLBACK");
    return tl::unexpected(std::move(error));
  };
  Result<Statement> insert = Prepare(
      db_, "INSERT OR IGNORE INTO reports(node_id, boot_id, seq, received_ms, timestamp_ms, body) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert) return rollback(insert.error());
  StoredBatch result;
  const v1::Report* newest = nullptr;
  std::string newest_body;
  for (const v1::Report& report : batch.reports()) {
    const std::string body = report.SerializeAsString();
    sqlite3_stmt* s = insert->get();
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, node_id.data(), static_cast<int>(node_id.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 2, report.boot_id().data(), static_cast<int>(report.boot_id().size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, static_cast<sqlite3_int64>(report.seq()));
    sqlite3_bind_int64(s, 4, received_ms);
    sqlite3_bind_int64(s, 5, report.timestamp_unix_ms());
    sqlite3_bind_blob(s, 6, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) return rollback(SqliteError(db_, "insert report"));
    if (sqlite3_changes(db_) == 1) {
      ++result.stored;
      if (newest == nullptr || report.timestamp_unix_ms() >= newest->timestamp_unix_ms()) {
        newest = &report;
        newest_body = body;
      }
    } else {
      ++result.duplicates;
    }
  }
  // The node is alive whatever it sent; its last report only moves forward.
  Result<Statement> upsert = Prepare(
      db_,
      "INSERT INTO nodes(node_id, last_seen_ms, boot_id, last_seq, last_ts_ms, last_report) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT(node_id) DO UPDATE SET last_seen_ms = excluded.last_seen_ms, "
      "  boot_id = CASE WHEN excluded.last_ts_ms >= last_ts_ms THEN excluded.boot_id ELSE boot_id END, "
      "  last_seq = CASE WHEN excluded.last_ts_ms >= last_ts_ms THEN excluded.last_seq ELSE last_seq END, "
      "  last_report = CASE WHEN excluded.last_ts_ms >= last_ts_ms THEN excluded.last_report ELSE last_report END, "
      "  last_ts_ms = MAX(last_ts_ms, excluded.last_ts_ms)");
  if (!upsert) return rollback(upsert.error());
  if (newest != nullptr) {
    sqlite3_stmt* s = upsert->get();
    sqlite3_bind_text(s, 1, node_id.data(), static_cast<int>(node_id.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, received_ms);
    sqlite3_bind_text(s, 3, newest->boot_id().data(), static_cast<int>(newest->boot_id().size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, static_cast<sqlite3_int64>(newest->seq()));
    sqlite3_bind_int64(s, 5, newest->timestamp_unix_ms());
    sqlite3_bind_blob(s, 6, newest_body.data(), static_cast<int>(newest_body.size()), SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) return rollback(SqliteError(db_, "update node"));
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return rollback(SqliteError(db_, "commit"));
  }
  return result;
}

Result<std::vector<NodeRecord>> Store::LoadNodes() {
  std::lock_guard lock(mutex_);
  Result<Statement> select =
      Prepare(db_, "SELECT node_id, last_seen_ms, boot_id, last_seq, last_report FROM nodes ORDER BY node_id");
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
    const void* blob = sqlite3_column_blob(s, 4);
    node.last_report.ParseFromArray(blob, sqlite3_column_bytes(s, 4));
    nodes.push_back(std::move(node));
  }
  if (rc != SQLITE_DONE) return tl::unexpected(SqliteError(db_, "select nodes"));
  return nodes;
}

Result<int64_t> Store::CountReports(const std::string& node_id) {
  std::lock_guard lock(mutex_);
  Result<Statement> select = Prepare(db_, "SELECT COUNT(*) FROM reports WHERE node_id = ?1");
  if (!select) return tl::unexpected(select.error());
  sqlite3_bind_text(select->get(), 1, node_id.data(), static_cast<int>(node_id.size()), SQLITE_STATIC);
  if (sqlite3_step(select->get()) != SQLITE_ROW) return tl::unexpected(SqliteError(db_, "count reports"));
  return sqlite3_column_int64(select->get(), 0);
}

Result<std::vector<Store::StoredReport>> Store::ListReports(const std::string& node_id) {
  std::lock_guard lock(mutex_);
  Result<Statement> select = Prepare(db_,
                                     "SELECT boot_id, seq, received_ms, body FROM reports WHERE node_id = ?1 "
                                     "ORDER BY received_ms, seq");
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
  if (rc != SQLITE_DONE) return tl::unexpected(SqliteError(db_, "select reports"));
  return reports;
}

}  // namespace vigie::collector
