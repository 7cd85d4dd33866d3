#include "alerting/message.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "alerting/rules.h"
#include "common/printable.h"

namespace vigie::alerting {
namespace {

// Node-controlled text (names, a rule's summary quoting them) as it enters
// a message: printable UTF-8, so that no line break, escape or control
// character a node sent ends up in a mail or a Matrix message, and bounded.
constexpr size_t kNameBytes = 256;
constexpr size_t kSummaryBytes = 2048;
std::string Name(const std::string& text) { return PrintableUtf8(text, kNameBytes); }
std::string Clean(const std::string& text) { return PrintableUtf8(text, kSummaryBytes); }

// A merged message stops listing events past this size (each of the plain
// and HTML bodies), so that it stays well within Matrix's 64 KiB event limit
// and a mailbox's patience.
constexpr size_t kMergedBytes = 24 * 1024;

std::string ReplaceAll(std::string text, std::string_view from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string Where(const Alert& a) {
  if (a.key.node.empty()) return a.key.site.empty() ? std::string("Vigie") : fmt::format("home {}", Name(a.key.site));
  return fmt::format("{} (home {})", Name(a.key.node), Name(a.key.site));
}

// Ends `text` with a full stop unless it already ends a sentence ("power loss?").
std::string Sentence(const std::string& text) {
  if (!text.empty() && (text.back() == '.' || text.back() == '?' || text.back() == '!')) return text;
  return text + ".";
}

// The first line of an event.
std::string Headline(const AlertEvent& e) {
  const Alert& a = e.alert;
  const std::string summary = Sentence(Clean(a.summary));
  switch (e.kind) {
    case EventKind::kResolved:
      return fmt::format("RESOLVED {}: fine again since {} (it lasted {}).", Title(a), FormatTime(e.at_ms, e.at_ms),
                         FormatDuration(e.at_ms - a.started_ms));
    case EventKind::kUpdate:
      return fmt::format("UPDATE {}: {}", Title(a), summary);
    case EventKind::kReminder:
      return fmt::format("STILL FIRING {}: {}", Title(a), summary);
    case EventKind::kEscalation:
      return fmt::format("UNACKNOWLEDGED for {}: {}: {}", FormatDuration(e.at_ms - a.fired_ms), Title(a), summary);
    case EventKind::kFiring:
      break;
  }
  return fmt::format("{}: {}", a.severity == Severity::kCritical ? "CRITICAL" : "WARNING", summary);
}

// "... and 12 more changes": the end of a merged message cut at kMergedBytes.
std::string MoreChanges(size_t left) {
  return fmt::format("... and {} more change{} (`vigiectl alerts` lists them all).", left, left == 1 ? "" : "s");
}

}  // namespace

std::string_view EventKindWord(EventKind kind) {
  switch (kind) {
    case EventKind::kFiring: return "FIRING";
    case EventKind::kUpdate: return "UPDATE";
    case EventKind::kReminder: return "REMINDER";
    case EventKind::kEscalation: return "UNACKNOWLEDGED";
    case EventKind::kResolved: return "RESOLVED";
  }
  return "FIRING";
}

std::string Title(const Alert& a) {
  const std::string& k = a.key.rule;
  const std::string n = Name(a.key.node);
  const std::string site = Name(a.key.site);
  const std::string subject = Name(a.key.subject);
  if (a.key.subject == kMoreSubject) return fmt::format("{}: more {}", n, FoldedWhat(k));
  if (k == kRuleNodeOffline) return fmt::format("{} offline", n);
  if (k == kRuleSiteOffline) return fmt::format("site {} offline", site);
  if (k == kRuleUnexpectedReboot) return fmt::format("{} restarted unexpectedly", n);
  if (k == kRuleSmartFailing) return fmt::format("{} disk {} failing", n, subject);
  if (k == kRuleDiskDegrading) return fmt::format("{} disk {} degrading", n, subject);
  if (k == kRuleTemperature) return fmt::format("{} too hot ({})", n, subject);
  if (k == kRuleFilesystemFull) return fmt::format("{} filesystem {} nearly full", n, subject);
  if (k == kRuleSourceUnreadable) return fmt::format("{} cannot read {}", n, subject);
  if (k == kRuleClockWrong) return fmt::format("{} clock wrong", n);
  if (k == kRuleNotificationsFailing) return fmt::format("{} notifications failing", subject);
  if (k == kRuleOutboxExpired) return fmt::format("{} notifications lost", subject);
  if (k == kRuleTestMessage) return fmt::format("test message for home {}", site);
  return fmt::format("{} {} {}", n, Name(k), subject);
}

std::string EmailSubject(const AlertEvent& e) {
  return fmt::format("[vigie] {} {}", EventKindWord(e.kind), Title(e.alert));
}

std::string MergedEmailSubject(const std::vector<AlertEvent>& events) {
  if (events.empty()) return "[vigie]";
  if (events.size() == 1) return EmailSubject(events.front());
  const AlertEvent& first = events.front();
  const bool site_rebooted = std::all_of(events.begin(), events.end(), [&](const AlertEvent& e) {
    return e.kind == EventKind::kFiring && e.alert.key.rule == kRuleUnexpectedReboot &&
           e.alert.key.site == first.alert.key.site;
  });
  if (site_rebooted) {
    return fmt::format("[vigie] FIRING {} machines at {} restarted unexpectedly", events.size(),
                       Name(first.alert.key.site));
  }
  // "[vigie] 6 FIRING, 1 RESOLVED: rennes-1 filesystem /srv nearly full and 6 more",
  // named after an alert of its own rather than a folded one.
  const auto named = std::find_if(events.begin(), events.end(),
                                  [](const AlertEvent& e) { return e.alert.key.subject != kMoreSubject; });
  const AlertEvent& shown = named != events.end() ? *named : first;
  std::map<EventKind, size_t> kinds;
  for (const AlertEvent& e : events) ++kinds[e.kind];
  std::vector<std::string> counts;
  for (const auto& [kind, count] : kinds) counts.push_back(fmt::format("{} {}", count, EventKindWord(kind)));
  return fmt::format("[vigie] {}: {} and {} more", fmt::join(counts, ", "), Title(shown.alert), events.size() - 1);
}

std::string DashboardLink(const std::string& grafana_url, const Alert& a) {
  if (grafana_url.empty() || a.key.node.empty()) return "";
  return ReplaceAll(ReplaceAll(grafana_url, "{node}", a.key.node), "{site}", a.key.site);
}

std::string PlainText(const AlertEvent& e, const std::string& grafana_url) {
  const Alert& a = e.alert;
  std::string text = Headline(e);
  text += fmt::format("\nWhere: {}", Where(a));
  text += fmt::format("\nSince: {} ({} ago)", FormatTime(a.started_ms, e.at_ms), FormatDuration(e.at_ms - a.started_ms));
  if (e.kind != EventKind::kResolved && !a.advice.empty()) text += fmt::format("\nWhat to check: {}", Clean(a.advice));
  if (const std::string link = DashboardLink(grafana_url, a); !link.empty()) text += "\nDashboard: " + link;
  return text;
}

std::string MergedPlainText(const std::vector<AlertEvent>& events, const std::string& grafana_url) {
  if (events.size() == 1) return PlainText(events.front(), grafana_url);
  std::string text = fmt::format("Vigie: {} changes", events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const std::string part = "\n\n" + PlainText(events[i], grafana_url);
    if (i > 0 && text.size() + part.size() > kMergedBytes) {
      text += "\n\n" + MoreChanges(events.size() - i);
      break;
    }
    text += part;
  }
  return text;
}

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string MergedHtml(const std::vector<AlertEvent>& events, const std::string& grafana_url) {
  std::string html;
  if (events.size() > 1) html += fmt::format("<p><b>Vigie: {} changes</b></p>", events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const AlertEvent& e = events[i];
    const Alert& a = e.alert;
    std::string part = fmt::format("<p><b>{}</b><br>Where: {}<br>Since: {} ({} ago)", HtmlEscape(Headline(e)),
                                   HtmlEscape(Where(a)), FormatTime(a.started_ms, e.at_ms),
                                   FormatDuration(e.at_ms - a.started_ms));
    if (e.kind != EventKind::kResolved && !a.advice.empty()) {
      part += "<br>What to check: " + HtmlEscape(Clean(a.advice));
    }
    if (const std::string link = DashboardLink(grafana_url, a); !link.empty()) {
      part += fmt::format("<br><a href=\"{}\">Dashboard</a>", HtmlEscape(link));
    }
    part += "</p>";
    if (i > 0 && html.size() + part.size() > kMergedBytes) {
      html += "<p>" + HtmlEscape(MoreChanges(events.size() - i)) + "</p>";
      break;
    }
    html += part;
  }
  return html;
}

std::string FiringMessageId(const Alert& a, const std::string& domain) {
  return fmt::format("<alert-{}-{}@{}>", a.id, a.started_ms, domain);
}

std::string EventMessageId(const AlertEvent& e, const std::string& domain) {
  if (e.kind == EventKind::kFiring) return FiringMessageId(e.alert, domain);
  return fmt::format("<alert-{}-{}-{}-{}@{}>", e.alert.id, e.alert.started_ms,
                     fmt::format("{}", EventKindWord(e.kind)), e.at_ms, domain);
}

}  // namespace vigie::alerting
