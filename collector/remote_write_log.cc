#include "collector/remote_write_log.h"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

#include "common/log.h"

namespace vigie::collector {
namespace {

struct StatementDeleter {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// AUTOINCREMENT: an id is never reused, even after the log was emptied, so
// a cursor never points past entries still to come.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS remote_write_log (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  node_id TEXT NOT NULL,
  boot_id TEXT NOT NULL,
  seq     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS remote_write_cursor (
  target           TEXT PRIMARY KEY,
  last_id          INTEGER NOT NULL,
  last_received_ms INTEGER NOT NULL,
  last_node_id     TEXT NOT NULL,
  last_boot_id     TEXT NOT NULL,
  last_seq         INTEGER NOT NULL,
  updated_ms       INTEGER NOT NULL,
  inflight_last_id INTEGER NOT NULL DEFAULT 0
);
)sql";

// A cursor table made before the in-flight range was kept.
constexpr const char* kAddInflight =
    "ALTER TABLE remote_write_cursor ADD COLUMN inflight_last_id INTEGER NOT NULL DEFAULT 0";

// INSERT OR IGNORE of a duplicate inserts no row, so fires no trigger.
constexpr const char* kTrigger = R"sql(
CREATE TRIGGER remote_write_log_insert AFTER INSERT ON reports
BEGIN
  INSERT INTO remote_write_log(node_id, boot_id, seq) VALUES (NEW.node_id, NEW.boot_id, NEW.seq);
END;
)sql";

Error SqliteError(sqlite3* db, std::string_view what) {
  const int code = sqlite3_errcode(db);
  const ErrorCode error_code =
      (code == SQLITE_FULL || code == SQLITE_BUSY || code == SQLITE_LOCKED) ? ErrorCode::kUnavailable : ErrorCode::kIo;
  return Error{error_code, fmt::format("remote_write log: {}: {}", what, sqlite3_errmsg(db))};
}

Result<Statement> Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK) {
    return tl::unexpected(SqliteError(db, "prepare"));
  }
  return Statement(statement);
}

Result<void> Exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return tl::unexpected(SqliteError(db, sql));
  return {};
}

// Runs `body` in BEGIN IMMEDIATE ... COMMIT, rolling back on failure.
template <class F>
Result<void> Transaction(sqlite3* db, F&& body) {
  if (auto r = Exec(db, "BEGIN IMMEDIATE"); !r) return r;
  if (Result<void> r = body(); !r) {
    Exec(db, "ROLLBACK");
    return r;
  }
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    Error error = SqliteError(db, "commit");
    Exec(db, "ROLLBACK");
    return tl::unexpected(std::move(error));
  }
  return {};
}

Result<int64_t> QueryInt(sqlite3* db, const char* sql) {
  Result<Statement> s = Prepare(db, sql);
  if (!s) return tl::unexpected(s.error());
  if (sqlite3_step(s->get()) != SQLITE_ROW) return tl::unexpected(SqliteError(db, sql));
  return sqlite3_column_int64(s->get(), 0);
}

Result<sqlite3*> OpenConnection(const std::filesystem::path& database) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc != SQLITE_OK) {
    Error error{rc == SQLITE_CANTOPEN ? ErrorCode::kNotFound : ErrorCode::kIo,
                fmt::format("remote_write log: cannot open {}: {}", database.string(), sqlite3_errmsg(db))};
    sqlite3_close_v2(db);
    return tl::unexpected(std::move(error));
  }
  sqlite3_busy_timeout(db, 5000);
  // synchronous is a per-connection setting: the cursor is as durable as the reports.
  if (auto r = Exec(db, "PRAGMA synchronous=FULL"); !r) {
    sqlite3_close_v2(db);
    return tl::unexpected(r.error());
  }
  return db;
}

}  // namespace

RemoteWriteLog::RemoteWriteLog(sqlite3* db, std::string target) : db_(db), target_(std::move(target)) {}

RemoteWriteLog::~RemoteWriteLog() { sqlite3_close_v2(db_); }

Result<std::unique_ptr<RemoteWriteLog>> RemoteWriteLog::Open(const std::filesystem::path& database,
                                                             const std::string& target, int64_t now_ms,
                                                             std::chrono::milliseconds backfill) {
  Result<sqlite3*> db = OpenConnection(database);
  if (!db) return tl::unexpected(db.error());
  std::unique_ptr<RemoteWriteLog> log(new RemoteWriteLog(*db, target));
  sqlite3* const c = *db;
  Result<void> installed = Transaction(c, [&]() -> Result<void> {
    if (auto r = Exec(c, kSchema); !r) return r;
    Result<int64_t> has_inflight = QueryInt(
        c, "SELECT COUNT(*) FROM pragma_table_info('remote_write_cursor') WHERE name = 'inflight_last_id'");
    if (!has_inflight) return tl::unexpected(has_inflight.error());
    if (*has_inflight == 0) {
      if (auto r = Exec(c, kAddInflight); !r) return r;
    }
    Result<int64_t> has_trigger =
        QueryInt(c, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'remote_write_log_insert'");
    if (!has_trigger) return tl::unexpected(has_trigger.error());
    if (*has_trigger == 0) {
      if (auto r = Exec(c, kTrigger); !r) return r;
      Result<Statement> seed = Prepare(c,
                                       "INSERT INTO remote_write_log(node_id, boot_id, seq) "
                                       "SELECT node_id, boot_id, seq FROM reports WHERE received_ms >= ?1 "
                                       "ORDER BY received_ms, node_id, boot_id, seq");
      if (!seed) return tl::unexpected(seed.error());
      sqlite3_bind_int64(seed->get(), 1, now_ms - backfill.count());
      if (sqlite3_step(seed->get()) != SQLITE_DONE) return tl::unexpected(SqliteError(c, "seed"));
      LogInfo("remote_write: installed its log; {} stored report(s) of the last {} s queued", sqlite3_changes(c),
              backfill.count() / 1000);
    }
    // A new target takes over the furthest-behind cursor of an old one.
    Result<Statement> adopt = Prepare(
        c,
        "INSERT OR IGNORE INTO remote_write_cursor(target, last_id, last_received_ms, last_node_id, last_boot_id, "
        "  last_seq, updated_ms) "
        "SELECT ?1, COALESCE((SELECT MIN(last_id) FROM remote_write_cursor), 0), 0, '', '', 0, ?2");
    if (!adopt) return tl::unexpected(adopt.error());
    sqlite3_bind_text(adopt->get(), 1, target.data(), static_cast<int>(target.size()), SQLITE_STATIC);
    sqlite3_bind_int64(adopt->get(), 2, now_ms);
    if (sqlite3_step(adopt->get()) != SQLITE_DONE) return tl::unexpected(SqliteError(c, "insert cursor"));
    Result<Statement> others = Prepare(c, "DELETE FROM remote_write_cursor WHERE target != ?1");
    if (!others) return tl::unexpected(others.error());
    sqlite3_bind_text(others->get(), 1, target.data(), static_cast<int>(target.size()), SQLITE_STATIC);
    if (sqlite3_step(others->get()) != SQLITE_DONE) return tl::unexpected(SqliteError(c, "delete old cursors"));
    Result<Statement> cursor =
        Prepare(c, "SELECT last_id, inflight_last_id FROM remote_write_cursor WHERE target = ?1");
    if (!cursor) return tl::unexpected(cursor.error());
    sqlite3_bind_text(cursor->get(), 1, target.data(), static_cast<int>(target.size()), SQLITE_STATIC);
    if (sqlite3_step(cursor->get()) != SQLITE_ROW) return tl::unexpected(SqliteError(c, "read cursor"));
    log->cursor_ = sqlite3_column_int64(cursor->get(), 0);
    log->inflight_last_id_ = sqlite3_column_int64(cursor->get(), 1);
    return {};
  });
  if (!installed) return tl::unexpected(installed.error());
  return log;
}

Result<void> RemoteWriteLog::Uninstall(const std::filesystem::path& database) {
  Result<sqlite3*> db = OpenConnection(database);
  if (!db) return tl::unexpected(db.error());
  Result<void> dropped = Transaction(*db, [&]() {
    return Exec(*db,
                "DROP TRIGGER IF EXISTS remote_write_log_insert; DROP TABLE IF EXISTS remote_write_log; "
                "DROP TABLE IF EXISTS remote_write_cursor;");
  });
  sqlite3_close_v2(*db);
  return dropped;
}

Result<std::vector<PendingReport>> RemoteWriteLog::Next(size_t max_reports) {
  Result<Statement> select = Prepare(db_,
                                     "SELECT l.id, l.node_id, l.boot_id, l.seq, r.received_ms, r.body "
                                     "FROM remote_write_log l LEFT JOIN reports r "
                                     "  ON r.node_id = l.node_id AND r.boot_id = l.boot_id AND r.seq = l.seq "
                                     "WHERE l.id > ?1 AND l.id <= ?3 ORDER BY l.id LIMIT ?2");
  if (!select) return tl::unexpected(select.error());
  sqlite3_stmt* s = select->get();
  sqlite3_bind_int64(s, 1, cursor_);
  // A resend takes the whole range it was sent with, even past a max_reports lowered since.
  sqlite3_bind_int64(s, 2, resending() ? -1 : static_cast<sqlite3_int64>(max_reports));
  sqlite3_bind_int64(s, 3, resending() ? inflight_last_id_ : INT64_MAX);
  std::vector<PendingReport> pending;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    PendingReport entry;
    entry.log_id = sqlite3_column_int64(s, 0);
    entry.node_id = reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
    entry.boot_id = reinterpret_cast<const char*>(sqlite3_column_text(s, 2));
    entry.seq = static_cast<uint64_t>(sqlite3_column_int64(s, 3));
    entry.stored = sqlite3_column_type(s, 5) != SQLITE_NULL;
    if (entry.stored) {
      entry.received_ms = sqlite3_column_int64(s, 4);
      // Ingest stored what parsed; a body that no longer does is skipped, not retried forever.
      entry.stored = entry.report.ParseFromArray(sqlite3_column_blob(s, 5), sqlite3_column_bytes(s, 5));
    }
    pending.push_back(std::move(entry));
  }
  // The read transaction ends here (statement reset by finalize): no WAL snapshot is held between calls.
  if (rc != SQLITE_DONE) return tl::unexpected(SqliteError(db_, "select pending"));
  return pending;
}

Result<void> RemoteWriteLog::Advance(const PendingReport& last, int64_t now_ms) {
  Result<void> done = Transaction(db_, [&]() -> Result<void> {
    Result<Statement> update = Prepare(db_,
                                       "UPDATE remote_write_cursor SET last_id = ?2, last_received_ms = ?3, "
                                       "  last_node_id = ?4, last_boot_id = ?5, last_seq = ?6, updated_ms = ?7, "
                                       "  inflight_last_id = 0 "
                                       "WHERE target = ?1");
    if (!update) return tl::unexpected(update.error());
    sqlite3_stmt* s = update->get();
    sqlite3_bind_text(s, 1, target_.data(), static_cast<int>(target_.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, last.log_id);
    sqlite3_bind_int64(s, 3, last.received_ms);
    sqlite3_bind_text(s, 4, last.node_id.data(), static_cast<int>(last.node_id.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 5, last.boot_id.data(), static_cast<int>(last.boot_id.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, static_cast<sqlite3_int64>(last.seq));
    sqlite3_bind_int64(s, 7, now_ms);
    if (sqlite3_step(s) != SQLITE_DONE || sqlite3_changes(db_) != 1) {
      return tl::unexpected(SqliteError(db_, "update cursor"));
    }
    Result<Statement> prune = Prepare(db_, "DELETE FROM remote_write_log WHERE id <= ?1");
    if (!prune) return tl::unexpected(prune.error());
    sqlite3_bind_int64(prune->get(), 1, last.log_id);
    if (sqlite3_step(prune->get()) != SQLITE_DONE) return tl::unexpected(SqliteError(db_, "prune log"));
    return {};
  });
  if (done) {
    cursor_ = last.log_id;
    inflight_last_id_ = 0;
  }
  return done;
}

Result<void> RemoteWriteLog::BeginRequest(int64_t last_log_id) {
  Result<Statement> update = Prepare(db_, "UPDATE remote_write_cursor SET inflight_last_id = ?2 WHERE target = ?1");
  if (!update) return tl::unexpected(update.error());
  sqlite3_stmt* s = update->get();
  sqlite3_bind_text(s, 1, target_.data(), static_cast<int>(target_.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, last_log_id);
  // Committed to the WAL without waiting for the disk: a crash of the
  // process keeps it, a power cut may not (see the header); an fsync of its
  // own would double the disk waits of every request.
  if (auto r = Exec(db_, "PRAGMA synchronous=NORMAL"); !r) return r;
  const bool updated = sqlite3_step(s) == SQLITE_DONE && sqlite3_changes(db_) == 1;
  Error error = updated ? Error{} : SqliteError(db_, "record the request in flight");
  if (auto r = Exec(db_, "PRAGMA synchronous=FULL"); !r) return r;
  if (!updated) return tl::unexpected(std::move(error));
  inflight_last_id_ = last_log_id;
  return {};
}

Result<int64_t> RemoteWriteLog::Backlog() {
  // Ids are handed out one after the other and only entries behind the
  // cursor are deleted: the newest id tells the count without a scan.
  Result<Statement> newest = Prepare(db_, "SELECT MAX(id) FROM remote_write_log");
  if (!newest) return tl::unexpected(newest.error());
  if (sqlite3_step(newest->get()) != SQLITE_ROW) return tl::unexpected(SqliteError(db_, "count backlog"));
  return std::max<int64_t>(0, sqlite3_column_int64(newest->get(), 0) - cursor_);
}

}  // namespace vigie::collector
