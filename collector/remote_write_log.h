// What remote_write still has to send, and how far it got: durable, in the
// collector's own SQLite database, through a connection of its own.
//
//   remote_write_log(id INTEGER PRIMARY KEY AUTOINCREMENT, node_id, boot_id, seq)
//       filled by a trigger on every row inserted into reports
//   remote_write_cursor(target, last_id, last_received_ms, last_node_id, last_boot_id, last_seq, updated_ms,
//                       inflight_last_id)
//       the last log entry the target settled (every sample delivered or
//       refused), and the last entry of the request in flight (0: none)
//
// Why a log and not a cursor on reports.received_ms: SQLite has one writer,
// so log ids are handed out in commit order, and a reader sees a committed
// prefix of them. A cursor on received_ms could step over a report stamped
// before, but committed after, the reports it was sent with, or over every
// report received after the collector's clock stepped back; the log cannot.
// The trigger costs ingest one small insert per stored report, only while
// remote_write is enabled (Uninstall drops it when it is not). Entries
// behind the cursor are deleted when it advances.
//
// Exactly once across restarts: before a request goes out, the range of
// log entries it carries is recorded (BeginRequest); the cursor moves only
// after the receiver's answer, in one transaction with the pruning. After a
// crash in between, Next returns exactly that range again, not the newer
// reports logged since, so the same request is sent again, and a receiver
// that holds it already takes each sample as an exact duplicate (Prometheus
// only within its out-of-order window; see README). The range survives a
// crash of the collector; it is not fsynced on its own, so a power cut
// before the next commit may lose it: the request is then built afresh
// from the cursor, which may add newer reports to it, and nothing is lost
// but what the receiver refuses (remote_writer.h).
//
// Not thread-safe: one writer thread owns it.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "vigie.pb.h"

namespace vigie::collector {

struct PendingReport {
  int64_t log_id = 0;
  std::string node_id;
  std::string boot_id;
  uint64_t seq = 0;
  int64_t received_ms = 0;
  bool stored = false;  // false when history pruning removed the report before it was sent
  v1::Report report;
};

class RemoteWriteLog {
 public:
  // Opens `database` (the collector's; its reports table must exist),
  // installs the log and its trigger if they are missing, and the cursor of
  // `target` (the URL). The first time the log is installed it is seeded
  // with the reports received since now_ms - backfill. A target without a
  // cursor takes over the position of the previous target (a changed URL
  // goes on where the old one stopped), or starts at the log's beginning.
  static Result<std::unique_ptr<RemoteWriteLog>> Open(const std::filesystem::path& database, const std::string& target,
                                                      int64_t now_ms, std::chrono::milliseconds backfill);
  // Drops the trigger, the log and the cursors: for a collector started
  // without [remote_write], so that ingest no longer pays for the log.
  static Result<void> Uninstall(const std::filesystem::path& database);
  ~RemoteWriteLog();
  RemoteWriteLog(const RemoteWriteLog&) = delete;
  RemoteWriteLog& operator=(const RemoteWriteLog&) = delete;

  // Up to `max_reports` entries after the cursor, in log order; when
  // resending(), every entry of the range in flight, and none after it.
  Result<std::vector<PendingReport>> Next(size_t max_reports);
  // Records that a request carrying the entries after the cursor up to
  // `last_log_id` is about to be sent (committed; not fsynced, see above).
  Result<void> BeginRequest(int64_t last_log_id);
  // A request recorded by BeginRequest was not settled (a crash, a stop):
  // Next returns its range.
  bool resending() const { return inflight_last_id_ > cursor_; }
  // Moves the cursor to `last`, clears the range in flight and deletes the
  // log entries behind it. When this returns successfully, the transaction
  // is durably committed.
  Result<void> Advance(const PendingReport& last, int64_t now_ms);
  // Entries after the cursor (the backlog), for logs and /metrics; costs one index lookup.
  Result<int64_t> Backlog();

 private:
  RemoteWriteLog(sqlite3* db, std::string target);
  sqlite3* db_;
  std::string target_;
  int64_t cursor_ = 0;
  int64_t inflight_last_id_ = 0;
};

}  // namespace vigie::collector
