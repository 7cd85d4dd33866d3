// The alerting part of /etc/vigie/collector.toml: who hosts which machines,
// how to reach them, and the rules' thresholds.
//
//   [[node]] id = "rennes-1"  site = "rennes"   # the collector's own list, read for node -> site
//   [[site]]
//   name = "rennes"
//   members = [{ name = "Alice", matrix_room = "!abc:example.org", email = "alice@example.org" }]
//   # or [[site.member]] tables; a member may have matrix_user = "@alice:example.org" instead of
//   # (or besides) matrix_room: a direct room is then created once (see matrix_notifier.h).
//   [[admin]]  name = "Bob"  matrix_room = "!ops:example.org"  email = "ops@example.org"
//
//   [alerting]
//   offline_after = "4m"          # default: the root's offline_after, else 3 x 60 s + 1 min grace
//   repeat_critical = "4h"        repeat_warning = "24h"
//   escalate_after = "1h"         # firing and not acknowledged -> the admins
//   grafana_url = "https://grafana.example.org/d/vigie-node?var-node={node}"   # {node}, {site}
//   outbox_expire_after = "24h"   notifications_failing_after = "30m"
//   outbox_retry_initial = "30s"  outbox_retry_max = "30m"   # a failed message is retried after
//                                 # this, doubling per attempt, capped (or after a 429's Retry-After)
//   max_alerts_per_rule = 5       # a node's findings of one rule beyond this fold into one alert
//   ...thresholds (see Thresholds below), which [alerting.site.NAME] and
//   [alerting.node.ID] override, key by key.
//
//   [matrix]        homeserver_url = "https://matrix.example.org"  access_token_file = "matrix.token"
//                   messages_per_second = 0.2  burst = 10
//   [smtp]          url = "smtp://mail.example.org:587"  from = "vigie@example.org"
//                   username = "vigie"  password_file = "smtp.password"  tls = "starttls" | "none" | "implicit"
//                   ca_file = "..." (optional)
//   [alertmanager]  url = "http://127.0.0.1:9093"
//
// LoadAlertingConfig throws ConfigError ("FILE:LINE: KEY: REASON") and calls
// RejectUnknownKeys on every table it owns; the root's own check is the
// caller's (keys read here count as used on `root`).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"

namespace vigie::alerting {

using Millis = std::chrono::milliseconds;

struct Member {
  std::string name;
  std::string matrix_user;  // "@alice:example.org", or empty
  std::string matrix_room;  // "!abc:example.org", or empty
  std::string email;        // or empty
};

struct Site {
  std::string name;
  std::vector<Member> members;
};

// Per-node thresholds; [alerting] sets the defaults, overrides replace single keys.
struct Thresholds {
  Millis offline_after{240'000};
  // Temperature: how long over a limit before firing, and how far under it
  // before resolving (hysteresis).
  Millis temperature_for{300'000};
  double temperature_hysteresis_celsius = 5.0;
  // A configured limit for every temperature sensor, in addition to the chip's own max/crit.
  std::optional<double> temperature_max_celsius;
  double hdd_max_celsius = 55.0;
  double filesystem_warning_percent = 90.0;
  double filesystem_critical_percent = 97.0;
  // NVMe critical-warning bits that count (NVMe Base 2.0, figure 207, byte 0).
  uint32_t nvme_critical_warning_mask = 0xff;
  uint32_t nvme_percentage_used_warning = 90;
  // A CRC (199) or NVMe media-error alert resolves after this long without a rise.
  Millis rising_quiet_after{86'400'000};
  Millis source_unreadable_after{86'400'000};
  // Node offline and unexpected reboot alerts wait this long, so that a whole
  // home going dark or losing power makes one message, not one per machine.
  Millis group_window{120'000};
  // A node's findings of one rule beyond this many (e.g. 200 full
  // filesystems) make one alert that counts and names the rest.
  uint32_t max_alerts_per_rule = 5;
  // A report dated further than this from its arrival raises "clock wrong"
  // (admins only), and its timestamp is not trusted. Not a key of [alerting]:
  // the collector's [ingest] max_clock_skew.
  Millis max_clock_skew{300'000};
};

struct MatrixConfig {
  std::string homeserver_url;  // no trailing '/'
  std::string access_token;
  double messages_per_second = 0.2;  // Synapse's rc_message default
  int burst = 10;
};

struct SmtpConfig {
  enum class Tls { kStartTls, kImplicit, kNone };
  std::string url;
  std::string from;
  std::string username;
  std::string password;
  Tls tls = Tls::kStartTls;
  std::string ca_file;
};

struct AlertmanagerConfig {
  std::string url;  // no trailing '/'
};

struct AlertingConfig {
  std::vector<Site> sites;
  std::vector<Member> admins;
  std::map<std::string, std::string> site_of_node;  // from [[node]]
  Thresholds defaults;
  std::map<std::string, Thresholds> site_thresholds;  // complete, defaults already applied
  std::map<std::string, Thresholds> node_thresholds;
  Millis repeat_critical{4 * 3'600'000};
  Millis repeat_warning{24 * 3'600'000};
  Millis escalate_after{3'600'000};
  Millis outbox_expire_after{24 * 3'600'000};
  Millis outbox_retry_initial{30'000};
  Millis outbox_retry_max{30 * 60'000};
  Millis notifications_failing_after{30 * 60'000};
  std::string grafana_url;  // template with {node} and {site}; empty: no link
  Millis tick{2'000};       // how often the collector calls Engine::Tick
  std::optional<MatrixConfig> matrix;
  std::optional<SmtpConfig> smtp;
  std::optional<AlertmanagerConfig> alertmanager;

  // The thresholds in force for a node: node override, else site override, else defaults.
  const Thresholds& For(const std::string& node_id, const std::string& site) const;
  const Site* FindSite(const std::string& name) const;
};

AlertingConfig LoadAlertingConfig(const ConfigTable& root);

}  // namespace vigie::alerting
