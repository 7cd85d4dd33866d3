// The alerting engine: rules over reports and over silence, the alert
// lifecycle (pending -> firing -> resolved, repeats, escalation), silences
// and acknowledgements, routing to the site's members and the admins, and
// the durable outbox. All state lives in SQLite (alert_db.h): a restart
// neither forgets a firing alert nor sends it again. Finished outbox entries
// are kept 30 days, resolved alerts a year.
//
// Time comes only from the arguments: tests drive hours in milliseconds.
//
// Wiring (collector):
//   AlertingConfig alerting = LoadAlertingConfig(root);  // before root.RejectUnknownKeys()
//   MatrixNotifier matrix(*alerting.matrix);             // each only if configured
//   MailNotifier mail(*alerting.smtp);
//   AlertmanagerNotifier alertmanager(*alerting.alertmanager);
//   auto engine = Engine::Open(alerting, config.database, {&matrix, &mail, &alertmanager});
//
// Nodes are known from their first report (kept in SQLite); a configured node
// that never reported raises no offline alert. A node's offline alert fires
// offline_after + group_window after its last report; when every known node
// of a site (two or more) is silent, one site alert stands in for theirs. When
// some of them come back, an update says which are still silent only once that
// has lasted group_window: machines back within it make only the resolved message.
//
// The collector calls:
//   OnReport(node, site, report, received_ms)  for every newly stored report, in order
//                                              (or OnReports for several at once);
//                                              it looks at that node's alerts, its
//                                              site's own (site offline), the
//                                              collector's and, when one of the node's
//                                              reboots is due, the site's pending
//                                              reboots; the rest of the fleet is
//                                              Tick's, so that its cost grows neither
//                                              with the fleet nor with the site;
//   Tick(now_ms)                               every few seconds, from one thread.
// When a known node was last heard is written by the next Tick (or the
// destructor), not by the report: after a crash, a node's offline alert may
// count from a report up to one tick older than its last.
// Tick delivers due outbox entries through the notifiers without holding the
// engine's lock, so it may block for the notifiers' timeouts (keep it on its
// own thread); everything else is quick. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <utility>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alerting/alert.h"
#include "alerting/alert_db.h"
#include "alerting/alerting_config.h"
#include "alerting/message.h"
#include "alerting/notifier.h"
#include "common/result.h"
#include "vigie.pb.h"

namespace vigie::alerting {

struct Notifiers {
  Notifier* matrix = nullptr;     // null: Matrix targets are not used
  Notifier* email = nullptr;      // null: e-mail targets are not used
  AlertSink* alertmanager = nullptr;
};

// A newly stored report as the collector hands it over; the pointers only
// need to live for the call.
struct ReportArrival {
  const std::string* node_id;
  const std::string* site;
  const v1::Report* report;
  int64_t received_ms;
  // The node's clock minus the collector's, measured on a fresh push (its
  // newest report, made just before it was sent); nullopt for a report of a
  // backlog, which says nothing of the clock (rules.h RuleInput).
  std::optional<int64_t> clock_skew_ms = std::nullopt;
};

class Engine {
 public:
  // Opens (creates) the tables in `database`. The notifiers must outlive the engine.
  static Result<std::unique_ptr<Engine>> Open(AlertingConfig config, const std::filesystem::path& database,
                                              Notifiers notifiers);
  // Writes when the nodes were last heard (see Tick).
  ~Engine();

  void OnReport(const std::string& node_id, const std::string& site, const v1::Report& report, int64_t received_ms,
                std::optional<int64_t> clock_skew_ms = std::nullopt);
  // OnReport for each, in order, in one transaction (one fsync for all: the
  // collector's group commit hands over the reports of one commit at once).
  void OnReports(std::span<const ReportArrival> arrivals);
  void Tick(int64_t now_ms);

  // Stops repeats and escalation of a firing alert. kNotFound for an unknown or resolved id.
  Result<Alert> Acknowledge(int64_t alert_id, const std::string& by, int64_t now_ms);
  // A silence suppresses messages for matching alerts until silence.until_ms.
  Result<int64_t> AddSilence(Silence silence);
  Result<bool> RemoveSilence(int64_t id);
  Result<std::vector<Silence>> ListSilences(int64_t now_ms);
  Result<std::vector<Alert>> ListAlerts(bool include_resolved, int limit = 200);
  // Queues a test message to every channel of the members of `site` (for
  // `vigiectl test-alert --site`); delivered by the next Ticks like any other.
  // kNotFound for a site that is not configured or has no members.
  Result<void> SendTestMessage(const std::string& site, int64_t now_ms);
  Result<std::vector<OutboxEntry>> ListOutbox(int limit = 200);
  // How many reads and writes of the engine's SQLite tables failed since it
  // opened (each is also logged with its reason). Lock-free.
  uint64_t DatabaseErrors() const { return database_errors_.load(std::memory_order_relaxed); }

 private:
  struct Pacer {  // a token bucket over the injected clock
    double tokens = 0;
    int64_t refill_ms = 0;
    int64_t blocked_until_ms = 0;  // a 429's Retry-After
    int64_t failing_since_ms = 0;  // first failure since the last success
  };

  Engine(AlertingConfig config, std::unique_ptr<AlertDb> db, Notifiers notifiers);

  // Counts and logs a failed database call; `what` completes "cannot ...".
  void DatabaseError(std::string_view what, const Error& error);
  bool Begin();  // false (counted, logged) when no transaction could start

  // All of these run under mutex_.
  void Evaluate(const ReportArrival& arrival);
  void Raise(const Finding& finding, int64_t now_ms, int64_t started_ms);
  void Clear(Alert& alert, int64_t now_ms);
  // Removes an alert from active_, keys_by_site_ and keys_by_node_.
  void Forget(const AlertKey& key);
  // The whole fleet, or (only_node not null, a node just heard) that node's
  // alerts, its site's own, the collector's own (site "") and, when one of
  // the node's reboots is due, its site's pending reboots.
  void Advance(int64_t now_ms, const NodeSeen* only_node = nullptr);
  void DetectOffline(int64_t now_ms, const NodeSeen* only_node);
  void CheckChannels(int64_t now_ms);
  bool Suppressed(const Alert& alert, int64_t now_ms) const;
  void Emit(const Alert& alert, EventKind kind, int64_t now_ms);
  void Flush(int64_t now_ms);
  // Writes the last_seen_ms of unsaved_seen_'s nodes.
  void SaveSeen();
  void Save(Alert& alert);
  void EnqueueAdminNotice(const std::string& rule, const std::string& subject, const std::string& summary,
                          int64_t now_ms);
  void Deliver(int64_t now_ms);
  void SyncAlertmanager(int64_t now_ms);
  Notifier* NotifierFor(Channel channel) const;

  const AlertingConfig config_;
  std::unique_ptr<AlertDb> db_;
  const Notifiers notifiers_;
  std::mutex mutex_;
  std::atomic<uint64_t> database_errors_{0};
  std::mutex deliver_mutex_;  // one Tick delivers at a time
  std::map<AlertKey, Alert> active_;
  std::map<std::string, std::set<AlertKey>> keys_by_site_;  // site -> the keys of its active_ alerts
  // (site, node) -> the keys of its active_ alerts; node "" for the site's
  // own, site "" for the collector's.
  std::map<std::pair<std::string, std::string>, std::set<AlertKey>> keys_by_node_;
  std::map<std::string, NodeSeen> nodes_;
  std::set<std::string> unsaved_seen_;  // nodes_ whose last_seen_ms is newer than their row's
  std::map<std::string, std::set<std::string>> site_nodes_;  // site -> the ids of its nodes_
  struct NodeCounters {
    Counters counters;
    int64_t expired_ms = 0;  // when ExpireCounters last ran over them
  };
  std::map<std::string, NodeCounters> counters_;
  std::vector<AlertEvent> events_;     // emitted, not yet in the outbox
  std::vector<Silence> silences_;      // cached; reloaded on change
  std::map<Channel, Pacer> pacers_;
  int64_t last_alertmanager_sync_ms_ = 0;
  int64_t last_prune_ms_ = 0;
  std::vector<AlertmanagerAlert> recently_resolved_;
  // Site -> since when some, not all, of its silent machines are back (not
  // persisted: a restart only starts that wait again).
  std::map<std::string, int64_t> partial_since_ms_;
};

}  // namespace vigie::alerting
