// The words of a notification: what, where (site, node), since when, what to
// check, and a dashboard link when grafana_url is configured. Pure functions.
//
// Every node-controlled string (node, subject, summary) goes through
// PrintableUtf8 (common/printable.h) as the text is built: no line break,
// control character or escape a node sent reaches a mail or Matrix message,
// and each is cut to a bound. A merged message stops listing events past
// 24 KiB and says how many it left out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "alerting/alert.h"

namespace vigie::alerting {

enum class EventKind { kFiring, kUpdate, kReminder, kEscalation, kResolved };
// "FIRING", "UPDATE", "REMINDER", "UNACKNOWLEDGED", "RESOLVED": sorts well in a mailbox.
std::string_view EventKindWord(EventKind kind);

struct AlertEvent {
  Alert alert;  // as it was when the event happened
  EventKind kind = EventKind::kFiring;
  int64_t at_ms = 0;
};

// "rennes-2 offline", "rennes-1 disk sda failing", "site rennes offline".
std::string Title(const Alert& alert);
// "[vigie] FIRING rennes-2 offline"
std::string EmailSubject(const AlertEvent& event);
// The subject of one mail carrying `events`: EmailSubject for one; "[vigie]
// FIRING 3 machines at rennes restarted unexpectedly" for a site's reboots;
// else "[vigie] 6 FIRING, 1 RESOLVED: <the first's title> and 6 more".
std::string MergedEmailSubject(const std::vector<AlertEvent>& events);

// The grafana_url template with {node} and {site} filled in; empty without a template.
std::string DashboardLink(const std::string& grafana_url, const Alert& alert);

// One event as plain text, several lines.
std::string PlainText(const AlertEvent& event, const std::string& grafana_url);
// Several events for one Matrix room as one message (plain body and HTML formatted_body).
std::string MergedPlainText(const std::vector<AlertEvent>& events, const std::string& grafana_url);
std::string MergedHtml(const std::vector<AlertEvent>& events, const std::string& grafana_url);

// RFC 5322 section 3.6.4 msg-id values. The firing message's id is derived
// from the alert alone, so every later message can reference it.
std::string FiringMessageId(const Alert& alert, const std::string& domain);
std::string EventMessageId(const AlertEvent& event, const std::string& domain);

std::string HtmlEscape(const std::string& text);

}  // namespace vigie::alerting
