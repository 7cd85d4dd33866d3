// The alerting engine's SQLite tables, in its own connection (WAL: it may
// share the collector's database file).
//
//   alert_nodes(node_id, site, last_seen_ms)          who reported, and when
//   alerts(id, rule, site, node, subject, ...)        every alert, active or resolved
//   silences(id, rule, site, node, until_ms, reason)  empty matcher: any
//   counters(node_id, key, ...)                       SMART baselines (rules.h Counter)
//   outbox(id, channel, target, ..., state)           the durable outbox
//   matrix_dm(user_id, room_id)                       direct rooms created for users
//
// Not thread-safe: the engine serializes calls. Errors are Results.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alerting/alert.h"
#include "alerting/outbox_entry.h"
#include "alerting/rules.h"
#include "common/result.h"

namespace vigie::alerting {

struct NodeSeen {
  std::string node_id;
  std::string site;
  int64_t last_seen_ms = 0;
};

struct Silence {
  int64_t id = 0;
  // Each empty field matches anything.
  std::string rule;
  std::string site;
  std::string node;
  int64_t until_ms = 0;
  std::string reason;
  std::string created_by;
  int64_t created_ms = 0;

  bool Matches(const AlertKey& key) const;
};

class AlertDb {
 public:
  static Result<std::unique_ptr<AlertDb>> Open(const std::filesystem::path& path);
  ~AlertDb();

  // One transaction (one fsync) for a batch of writes.
  Result<void> Begin();
  Result<void> Commit();
  void Rollback();
  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

  Result<void> SaveNode(const NodeSeen& node);
  Result<std::vector<NodeSeen>> LoadNodes();

  // Inserts (id == 0: sets alert.id) or updates.
  Result<void> SaveAlert(Alert& alert);
  Result<std::vector<Alert>> LoadActiveAlerts();
  // Newest first; resolved ones too when `include_resolved`.
  Result<std::vector<Alert>> ListAlerts(bool include_resolved, int limit);
  Result<std::optional<Alert>> FindAlert(int64_t id);

  Result<int64_t> AddSilence(const Silence& silence);
  Result<bool> RemoveSilence(int64_t id);
  // Those still in force at `now_ms`.
  Result<std::vector<Silence>> ListSilences(int64_t now_ms);

  Result<Counters> LoadCounters(const std::string& node_id);
  Result<void> SaveCounters(const std::string& node_id, const Counters& counters);
  Result<void> DeleteCounters(const std::string& node_id, const std::vector<std::string>& keys);

  // Sets entry.id.
  Result<void> Enqueue(OutboxEntry& entry);
  // Saves target (a resolved direct room), next_attempt_ms, attempts, state, last_error, done_ms.
  Result<void> UpdateEntry(const OutboxEntry& entry);
  // Queued entries with next_attempt_ms <= now_ms, oldest first.
  Result<std::vector<OutboxEntry>> DueEntries(int64_t now_ms, int limit);
  Result<std::vector<OutboxEntry>> ListOutbox(int limit);

  // Bounded storage: deletes outbox entries finished before `outbox_before_ms`
  // and alerts resolved before `alerts_before_ms`.
  Result<void> Prune(int64_t outbox_before_ms, int64_t alerts_before_ms);

  Result<std::optional<std::string>> DmRoom(const std::string& user_id);
  Result<void> SaveDmRoom(const std::string& user_id, const std::string& room_id);

 private:
  explicit AlertDb(sqlite3* db) : db_(db) {}
  Result<void> Exec(const char* sql);
  Result<std::vector<Alert>> QueryAlerts(const char* sql, int64_t bind1, bool bind);
  Result<std::vector<OutboxEntry>> QueryOutbox(const char* sql, int64_t bind1, int64_t bind2);

  // `cached`, prepared on first use, reset and unbound: the statements of
  // every report (SaveNode, SaveCounters) are compiled once, not per call.
  Result<sqlite3_stmt*> Reused(sqlite3_stmt*& cached, const char* sql);

  sqlite3* db_;
  sqlite3_stmt* save_node_ = nullptr;     // owned; finalized by the destructor
  sqlite3_stmt* save_counter_ = nullptr;  // owned; finalized by the destructor
};

}  // namespace vigie::alerting
