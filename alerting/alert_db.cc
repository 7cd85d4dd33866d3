#include "alerting/alert_db.h"

#include <fmt/format.h>

namespace vigie::alerting {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS alert_nodes (
  node_id TEXT PRIMARY KEY, site TEXT NOT NULL, last_seen_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rule TEXT NOT NULL, site TEXT NOT NULL, node TEXT NOT NULL, subject TEXT NOT NULL,
  severity INTEGER NOT NULL, state INTEGER NOT NULL,
  summary TEXT NOT NULL, advice TEXT NOT NULL, fingerprint TEXT NOT NULL, one_shot INTEGER NOT NULL,
  started_ms INTEGER NOT NULL, fired_ms INTEGER NOT NULL, resolved_ms INTEGER NOT NULL,
  pending_ms INTEGER NOT NULL, last_notified_ms INTEGER NOT NULL, notified INTEGER NOT NULL,
  escalated INTEGER NOT NULL, acked_by TEXT NOT NULL, acked_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_active ON alerts(state) WHERE state != 2;
CREATE TABLE IF NOT EXISTS silences (
  id INTEGER PRIMARY KEY AUTOINCREMENT, rule TEXT NOT NULL, site TEXT NOT NULL, node TEXT NOT NULL,
  until_ms INTEGER NOT NULL, reason TEXT NOT NULL, created_by TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS counters (
  node_id TEXT NOT NULL, key TEXT NOT NULL, first_value INTEGER NOT NULL, first_ms INTEGER NOT NULL,
  value INTEGER NOT NULL, value_ms INTEGER NOT NULL, last_rise_ms INTEGER NOT NULL,
  rise_from INTEGER NOT NULL, rise_from_ms INTEGER NOT NULL, seen_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (node_id, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, channel INTEGER NOT NULL, target TEXT NOT NULL,
  subject TEXT NOT NULL, text TEXT NOT NULL, html TEXT NOT NULL, message_id TEXT NOT NULL,
  refs TEXT NOT NULL, to_admins INTEGER NOT NULL, created_ms INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL, attempts INTEGER NOT NULL, state INTEGER NOT NULL,
  last_error TEXT NOT NULL, done_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(next_attempt_ms) WHERE state = 0;
CREATE TABLE IF NOT EXISTS matrix_dm (user_id TEXT PRIMARY KEY, room_id TEXT NOT NULL);
)sql";

struct StatementDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

Error SqliteError(sqlite3* db, std::string_view what) {
  const int code = sqlite3_errcode(db);
  const ErrorCode error_code =
      (code == SQLITE_FULL || code == SQLITE_BUSY || code == SQLITE_LOCKED) ? ErrorCode::kUnavailable : ErrorCode::kIo;
  return Error{error_code, fmt::format("{}: {}", what, sqlite3_errmsg(db))};
}

Result<Statement> Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) return tl::unexpected(SqliteError(db, "prepare"));
  return Statement(s);
}

// Binds parameters 1..n in order.
class Binder {
 public:
  explicit Binder(sqlite3_stmt* s) : s_(s) {}
  Binder& operator()(const std::string& v) {
    sqlite3_bind_text(s_, ++i_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Binder& operator()(int64_t v) {
    sqlite3_bind_int64(s_, ++i_, v);
    return *this;
  }

 private:
  sqlite3_stmt* s_;
  int i_ = 0;
};

std::string Text(sqlite3_stmt* s, int column) {
  const unsigned char* text = sqlite3_column_text(s, column);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text));
}

Result<void> StepDone(sqlite3* db, sqlite3_stmt* s, std::string_view what) {
  if (sqlite3_step(s) != SQLITE_DONE) return tl::unexpected(SqliteError(db, what));
  return {};
}

constexpr const char* kAlertColumns =
    "id, rule, site, node, subject, severity, state, summary, advice, fingerprint, one_shot, started_ms, "
    "fired_ms, resolved_ms, pending_ms, last_notified_ms, notified, escalated, acked_by, acked_ms";

Alert ReadAlert(sqlite3_stmt* s) {
  Alert a;
  a.id = sqlite3_column_int64(s, 0);
  a.key = AlertKey{Text(s, 1), Text(s, 2), Text(s, 3), Text(s, 4)};
  a.severity = static_cast<Severity>(sqlite3_column_int(s, 5));
  a.state = static_cast<AlertState>(sqlite3_column_int(s, 6));
  a.summary = Text(s, 7);
  a.advice = Text(s, 8);
  a.fingerprint = Text(s, 9);
  a.one_shot = sqlite3_column_int(s, 10) != 0;
  a.started_ms = sqlite3_column_int64(s, 11);
  a.fired_ms = sqlite3_column_int64(s, 12);
  a.resolved_ms = sqlite3_column_int64(s, 13);
  a.pending_ms = sqlite3_column_int64(s, 14);
  a.last_notified_ms = sqlite3_column_int64(s, 15);
  a.notified = sqlite3_column_int(s, 16) != 0;
  a.escalated = sqlite3_column_int(s, 17) != 0;
  a.acked_by = Text(s, 18);
  a.acked_ms = sqlite3_column_int64(s, 19);
  return a;
}

constexpr const char* kOutboxColumns =
    "id, channel, target, subject, text, html, message_id, refs, to_admins, created_ms, next_attempt_ms, "
    "attempts, state, last_error, done_ms";

OutboxEntry ReadEntry(sqlite3_stmt* s) {
  OutboxEntry e;
  e.id = sqlite3_column_int64(s, 0);
  e.channel = static_cast<Channel>(sqlite3_column_int(s, 1));
  e.target = Text(s, 2);
  e.subject = Text(s, 3);
  e.text = Text(s, 4);
  e.html = Text(s, 5);
  e.message_id = Text(s, 6);
  e.references = Text(s, 7);
  e.to_admins = sqlite3_column_int(s, 8) != 0;
  e.created_ms = sqlite3_column_int64(s, 9);
  e.next_attempt_ms = sqlite3_column_int64(s, 10);
  e.attempts = sqlite3_column_int(s, 11);
  e.state = static_cast<OutboxState>(sqlite3_column_int(s, 12));
  e.last_error = Text(s, 13);
  e.done_ms = sqlite3_column_int64(s, 14);
  return e;
}

}  // namespace

bool Silence::Matches(const AlertKey& key) const {
  return (rule.empty() || rule == key.rule) && (site.empty() || site == key.site) &&
         (node.empty() || node == key.node);
}

std::string_view ChannelName(Channel channel) { return channel == Channel::kMatrix ? "matrix" : "email"; }

std::string OutboxEntry::TxnId() const { return fmt::format("vigie.{}.{}", created_ms, id); }

AlertDb::~AlertDb() {
  sqlite3_finalize(save_node_);
  sqlite3_finalize(save_counter_);
  sqlite3_close_v2(db_);
}

Result<sqlite3_stmt*> AlertDb::Reused(sqlite3_stmt*& cached, const char* sql) {
  if (cached == nullptr) {
    Result<Statement> prepared = Prepare(db_, sql);
    if (!prepared) return tl::unexpected(prepared.error());
    cached = prepared->release();
  }
  sqlite3_reset(cached);
  sqlite3_clear_bindings(cached);
  return cached;
}

Result<void> AlertDb::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    Error error{ErrorCode::kIo, message != nullptr ? message : "sqlite3_exec failed"};
    sqlite3_free(message);
    return tl::unexpected(error);
  }
  return {};
}

Result<std::unique_ptr<AlertDb>> AlertDb::Open(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::unique_ptr<AlertDb> store(new AlertDb(db));  // owns db even when open failed
  if (rc != SQLITE_OK) {
    return Fail(ErrorCode::kIo, fmt::format("cannot open {}: {}", path.string(), sqlite3_errmsg(db)));
  }
  sqlite3_busy_timeout(db, 5000);
  // As the collector's store: a committed transaction survives a power cut.
  // The database file is the collector's: its store checkpoints the WAL in
  // the background. SQLite's automatic checkpoint (default every 1000
  // pages) would run inside this connection's COMMIT, which the collector
  // makes on its ingest path; 20000 pages (~80 MiB) is only the fallback.
  if (auto r = store->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=20000;"); !r) {
    return tl::unexpected(r.error());
  }
  if (auto r = store->Exec(kSchema); !r) return tl::unexpected(r.error());
  // Databases made before counters.seen_ms: their rows count as seen when next loaded (rules.h).
  auto columns = Prepare(db, "SELECT 1 FROM pragma_table_info('counters') WHERE name = 'seen_ms'");
  if (!columns) return tl::unexpected(columns.error());
  const bool has_seen_ms = sqlite3_step(columns->get()) == SQLITE_ROW;
  columns->reset();
  if (!has_seen_ms) {
    if (auto r = store->Exec("ALTER TABLE counters ADD COLUMN seen_ms INTEGER NOT NULL DEFAULT 0"); !r) {
      return tl::unexpected(r.error());
    }
  }
  return store;
}

Result<void> AlertDb::Begin() { return Exec("BEGIN IMMEDIATE"); }
Result<void> AlertDb::Commit() { return Exec("COMMIT"); }
void AlertDb::Rollback() { (void)Exec("ROLLBACK"); }

Result<void> AlertDb::SaveNode(const NodeSeen& node) {
  auto s = Reused(save_node_, "INSERT INTO alert_nodes(node_id, site, last_seen_ms) VALUES (?1, ?2, ?3) "
                              "ON CONFLICT(node_id) DO UPDATE SET site = ?2, last_seen_ms = MAX(last_seen_ms, ?3)");
  if (!s) return tl::unexpected(s.error());
  sqlite3_stmt* statement = *s;
  Binder{statement}(node.node_id)(node.site)(node.last_seen_ms);
  return StepDone(db_, statement, "save node");
}

Result<std::vector<NodeSeen>> AlertDb::LoadNodes() {
  auto s = Prepare(db_, "SELECT node_id, site, last_seen_ms FROM alert_nodes ORDER BY node_id");
  if (!s) return tl::unexpected(s.error());
  std::vector<NodeSeen> nodes;
  while (sqlite3_step(s->get()) == SQLITE_ROW) {
    nodes.push_back(NodeSeen{Text(s->get(), 0), Text(s->get(), 1), sqlite3_column_int64(s->get(), 2)});
  }
  return nodes;
}

Result<void> AlertDb::SaveAlert(Alert& a) {
  const bool insert = a.id == 0;
  const std::string sql =
      insert ? fmt::format("INSERT INTO alerts({}) VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                           "?13, ?14, ?15, ?16, ?17, ?18, ?19)",
                           kAlertColumns)
             : "UPDATE alerts SET rule=?1, site=?2, node=?3, subject=?4, severity=?5, state=?6, summary=?7, "
               "advice=?8, fingerprint=?9, one_shot=?10, started_ms=?11, fired_ms=?12, resolved_ms=?13, "
               "pending_ms=?14, last_notified_ms=?15, notified=?16, escalated=?17, acked_by=?18, acked_ms=?19 "
               "WHERE id=?20";
  auto s = Prepare(db_, sql.c_str());
  if (!s) return tl::unexpected(s.error());
  Binder b(s->get());
  b(a.key.rule)(a.key.site)(a.key.node)(a.key.subject)(static_cast<int64_t>(a.severity))(
      static_cast<int64_t>(a.state))(a.summary)(a.advice)(a.fingerprint)(int64_t{a.one_shot})(a.started_ms)(
      a.fired_ms)(a.resolved_ms)(a.pending_ms)(a.last_notified_ms)(int64_t{a.notified})(int64_t{a.escalated})(
      a.acked_by)(a.acked_ms);
  if (!insert) b(a.id);
  if (auto r = StepDone(db_, s->get(), "save alert"); !r) return r;
  if (insert) a.id = sqlite3_last_insert_rowid(db_);
  return {};
}

Result<std::vector<Alert>> AlertDb::QueryAlerts(const char* sql, int64_t bind1, bool bind) {
  auto s = Prepare(db_, sql);
  if (!s) return tl::unexpected(s.error());
  if (bind) sqlite3_bind_int64(s->get(), 1, bind1);
  std::vector<Alert> alerts;
  int rc;
  while ((rc = sqlite3_step(s->get())) == SQLITE_ROW) alerts.push_back(ReadAlert(s->get()));
  if (rc != SQLITE_DONE) return tl::unexpected(SqliteError(db_, "query alerts"));
  return alerts;
}

Result<std::vector<Alert>> AlertDb::LoadActiveAlerts() {
  const std::string sql = fmt::format("SELECT {} FROM alerts WHERE state != 2 ORDER BY id", kAlertColumns);
  return QueryAlerts(sql.c_str(), 0, false);
}

Result<std::vector<Alert>> AlertDb::ListAlerts(bool include_resolved, int limit) {
  const std::string sql = fmt::format("SELECT {} FROM alerts {} ORDER BY id DESC LIMIT ?1", kAlertColumns,
                                      include_resolved ? "" : "WHERE state != 2");
  return QueryAlerts(sql.c_str(), limit, true);
}

Result<std::optional<Alert>> AlertDb::FindAlert(int64_t id) {
  const std::string sql = fmt::format("SELECT {} FROM alerts WHERE id = ?1", kAlertColumns);
  auto alerts = QueryAlerts(sql.c_str(), id, true);
  if (!alerts) return tl::unexpected(alerts.error());
  if (alerts->empty()) return std::optional<Alert>();
  return std::optional<Alert>(alerts->front());
}

Result<int64_t> AlertDb::AddSilence(const Silence& x) {
  auto s = Prepare(db_, "INSERT INTO silences(rule, site, node, until_ms, reason, created_by, created_ms) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!s) return tl::unexpected(s.error());
  Binder(s->get())(x.rule)(x.site)(x.node)(x.until_ms)(x.reason)(x.created_by)(x.created_ms);
  if (auto r = StepDone(db_, s->get(), "add silence"); !r) return tl::unexpected(r.error());
  return sqlite3_last_insert_rowid(db_);
}

Result<bool> AlertDb::RemoveSilence(int64_t id) {
  auto s = Prepare(db_, "DELETE FROM silences WHERE id = ?1");
  if (!s) return tl::unexpected(s.error());
  Binder(s->get())(id);
  if (auto r = StepDone(db_, s->get(), "remove silence"); !r) return tl::unexpected(r.error());
  return sqlite3_changes(db_) == 1;
}

Result<std::vector<Silence>> AlertDb::ListSilences(int64_t now_ms) {
  auto s = Prepare(db_, "SELECT id, rule, site, node, until_ms, reason, created_by, created_ms FROM silences "
                        "WHERE until_ms > ?1 ORDER BY id");
  if (!s) return tl::unexpected(s.error());
  Binder(s->get())(now_ms);
  std::vector<Silence> out;
  while (sqlite3_step(s->get()) == SQLITE_ROW) {
    sqlite3_stmt* r = s->get();
    out.push_back(Silence{sqlite3_column_int64(r, 0), Text(r, 1), Text(r, 2), Text(r, 3), sqlite3_column_int64(r, 4),
                          Text(r, 5), Text(r, 6), sqlite3_column_int64(r, 7)});
  }
  return out;
}

Result<Counters> AlertDb::LoadCounters(const std::string& node_id) {
  auto s = Prepare(db_, "SELECT key, first_value, first_ms, value, value_ms, last_rise_ms, rise_from, rise_from_ms, "
                        "seen_ms FROM counters WHERE node_id = ?1");
  if (!s) return tl::unexpected(s.error());
  Binder(s->get())(node_id);
  Counters counters;
  while (sqlite3_step(s->get()) == SQLITE_ROW) {
    sqlite3_stmt* r = s->get();
    counters[Text(r, 0)] = Counter{sqlite3_column_int64(r, 1), sqlite3_column_int64(r, 2), sqlite3_column_int64(r, 3),
                                   sqlite3_column_int64(r, 4), sqlite3_column_int64(r, 5), sqlite3_column_int64(r, 6),
                                   sqlite3_column_int64(r, 7), sqlite3_column_int64(r, 8)};
  }
  return counters;
}

Result<void> AlertDb::SaveCounters(const std::string& node_id, const Counters& counters) {
  auto s = Reused(save_counter_, "INSERT OR REPLACE INTO counters(node_id, key, first_value, first_ms, value, "
                                 "value_ms, last_rise_ms, rise_from, rise_from_ms, seen_ms) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  if (!s) return tl::unexpected(s.error());
  sqlite3_stmt* statement = *s;
  for (const auto& [key, c] : counters) {
    sqlite3_reset(statement);
    Binder{statement}(node_id)(key)(c.first_value)(c.first_ms)(c.value)(c.value_ms)(c.last_rise_ms)(c.rise_from)(
        c.rise_from_ms)(c.seen_ms);
    if (auto r = StepDone(db_, statement, "save counter"); !r) return r;
  }
  return {};
}

Result<void> AlertDb::DeleteCounters(const std::string& node_id, const std::vector<std::string>& keys) {
  auto s = Prepare(db_, "DELETE FROM counters WHERE node_id = ?1 AND key = ?2");
  if (!s) return tl::unexpected(s.error());
  for (const std::string& key : keys) {
    sqlite3_reset(s->get());
    Binder{s->get()}(node_id)(key);
    if (auto r = StepDone(db_, s->get(), "delete counter"); !r) return r;
  }
  return {};
}

Result<void> AlertDb::Enqueue(OutboxEntry& e) {
  auto s = Prepare(db_, "INSERT INTO outbox(channel, target, subject, text, html, message_id, refs, to_admins, "
                        "created_ms, next_attempt_ms, attempts, state, last_error, done_ms) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  if (!s) return tl::unexpected(s.error());
  Binder(s->get())(static_cast<int64_t>(e.channel))(e.target)(e.subject)(e.text)(e.html)(e.message_id)(
      e.references)(int64_t{e.to_admins})(e.created_ms)(e.next_attempt_ms)(int64_t{e.attempts})(
      static_cast<int64_t>(e.state))(e.last_error)(e.done_ms);
  if (auto r = StepDone(db_, s->get(), "enqueue"); !r) return r;
  e.id = sqlite3_last_insert_rowid(db_);
  return {};
}

Result<void> AlertDb::UpdateEntry(const OutboxEntry& e) {
  auto s = Prepare(db_, "UPDATE outbox SET next_attempt_ms=?1, attempts=?2, state=?3, last_error=?4, done_ms=?5, "
                        "target=?6 WHERE id=?7");
  if (!s) return tl::unexpected(s.error());
  Binder(s->get())(e.next_attempt_ms)(int64_t{e.attempts})(static_cast<int64_t>(e.state))(e.last_error)(e.done_ms)(
      e.target)(e.id);
  return StepDone(db_, s->get(), "update outbox");
}

Result<std::vector<OutboxEntry>> AlertDb::QueryOutbox(const char* sql, int64_t bind1, int64_t bind2) {
  auto s = Prepare(db_, sql);
  if (!s) return tl::unexpected(s.error());
  Binder(s->get())(bind1)(bind2);
  std::vector<OutboxEntry> out;
  int rc;
  while ((rc = sqlite3_step(s->get())) == SQLITE_ROW) out.push_back(ReadEntry(s->get()));
  if (rc != SQLITE_DONE) return tl::unexpected(SqliteError(db_, "query outbox"));
  return out;
}

Result<std::vector<OutboxEntry>> AlertDb::DueEntries(int64_t now_ms, int limit) {
  const std::string sql = fmt::format(
      "SELECT {} FROM outbox WHERE state = 0 AND next_attempt_ms <= ?1 ORDER BY id LIMIT ?2", kOutboxColumns);
  return QueryOutbox(sql.c_str(), now_ms, limit);
}

Result<std::vector<OutboxEntry>> AlertDb::ListOutbox(int limit) {
  const std::string sql =
      fmt::format("SELECT {} FROM outbox WHERE ?1 = ?1 ORDER BY id DESC LIMIT ?2", kOutboxColumns);
  return QueryOutbox(sql.c_str(), 0, limit);
}

Result<void> AlertDb::Prune(int64_t outbox_before_ms, int64_t alerts_before_ms) {
  auto outbox = Prepare(db_, "DELETE FROM outbox WHERE state != 0 AND done_ms < ?1");
  if (!outbox) return tl::unexpected(outbox.error());
  Binder(outbox->get())(outbox_before_ms);
  if (auto r = StepDone(db_, outbox->get(), "prune outbox"); !r) return r;
  auto alerts = Prepare(db_, "DELETE FROM alerts WHERE state = 2 AND resolved_ms < ?1");
  if (!alerts) return tl::unexpected(alerts.error());
  Binder(alerts->get())(alerts_before_ms);
  return StepDone(db_, alerts->get(), "prune alerts");
}

Result<std::optional<std::string>> AlertDb::DmRoom(const std::string& user_id) {
  auto s = Prepare(db_, "SELECT room_id FROM matrix_dm WHERE user_id = ?1");
  if (!s) return tl::unexpected(s.error());
  Binder(s->get())(user_id);
  if (sqlite3_step(s->get()) == SQLITE_ROW) return std::optional<std::string>(Text(s->get(), 0));
  return std::optional<std::string>();
}

Result<void> AlertDb::SaveDmRoom(const std::string& user_id, const std::string& room_id) {
  auto s = Prepare(db_, "INSERT OR REPLACE INTO matrix_dm(user_id, room_id) VALUES (?1, ?2)");
  if (!s) return tl::unexpected(s.error());
  Binder(s->get())(user_id)(room_id);
  return StepDone(db_, s->get(), "save dm room");
}

}  // namespace vigie::alerting
