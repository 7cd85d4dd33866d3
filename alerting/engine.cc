#include "alerting/engine.h"

#include <algorithm>

#include <fmt/format.h>

#include "alerting/router.h"
#include "common/log.h"

namespace vigie::alerting {
namespace {

constexpr int64_t kAlertmanagerSyncMs = 60'000;
// Alertmanager resolves an alert whose endsAt passed: a firing alert is
// announced as ending a few sync periods ahead, and renewed every sync.
constexpr int64_t kAlertmanagerHorizonMs = 5 * kAlertmanagerSyncMs;
constexpr int kDeliveriesPerTick = 50;
// What is kept of finished work: a month of the outbox, a year of resolved alerts.
constexpr int64_t kPruneEveryMs = 3'600'000;
constexpr int64_t kKeepOutboxMs = 30LL * 86'400'000;
constexpr int64_t kKeepResolvedAlertsMs = 366LL * 86'400'000;

// The delay before attempt `attempts` + 1: outbox_retry_initial, doubling, capped at outbox_retry_max.
int64_t Backoff(const AlertingConfig& config, int attempts) {
  const int shift = std::clamp(attempts - 1, 0, 20);
  return std::min<int64_t>(config.outbox_retry_initial.count() << shift, config.outbox_retry_max.count());
}

std::string MailDomain(const AlertingConfig& config) {
  if (config.smtp) {
    const size_t at = config.smtp->from.rfind('@');
    if (at != std::string::npos) {
      std::string domain = config.smtp->from.substr(at + 1);
      while (!domain.empty() && domain.back() == '>') domain.pop_back();
      if (!domain.empty()) return domain;
    }
  }
  return "vigie.invalid";
}

}  // namespace

std::string_view SeverityName(Severity severity) {
  return severity == Severity::kCritical ? "critical" : "warning";
}

std::string_view AlertStateName(AlertState state) {
  switch (state) {
    case AlertState::kPending: return "pending";
    case AlertState::kFiring: return "firing";
    case AlertState::kResolved: return "resolved";
  }
  return "pending";
}

Engine::Engine(AlertingConfig config, std::unique_ptr<AlertDb> db, Notifiers notifiers)
    : config_(std::move(config)), db_(std::move(db)), notifiers_(notifiers) {
  if (config_.matrix) pacers_[Channel::kMatrix].tokens = config_.matrix->burst;
}

Result<std::unique_ptr<Engine>> Engine::Open(AlertingConfig config, const std::filesystem::path& database,
                                             Notifiers notifiers) {
  auto db = AlertDb::Open(database);
  if (!db) return tl::unexpected(db.error());
  std::unique_ptr<Engine> engine(new Engine(std::move(config), std::move(*db), notifiers));
  auto nodes = engine->db_->LoadNodes();
  if (!nodes) return tl::unexpected(nodes.error());
  for (NodeSeen& node : *nodes) {
    engine->site_nodes_[node.site].insert(node.node_id);
    engine->nodes_[node.node_id] = std::move(node);
  }
  auto alerts = engine->db_->LoadActiveAlerts();
  if (!alerts) return tl::unexpected(alerts.error());
  for (Alert& alert : *alerts) {
    engine->keys_by_site_[alert.key.site].insert(alert.key);
    engine->keys_by_node_[{alert.key.site, alert.key.node}].insert(alert.key);
    engine->active_[alert.key] = std::move(alert);
  }
  auto silences = engine->db_->ListSilences(0);
  if (!silences) return tl::unexpected(silences.error());
  engine->silences_ = std::move(*silences);
  return engine;
}

void Engine::DatabaseError(std::string_view what, const Error& error) {
  database_errors_.fetch_add(1, std::memory_order_relaxed);
  LogError("alerting: cannot {}: {}", what, error.message);
}

bool Engine::Begin() {
  auto r = db_->Begin();
  if (!r) DatabaseError("begin a transaction (each write then commits alone)", r.error());
  return r.has_value();
}

void Engine::Save(Alert& alert) {
  if (auto r = db_->SaveAlert(alert); !r) DatabaseError(fmt::format("save alert {}", Title(alert)), r.error());
}

void Engine::OnReport(const std::string& node_id, const std::string& site, const v1::Report& report,
                      int64_t received_ms, std::optional<int64_t> clock_skew_ms) {
  const ReportArrival arrival{&node_id, &site, &report, received_ms, clock_skew_ms};
  OnReports(std::span<const ReportArrival>(&arrival, 1));
}

void Engine::OnReports(std::span<const ReportArrival> arrivals) {
  std::lock_guard lock(mutex_);
  // One transaction for all: one fsync, and the reports' effects are all or nothing.
  const bool began = Begin();
  for (const ReportArrival& arrival : arrivals) {
    Evaluate(arrival);
  }
  if (began) {
    if (auto r = db_->Commit(); !r) DatabaseError("commit", r.error());
  }
}

void Engine::Evaluate(const ReportArrival& arrival) {
  const std::string& node_id = *arrival.node_id;
  const std::string& site = *arrival.site;
  const int64_t received_ms = arrival.received_ms;
  NodeSeen& seen = nodes_[node_id];
  if (seen.node_id.empty() || seen.site != site) {
    if (!seen.node_id.empty()) site_nodes_[seen.site].erase(node_id);
    site_nodes_[site].insert(node_id);
  }
  const bool known = seen.node_id == node_id && seen.site == site;
  seen.node_id = node_id;
  seen.site = site;
  seen.last_seen_ms = std::max(seen.last_seen_ms, received_ms);
  if (known) {
    // Only the time moved: the next Tick writes it. A row per report made
    // every group commit a write of this connection, so an fsync, and made
    // SQLite drop the store connection's page cache.
    unsaved_seen_.insert(node_id);
  } else if (auto r = db_->SaveNode(seen); !r) {
    DatabaseError(fmt::format("save node {}", node_id), r.error());
  }

  auto counters = counters_.find(node_id);
  if (counters == counters_.end()) {
    Result<Counters> loaded = db_->LoadCounters(node_id);
    if (!loaded) {
      DatabaseError(fmt::format("load the SMART baselines of {}", node_id), loaded.error());
    }
    counters = counters_.emplace(node_id, NodeCounters{loaded ? std::move(*loaded) : Counters{}, 0}).first;
  }
  NodeCounters& node_counters = counters->second;
  const Thresholds& thresholds = config_.For(node_id, site);
  const Evaluation evaluation =
      EvaluateReport(RuleInput{*arrival.report, node_id, site, thresholds, received_ms, arrival.clock_skew_ms},
                     node_counters.counters,
                     [&](const AlertKey& key) { return active_.contains(key); });
  std::set<AlertKey> found;
  for (const Finding& finding : evaluation.findings) {
    found.insert(finding.key);
    Raise(finding, received_ms, received_ms);
  }
  std::vector<AlertKey> cleared;
  if (const auto own = keys_by_node_.find({site, node_id}); own != keys_by_node_.end()) {
    for (const AlertKey& key : own->second) {
      const Alert& alert = active_.at(key);
      if (alert.one_shot || found.contains(key)) continue;
      if (evaluation.evaluated.contains({key.rule, key.subject}) || evaluation.evaluated.contains({key.rule, ""})) {
        cleared.push_back(key);
      }
    }
  }
  for (const AlertKey& key : cleared) Clear(active_.at(key), received_ms);
  // Only the counters this report moved: most reports move none, and each
  // row written is a SQLite upsert on the collector's ingest path.
  Counters changed;
  for (const std::string& key : evaluation.counters_changed) {
    if (auto it = node_counters.counters.find(key); it != node_counters.counters.end()) changed.insert(*it);
  }
  // Baselines of disks gone for good go; checked when the node's counters
  // grew (a new serial) and otherwise once a day, not on every report.
  std::vector<std::string> expired;
  if (evaluation.counters_created || received_ms - node_counters.expired_ms >= kCounterSeenStepMs) {
    node_counters.expired_ms = received_ms;
    expired = ExpireCounters(node_counters.counters, received_ms);
    for (const std::string& key : expired) changed.erase(key);
  }
  if (auto r = changed.empty() ? Result<void>{} : db_->SaveCounters(node_id, changed); !r) {
    DatabaseError(fmt::format("save the SMART baselines of {}", node_id), r.error());
  }
  if (auto r = expired.empty() ? Result<void>{} : db_->DeleteCounters(node_id, expired); !r) {
    DatabaseError(fmt::format("delete {} expired SMART baselines of {}", expired.size(), node_id), r.error());
  }
  // Only this node and its site can have changed: the others' silences are
  // Tick's to see (a fleet-wide pass per report would cost O(nodes) a push).
  Advance(received_ms, &seen);
  Flush(received_ms);
}

void Engine::Raise(const Finding& f, int64_t now_ms, int64_t started_ms) {
  auto it = active_.find(f.key);
  if (it == active_.end()) {
    Alert alert;
    alert.key = f.key;
    alert.severity = f.severity;
    alert.summary = f.summary;
    alert.advice = f.advice;
    alert.fingerprint = f.fingerprint;
    alert.one_shot = f.one_shot;
    alert.started_ms = started_ms;
    alert.pending_ms = f.pending_ms;
    Save(alert);
    keys_by_site_[f.key.site].insert(f.key);
    keys_by_node_[{f.key.site, f.key.node}].insert(f.key);
    active_.emplace(f.key, std::move(alert));
    return;
  }
  Alert& alert = it->second;
  const bool worse = (!f.fingerprint.empty() && f.fingerprint != alert.fingerprint) || f.severity > alert.severity;
  if (alert.summary == f.summary && alert.severity == f.severity && alert.fingerprint == f.fingerprint) return;
  alert.summary = f.summary;
  alert.advice = f.advice;
  alert.severity = f.severity;
  alert.fingerprint = f.fingerprint;
  if (worse && alert.state == AlertState::kFiring && alert.notified && !Suppressed(alert, now_ms)) {
    Emit(alert, EventKind::kUpdate, now_ms);
    alert.last_notified_ms = now_ms;
  }
  Save(alert);
}

void Engine::Clear(Alert& alert, int64_t now_ms) {
  const AlertKey key = alert.key;
  const bool was_firing = alert.state == AlertState::kFiring;
  alert.state = AlertState::kResolved;
  alert.resolved_ms = now_ms;
  if (was_firing && alert.notified && !alert.one_shot) Emit(alert, EventKind::kResolved, now_ms);
  if (was_firing) {
    recently_resolved_.push_back(AlertmanagerAlert{alert.key.rule, alert.key.site, alert.key.node, alert.key.subject,
                                                   std::string(SeverityName(alert.severity)), alert.summary,
                                                   alert.advice, "", alert.started_ms, now_ms});
  }
  Save(alert);
  Forget(key);
}

void Engine::Forget(const AlertKey& key) {
  if (auto site = keys_by_site_.find(key.site); site != keys_by_site_.end()) {
    site->second.erase(key);
    if (site->second.empty()) keys_by_site_.erase(site);
  }
  if (auto node = keys_by_node_.find({key.site, key.node}); node != keys_by_node_.end()) {
    node->second.erase(key);
    if (node->second.empty()) keys_by_node_.erase(node);
  }
  active_.erase(key);
}

bool Engine::Suppressed(const Alert& alert, int64_t now_ms) const {
  for (const Silence& s : silences_) {
    if (s.until_ms > now_ms && s.Matches(alert.key)) return true;
  }
  // A site offline alert stands in for its nodes' own offline alerts.
  if (alert.key.rule == kRuleNodeOffline) {
    auto site = active_.find(AlertKey{kRuleSiteOffline, alert.key.site, "", ""});
    if (site != active_.end() && (";" + site->second.fingerprint).find(";" + alert.key.node + ";") != std::string::npos) {
      return true;
    }
  }
  return false;
}

void Engine::DetectOffline(int64_t now_ms, const NodeSeen* only_node) {
  std::map<std::string, std::vector<const NodeSeen*>> by_site;
  std::vector<const NodeSeen*> candidates;
  if (only_node == nullptr) {
    candidates.reserve(nodes_.size());
    for (const auto& [id, node] : nodes_) candidates.push_back(&node);
  } else {
    candidates.push_back(only_node);
  }
  for (const NodeSeen* candidate : candidates) {
    const NodeSeen& node = *candidate;
    const std::string& id = node.node_id;
    by_site[node.site].push_back(&node);
    const Thresholds& t = config_.For(id, node.site);
    const AlertKey key{kRuleNodeOffline, node.site, id, ""};
    if (now_ms - node.last_seen_ms >= t.offline_after.count()) {
      Finding f;
      f.key = key;
      f.pending_ms = t.group_window.count() + t.offline_after.count();  // counted from last_seen
      f.summary = fmt::format("{} has sent nothing since {}", id, FormatTime(node.last_seen_ms, now_ms));
      f.advice = "Check that it is switched on and that its network cable is plugged in at both ends.";
      Raise(f, now_ms, node.last_seen_ms);
    } else if (auto it = active_.find(key); it != active_.end()) {
      Clear(it->second, now_ms);
    }
  }
  if (only_node != nullptr) {
    // The node was just heard: its site is not dark. Only a site alert
    // already firing can change (some of its machines are back).
    by_site.clear();
    const auto site = site_nodes_.find(only_node->site);
    if (site != site_nodes_.end() && active_.contains(AlertKey{kRuleSiteOffline, only_node->site, "", ""})) {
      for (const std::string& id : site->second) by_site[only_node->site].push_back(&nodes_.at(id));
    }
  }
  for (const auto& [site, nodes] : by_site) {
    if (nodes.size() < 2) continue;  // one machine: its own offline alert says it all
    std::vector<std::string> silent;
    int64_t dark_since = 0;
    for (const NodeSeen* node : nodes) {
      if (now_ms - node->last_seen_ms >= config_.For(node->node_id, site).offline_after.count()) {
        silent.push_back(node->node_id);
        dark_since = std::max(dark_since, node->last_seen_ms);
      }
    }
    const AlertKey key{kRuleSiteOffline, site, "", ""};
    auto it = active_.find(key);
    const bool all = silent.size() == nodes.size();
    const bool partial = !all && it != active_.end() && !silent.empty();
    if (!partial) partial_since_ms_.erase(site);
    if (all || partial) {
      Finding f;
      f.key = key;
      f.fingerprint = fmt::format("{};", fmt::join(silent, ";"));
      // Machines of a home come back seconds apart when its power or internet
      // returns: a partial return is worth an update only once it has lasted
      // the group window; until then the fingerprint stays, and so does the silence.
      if (partial && now_ms - partial_since_ms_.try_emplace(site, now_ms).first->second <
                         config_.For(nodes.front()->node_id, site).group_window.count()) {
        f.fingerprint = it->second.fingerprint;
      }
      if (all) {
        f.summary = fmt::format("every machine at home {} is silent since {} ({}): probably a power cut or an "
                                "internet outage",
                                site, FormatTime(dark_since, now_ms), fmt::join(silent, ", "));
      } else {
        f.summary = fmt::format("some machines at home {} are back; still silent: {}", site, fmt::join(silent, ", "));
      }
      f.advice = "Check the power and the internet box (router) of this home; the machines should come back by "
                 "themselves once both are on.";
      Raise(f, now_ms, it != active_.end() ? it->second.started_ms : dark_since);
    } else if (it != active_.end()) {
      Clear(it->second, now_ms);
    }
  }
}

void Engine::CheckChannels(int64_t now_ms) {
  for (auto& [channel, pacer] : pacers_) {
    const AlertKey key{kRuleNotificationsFailing, "", "", std::string(ChannelName(channel))};
    if (pacer.failing_since_ms != 0 && now_ms - pacer.failing_since_ms >= config_.notifications_failing_after.count()) {
      Finding f;
      f.key = key;
      f.severity = Severity::kCritical;
      f.summary = fmt::format("{} messages have failed since {}", ChannelName(channel),
                              FormatTime(pacer.failing_since_ms, now_ms));
      f.advice = "Check the Vigie collector's log, the access token or password, and the server it sends to.";
      Raise(f, now_ms, pacer.failing_since_ms);
    } else if (pacer.failing_since_ms == 0) {
      if (auto it = active_.find(key); it != active_.end()) Clear(it->second, now_ms);
    }
  }
}

void Engine::Advance(int64_t now_ms, const NodeSeen* only_node) {
  DetectOffline(now_ms, only_node);
  CheckChannels(now_ms);
  // Unexpected reboots of one site fire together, as one message: when one
  // is due, the site's other pending reboots come along.
  const auto due_reboot = [now_ms](const std::pair<const AlertKey, Alert>* entry) {
    const auto& [key, alert] = *entry;
    return key.rule == kRuleUnexpectedReboot && alert.state == AlertState::kPending &&
           now_ms - alert.started_ms >= alert.pending_ms;
  };
  // The alerts to advance, in key order: all, or those of one node (above).
  std::vector<std::pair<const AlertKey, Alert>*> selected;
  if (only_node == nullptr) {
    for (auto& entry : active_) selected.push_back(&entry);
  } else {
    const std::string& site = only_node->site;
    std::vector<std::pair<std::string, std::string>> owners = {{site, only_node->node_id}, {site, ""}};
    if (!site.empty()) owners.emplace_back("", "");
    for (const auto& owner : owners) {
      if (const auto keys = keys_by_node_.find(owner); keys != keys_by_node_.end()) {
        for (const AlertKey& key : keys->second) selected.push_back(&*active_.find(key));
      }
    }
    if (std::any_of(selected.begin(), selected.end(), due_reboot)) {
      for (const AlertKey& key : keys_by_site_.at(site)) {
        if (key.rule == kRuleUnexpectedReboot && key.node != only_node->node_id) {
          selected.push_back(&*active_.find(key));
        }
      }
    }
    std::sort(selected.begin(), selected.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  }
  std::set<std::string> rebooted_sites;
  for (const auto* entry : selected) {
    if (due_reboot(entry)) rebooted_sites.insert(entry->first.site);
  }
  std::vector<AlertKey> done;
  for (auto* entry : selected) {
    auto& [key, alert] = *entry;
    bool changed = false;
    const bool grouped = key.rule == kRuleUnexpectedReboot && rebooted_sites.contains(key.site);
    if (alert.state == AlertState::kPending && (grouped || now_ms - alert.started_ms >= alert.pending_ms)) {
      alert.state = AlertState::kFiring;
      alert.fired_ms = now_ms;
      changed = true;
    }
    if (alert.state == AlertState::kFiring) {
      const bool suppressed = Suppressed(alert, now_ms);
      if (!alert.notified) {
        if (!suppressed) {
          Emit(alert, EventKind::kFiring, now_ms);
          alert.notified = true;
          alert.last_notified_ms = now_ms;
          changed = true;
        }
        if (alert.one_shot) done.push_back(key);  // an event: told once (or silenced), then over
      } else if (alert.acked_by.empty()) {
        if (!alert.escalated && alert.severity == Severity::kWarning && now_ms - alert.fired_ms >= config_.escalate_after.count()) {
          if (!suppressed) Emit(alert, EventKind::kEscalation, now_ms);
          alert.escalated = true;
          changed = true;
        }
        const int64_t repeat = (alert.severity == Severity::kCritical ? config_.repeat_critical : config_.repeat_warning).count();
        if (now_ms - alert.last_notified_ms >= repeat) {
          if (!suppressed) Emit(alert, EventKind::kReminder, now_ms);
          alert.last_notified_ms = now_ms;
          changed = true;
        }
      }
    }
    if (changed) Save(alert);
  }
  for (const AlertKey& key : done) {
    Alert& alert = active_.at(key);
    alert.state = AlertState::kResolved;
    alert.resolved_ms = now_ms;
    Save(alert);
    Forget(key);
  }
}

void Engine::Emit(const Alert& alert, EventKind kind, int64_t now_ms) {
  events_.push_back(AlertEvent{alert, kind, now_ms});
}

void Engine::EnqueueAdminNotice(const std::string& rule, const std::string& subject, const std::string& summary,
                                int64_t now_ms) {
  Alert notice;
  notice.key = AlertKey{rule, "", "", subject};
  notice.severity = Severity::kCritical;
  notice.summary = summary;
  notice.advice = "Check the collector's log and the server these messages go to; `vigiectl` lists the outbox.";
  notice.started_ms = now_ms;
  notice.fired_ms = now_ms;
  events_.push_back(AlertEvent{notice, EventKind::kFiring, now_ms});
}

void Engine::Flush(int64_t now_ms) {
  if (events_.empty()) return;
  std::vector<OutboxEntry> entries =
      Route(config_, events_, Channels{notifiers_.matrix != nullptr, notifiers_.email != nullptr}, MailDomain(config_));
  events_.clear();
  // The outbox is written before any attempt to send (Deliver reads it back).
  for (OutboxEntry& e : entries) {
    e.created_ms = now_ms;
    e.next_attempt_ms = now_ms;
    if (auto r = db_->Enqueue(e); !r) DatabaseError(fmt::format("write to the outbox a message to {}", e.target), r.error());
  }
}

Notifier* Engine::NotifierFor(Channel channel) const {
  return channel == Channel::kMatrix ? notifiers_.matrix : notifiers_.email;
}

Engine::~Engine() {
  std::lock_guard lock(mutex_);
  const bool began = Begin();
  SaveSeen();
  if (began) {
    if (auto r = db_->Commit(); !r) DatabaseError("commit", r.error());
  }
}

void Engine::SaveSeen() {
  for (const std::string& node_id : unsaved_seen_) {
    if (auto r = db_->SaveNode(nodes_.at(node_id)); !r) {
      DatabaseError(fmt::format("save node {}", node_id), r.error());
    }
  }
  unsaved_seen_.clear();
}

void Engine::Tick(int64_t now_ms) {
  {
    std::lock_guard lock(mutex_);
    const bool began = Begin();
    SaveSeen();
    Advance(now_ms);
    Flush(now_ms);
    if (now_ms - last_prune_ms_ >= kPruneEveryMs) {
      last_prune_ms_ = now_ms;
      if (auto r = db_->Prune(now_ms - kKeepOutboxMs, now_ms - kKeepResolvedAlertsMs); !r) {
        DatabaseError("prune", r.error());
      }
    }
    if (began) {
      if (auto r = db_->Commit(); !r) DatabaseError("commit", r.error());
    }
  }
  std::lock_guard deliver_lock(deliver_mutex_);
  Deliver(now_ms);
  SyncAlertmanager(now_ms);
}

void Engine::Deliver(int64_t now_ms) {
  std::vector<OutboxEntry> due;
  {
    std::lock_guard lock(mutex_);
    auto entries = db_->DueEntries(now_ms, kDeliveriesPerTick);
    if (!entries) {
      DatabaseError("read the outbox", entries.error());
      return;
    }
    due = std::move(*entries);
  }
  std::map<Channel, int> lost;
  for (OutboxEntry& entry : due) {
    Notifier* notifier = NotifierFor(entry.channel);
    OutboxEntry attempt = entry;
    {
      std::lock_guard lock(mutex_);
      if (now_ms - entry.created_ms >= config_.outbox_expire_after.count() || notifier == nullptr) {
        entry.state = notifier == nullptr ? OutboxState::kFailed : OutboxState::kExpired;
        entry.done_ms = now_ms;
        if (notifier == nullptr) entry.last_error = "channel not configured";
        if (auto r = db_->UpdateEntry(entry); !r) {
          DatabaseError(fmt::format("give up outbox entry {}", entry.id), r.error());
        }
        if (!entry.to_admins) ++lost[entry.channel];
        continue;
      }
      Pacer& pacer = pacers_[entry.channel];
      if (entry.channel == Channel::kMatrix && config_.matrix) {
        // Matrix rate limits (Synapse rc_message): a token bucket on the injected clock.
        const double rate_per_ms = config_.matrix->messages_per_second / 1000.0;
        if (pacer.refill_ms != 0) {
          pacer.tokens = std::min<double>(config_.matrix->burst,
                                          pacer.tokens + rate_per_ms * static_cast<double>(now_ms - pacer.refill_ms));
        }
        pacer.refill_ms = now_ms;
        if (pacer.blocked_until_ms > now_ms || pacer.tokens < 1.0) continue;
        pacer.tokens -= 1.0;
      }
      if (attempt.channel == Channel::kMatrix && attempt.target.starts_with("@")) {
        // Unreadable, the direct room is created anew: the member may see a
        // second invitation, never a lost message.
        auto room = db_->DmRoom(attempt.target);
        if (!room) DatabaseError(fmt::format("read the direct room of {}", attempt.target), room.error());
        if (room && *room) attempt.target = **room;
        entry.target = attempt.target;
      }
    }
    const Delivery result = notifier->Deliver(attempt);  // no lock held: network I/O
    std::lock_guard lock(mutex_);
    Pacer& pacer = pacers_[entry.channel];
    ++entry.attempts;
    if (!result.dm_room.empty()) {
      if (auto r = db_->SaveDmRoom(entry.target, result.dm_room); !r) {
        DatabaseError(fmt::format("remember the direct room {} of {}", result.dm_room, entry.target), r.error());
      }
      entry.target = result.dm_room;
    }
    // A peer's wait is honoured up to the outbox's own longest backoff.
    const int64_t retry_after_ms = std::clamp<int64_t>(result.retry_after_ms, 0, config_.outbox_retry_max.count());
    switch (result.status) {
      case Delivery::Status::kDelivered:
        entry.state = OutboxState::kSent;
        entry.done_ms = now_ms;
        entry.last_error.clear();
        pacer.failing_since_ms = 0;
        break;
      case Delivery::Status::kRetry:
        entry.last_error = result.error;
        entry.next_attempt_ms = now_ms + (retry_after_ms > 0 ? retry_after_ms : Backoff(config_, entry.attempts));
        if (retry_after_ms > 0) pacer.blocked_until_ms = now_ms + retry_after_ms;
        if (pacer.failing_since_ms == 0) pacer.failing_since_ms = now_ms;
        LogWarning("alerting: {} to {} failed (attempt {}), retrying: {}", ChannelName(entry.channel), entry.target,
                   entry.attempts, result.error);
        break;
      case Delivery::Status::kPermanent:
        entry.state = OutboxState::kFailed;
        entry.last_error = result.error;
        entry.done_ms = now_ms;
        if (pacer.failing_since_ms == 0) pacer.failing_since_ms = now_ms;
        LogError("alerting: {} to {} refused, giving up: {}", ChannelName(entry.channel), entry.target, result.error);
        if (!entry.to_admins) ++lost[entry.channel];
        break;
    }
    if (auto r = db_->UpdateEntry(entry); !r) DatabaseError(fmt::format("update outbox entry {}", entry.id), r.error());
  }
  if (lost.empty()) return;
  std::lock_guard lock(mutex_);
  // Outside a transaction: each Enqueue commits on its own.
  for (const auto& [channel, count] : lost) {
    EnqueueAdminNotice(kRuleOutboxExpired, std::string(ChannelName(channel)),
                       fmt::format("{} {} message(s) to members could not be delivered and were given up",
                                   count, ChannelName(channel)),
                       now_ms);
  }
  Flush(now_ms);
}

void Engine::SyncAlertmanager(int64_t now_ms) {
  if (notifiers_.alertmanager == nullptr) return;
  std::vector<AlertmanagerAlert> alerts;
  size_t resolved = 0;
  {
    std::lock_guard lock(mutex_);
    if (last_alertmanager_sync_ms_ != 0 && now_ms - last_alertmanager_sync_ms_ < kAlertmanagerSyncMs &&
        recently_resolved_.empty()) {
      return;
    }
    for (const auto& [key, a] : active_) {
      if (a.state != AlertState::kFiring) continue;
      alerts.push_back(AlertmanagerAlert{key.rule, key.site, key.node, key.subject,
                                         std::string(SeverityName(a.severity)), a.summary, a.advice,
                                         DashboardLink(config_.grafana_url, a), a.started_ms,
                                         now_ms + kAlertmanagerHorizonMs});
    }
    alerts.insert(alerts.end(), recently_resolved_.begin(), recently_resolved_.end());
    resolved = recently_resolved_.size();
    last_alertmanager_sync_ms_ = now_ms;
  }
  if (alerts.empty()) return;
  if (notifiers_.alertmanager->Push(alerts)) {
    std::lock_guard lock(mutex_);
    // Those sent were at the front; more may have resolved meanwhile.
    recently_resolved_.erase(recently_resolved_.begin(),
                             recently_resolved_.begin() + static_cast<std::ptrdiff_t>(resolved));
  }
}

Result<Alert> Engine::Acknowledge(int64_t alert_id, const std::string& by, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  for (auto& [key, alert] : active_) {
    if (alert.id != alert_id) continue;
    alert.acked_by = by;
    alert.acked_ms = now_ms;
    Save(alert);
    return alert;
  }
  return Fail(ErrorCode::kNotFound, fmt::format("no active alert {}", alert_id));
}

Result<int64_t> Engine::AddSilence(Silence silence) {
  std::lock_guard lock(mutex_);
  auto id = db_->AddSilence(silence);
  if (!id) return id;
  silence.id = *id;
  silences_.push_back(std::move(silence));
  return id;
}

Result<bool> Engine::RemoveSilence(int64_t id) {
  std::lock_guard lock(mutex_);
  std::erase_if(silences_, [&](const Silence& s) { return s.id == id; });
  return db_->RemoveSilence(id);
}

Result<std::vector<Silence>> Engine::ListSilences(int64_t now_ms) {
  std::lock_guard lock(mutex_);
  return db_->ListSilences(now_ms);
}

Result<void> Engine::SendTestMessage(const std::string& site, int64_t now_ms) {
  const Site* found = config_.FindSite(site);
  if (found == nullptr || found->members.empty()) {
    return Fail(ErrorCode::kNotFound, fmt::format("no site '{}' with members in the configuration", site));
  }
  std::lock_guard lock(mutex_);
  Alert test;
  test.key = AlertKey{kRuleTestMessage, site, "", ""};
  test.summary = fmt::format("this is a test from Vigie: the alerts of the machines at home {} reach you here", site);
  test.advice = "Nothing: this message only checks that alerts reach you.";
  test.started_ms = test.fired_ms = now_ms;
  events_.push_back(AlertEvent{test, EventKind::kFiring, now_ms});
  Flush(now_ms);
  return {};
}

Result<std::vector<Alert>> Engine::ListAlerts(bool include_resolved, int limit) {
  std::lock_guard lock(mutex_);
  return db_->ListAlerts(include_resolved, limit);
}

Result<std::vector<OutboxEntry>> Engine::ListOutbox(int limit) {
  std::lock_guard lock(mutex_);
  return db_->ListOutbox(limit);
}

}  // namespace vigie::alerting
