// What an alert is: the rule that raised it, where (site, node, subject such
// as "sda" or "/var"), how bad, and the words a non-expert reads.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>

namespace vigie::alerting {

enum class Severity { kWarning = 0, kCritical = 1 };
std::string_view SeverityName(Severity severity);  // "warning", "critical"

// Rule names, also the `rule` label on Alertmanager and the silence matcher.
inline constexpr const char* kRuleNodeOffline = "node_offline";
inline constexpr const char* kRuleSiteOffline = "site_offline";
inline constexpr const char* kRuleUnexpectedReboot = "unexpected_reboot";
inline constexpr const char* kRuleSmartFailing = "smart_failing";
inline constexpr const char* kRuleDiskDegrading = "disk_degrading";
inline constexpr const char* kRuleTemperature = "temperature";
inline constexpr const char* kRuleFilesystemFull = "filesystem_full";
inline constexpr const char* kRuleSourceUnreadable = "source_unreadable";
inline constexpr const char* kRuleClockWrong = "clock_wrong";  // routed to the admins only
inline constexpr const char* kRuleNotificationsFailing = "notifications_failing";
inline constexpr const char* kRuleOutboxExpired = "notifications_lost";
inline constexpr const char* kRuleTestMessage = "test_message";

// The subject of the one alert that stands for a node's findings of a rule
// beyond Thresholds::max_alerts_per_rule ("and 197 more filesystems"). Its
// first byte (of U+2026) sorts it after any ASCII subject, so that it comes
// last among its node's alerts.
inline constexpr const char* kMoreSubject = "… and more";

// Identifies one alert among the active ones. Site-wide alerts have an empty node.
struct AlertKey {
  std::string rule;
  std::string site;
  std::string node;
  std::string subject;
  auto operator<=>(const AlertKey&) const = default;
};

// A condition a rule sees right now.
struct Finding {
  AlertKey key;
  Severity severity = Severity::kWarning;
  // One line: what is wrong, e.g. "disk sda: 8 reallocated sectors (+8 since Mon 14:02)".
  std::string summary;
  // What to check, for a person who is not an admin.
  std::string advice;
  // Changes when the condition gets worse in a way worth a new message
  // (a count that rose); empty when it has no such notion.
  std::string fingerprint;
  // Fires only after the condition held this long (0: at once).
  int64_t pending_ms = 0;
  // Fires once and needs no resolved message (an event, e.g. a reboot).
  bool one_shot = false;
};

enum class AlertState { kPending, kFiring, kResolved };
std::string_view AlertStateName(AlertState state);

struct Alert {
  int64_t id = 0;
  AlertKey key;
  Severity severity = Severity::kWarning;
  AlertState state = AlertState::kPending;
  std::string summary;
  std::string advice;
  std::string fingerprint;
  bool one_shot = false;
  int64_t started_ms = 0;   // condition first seen
  int64_t fired_ms = 0;     // pending -> firing
  int64_t resolved_ms = 0;
  int64_t pending_ms = 0;
  int64_t last_notified_ms = 0;  // 0: never notified (e.g. silenced or inhibited)
  bool notified = false;         // a firing message went out: a resolved one is owed
  bool escalated = false;
  std::string acked_by;
  int64_t acked_ms = 0;
};

}  // namespace vigie::alerting
