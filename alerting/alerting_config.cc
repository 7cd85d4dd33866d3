#include "alerting/alerting_config.h"

#include <fmt/format.h>

namespace vigie::alerting {
namespace {

constexpr Millis kSecond{1000};
constexpr Millis kWeek{7 * 86'400'000LL};
constexpr Millis kYear{366 * 86'400'000LL};

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

Member ReadMember(const ConfigTable& table) {
  Member member;
  member.name = table.String("name");
  member.matrix_user = table.String("matrix_user", "");
  member.matrix_room = table.String("matrix_room", "");
  member.email = table.String("email", "");
  if (!member.matrix_user.empty() && member.matrix_user.front() != '@') {
    table.Reject("matrix_user", "expected a Matrix user id such as \"@alice:example.org\"");
  }
  if (!member.matrix_room.empty() && member.matrix_room.front() != '!') {
    table.Reject("matrix_room", "expected a room id such as \"!abcdef:example.org\" (not an alias)");
  }
  if (!member.email.empty() && member.email.find('@') == std::string::npos) {
    table.Reject("email", "expected an e-mail address");
  }
  if (member.matrix_user.empty() && member.matrix_room.empty() && member.email.empty()) {
    table.Reject("name", "a member needs at least one of matrix_user, matrix_room, email");
  }
  table.RejectUnknownKeys();
  return member;
}

// Reads the threshold keys present in `table`, each falling back to `base`.
Thresholds ReadThresholds(const ConfigTable& table, const Thresholds& base) {
  Thresholds t = base;
  t.offline_after = table.Duration("offline_after", base.offline_after, 10 * kSecond, kWeek);
  t.temperature_for = table.Duration("temperature_for", base.temperature_for, Millis(0), kWeek);
  t.temperature_hysteresis_celsius =
      table.Number("temperature_hysteresis_celsius", base.temperature_hysteresis_celsius, 0, 50);
  if (table.Has("temperature_max_celsius")) {
    t.temperature_max_celsius = table.Number("temperature_max_celsius", 0, -50, 200);
  }
  t.hdd_max_celsius = table.Number("hdd_max_celsius", base.hdd_max_celsius, 0, 200);
  t.filesystem_warning_percent =
      table.Number("filesystem_warning_percent", base.filesystem_warning_percent, 1, 100);
  t.filesystem_critical_percent =
      table.Number("filesystem_critical_percent", base.filesystem_critical_percent, 1, 100);
  t.nvme_critical_warning_mask = static_cast<uint32_t>(
      table.Integer("nvme_critical_warning_mask", base.nvme_critical_warning_mask, 0, 0xff));
  t.nvme_percentage_used_warning = static_cast<uint32_t>(
      table.Integer("nvme_percentage_used_warning", base.nvme_percentage_used_warning, 1, 255));
  t.rising_quiet_after = table.Duration("rising_quiet_after", base.rising_quiet_after, kSecond, kYear);
  t.source_unreadable_after =
      table.Duration("source_unreadable_after", base.source_unreadable_after, kSecond, kYear);
  t.group_window = table.Duration("group_window", base.group_window, Millis(0), Millis(3'600'000));
  t.max_alerts_per_rule =
      static_cast<uint32_t>(table.Integer("max_alerts_per_rule", base.max_alerts_per_rule, 1, 1000));
  return t;
}

}  // namespace

const Thresholds& AlertingConfig::For(const std::string& node_id, const std::string& site) const {
  if (auto it = node_thresholds.find(node_id); it != node_thresholds.end()) return it->second;
  if (auto it = site_thresholds.find(site); it != site_thresholds.end()) return it->second;
  return defaults;
}

const Site* AlertingConfig::FindSite(const std::string& name) const {
  for (const Site& site : sites) {
    if (site.name == name) return &site;
  }
  return nullptr;
}

AlertingConfig LoadAlertingConfig(const ConfigTable& root) {
  AlertingConfig config;
  for (const ConfigTable& node : root.Tables("node")) {
    // The collector validates [[node]] itself; only id and site matter here.
    if (node.Has("id") && node.Has("site")) config.site_of_node[node.String("id")] = node.String("site");
  }
  for (const ConfigTable& table : root.Tables("site")) {
    Site site;
    site.name = table.String("name");
    for (const ConfigTable& m : table.Tables("members")) site.members.push_back(ReadMember(m));
    for (const ConfigTable& m : table.Tables("member")) site.members.push_back(ReadMember(m));
    table.RejectUnknownKeys();
    if (config.FindSite(site.name) != nullptr) table.Reject("name", fmt::format("site '{}' is declared twice", site.name));
    config.sites.push_back(std::move(site));
  }
  for (const ConfigTable& table : root.Tables("admin")) config.admins.push_back(ReadMember(table));

  // Three periods of the agent's default 60 s plus a minute of grace, unless
  // the collector's own offline_after says otherwise.
  config.defaults.offline_after =
      root.Duration("offline_after", config.defaults.offline_after, 10 * kSecond, kWeek);
  if (std::optional<ConfigTable> ingest = root.Table("ingest")) {
    // The collector reads and checks [ingest] itself (collector_config.h), with these bounds.
    config.defaults.max_clock_skew =
        ingest->Duration("max_clock_skew", config.defaults.max_clock_skew, kSecond, Millis(86'400'000));
  }
  if (std::optional<ConfigTable> alerting = root.Table("alerting")) {
    config.defaults = ReadThresholds(*alerting, config.defaults);
    config.repeat_critical = alerting->Duration("repeat_critical", config.repeat_critical, 60 * kSecond, kWeek);
    config.repeat_warning = alerting->Duration("repeat_warning", config.repeat_warning, 60 * kSecond, kWeek);
    config.escalate_after = alerting->Duration("escalate_after", config.escalate_after, Millis(0), kWeek);
    config.outbox_expire_after =
        alerting->Duration("outbox_expire_after", config.outbox_expire_after, 60 * kSecond, kWeek);
    config.outbox_retry_initial =
        alerting->Duration("outbox_retry_initial", config.outbox_retry_initial, Millis(100), kWeek);
    config.outbox_retry_max = alerting->Duration("outbox_retry_max", config.outbox_retry_max,
                                                 config.outbox_retry_initial, kWeek);
    config.notifications_failing_after = alerting->Duration(
        "notifications_failing_after", config.notifications_failing_after, 60 * kSecond, kWeek);
    config.grafana_url = alerting->String("grafana_url", "");
    config.tick = alerting->Duration("tick", config.tick, Millis(50), 60 * kSecond);
    for (const char* kind : {"site", "node"}) {
      std::optional<ConfigTable> group = alerting->Table(kind);
      if (!group) continue;
      auto& target = std::string_view(kind) == "site" ? config.site_thresholds : config.node_thresholds;
      // Overrides name a declared site or node; any other name is an unknown key.
      std::vector<std::string> names;
      if (std::string_view(kind) == "site") {
        for (const Site& site : config.sites) names.push_back(site.name);
        for (const auto& [node, site] : config.site_of_node) names.push_back(site);
      } else {
        for (const auto& [node, site] : config.site_of_node) names.push_back(node);
      }
      for (const std::string& name : names) {
        std::optional<ConfigTable> table = group->Table(name);
        if (!table) continue;
        Thresholds base = config.defaults;
        if (std::string_view(kind) == "node") {
          // A node override starts from its site's override, if any.
          auto site = config.site_of_node.find(name);
          if (site != config.site_of_node.end()) {
            if (auto it = config.site_thresholds.find(site->second); it != config.site_thresholds.end()) {
              base = it->second;
            }
          }
        }
        target[name] = ReadThresholds(*table, base);
        table->RejectUnknownKeys();
      }
      group->RejectUnknownKeys();
    }
    alerting->RejectUnknownKeys();
  }

  if (std::optional<ConfigTable> matrix = root.Table("matrix")) {
    MatrixConfig m;
    m.homeserver_url = TrimSlash(matrix->String("homeserver_url"));
    m.access_token = matrix->FileContents("access_token_file");
    m.messages_per_second = matrix->Number("messages_per_second", m.messages_per_second, 0.001, 1000);
    m.burst = static_cast<int>(matrix->Integer("burst", m.burst, 1, 1000));
    matrix->RejectUnknownKeys();
    config.matrix = std::move(m);
  }
  if (std::optional<ConfigTable> smtp = root.Table("smtp")) {
    SmtpConfig s;
    s.url = smtp->String("url");
    if (!s.url.starts_with("smtp://") && !s.url.starts_with("smtps://")) {
      smtp->Reject("url", "expected smtp://HOST:PORT or smtps://HOST:PORT");
    }
    s.from = smtp->String("from");
    s.username = smtp->String("username", "");
    if (smtp->Has("password_file")) s.password = smtp->FileContents("password_file");
    const std::string tls = smtp->String("tls", s.url.starts_with("smtps://") ? "implicit" : "starttls");
    if (tls == "starttls") {
      s.tls = SmtpConfig::Tls::kStartTls;
    } else if (tls == "implicit") {
      s.tls = SmtpConfig::Tls::kImplicit;
    } else if (tls == "none") {
      s.tls = SmtpConfig::Tls::kNone;
    } else {
      smtp->Reject("tls", "expected \"starttls\", \"implicit\" or \"none\"");
    }
    if (smtp->Has("ca_file")) s.ca_file = smtp->Path("ca_file").string();
    smtp->RejectUnknownKeys();
    config.smtp = std::move(s);
  }
  if (std::optional<ConfigTable> am = root.Table("alertmanager")) {
    config.alertmanager = AlertmanagerConfig{TrimSlash(am->String("url"))};
    am->RejectUnknownKeys();
  }
  return config;
}

}  // namespace vigie::alerting
