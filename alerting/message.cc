#include "alerting/message.h"

#include <fmt/format.h>

#include "alerting/rules.h"

namespace vigie::alerting {
namespace {

std::string ReplaceAll(std::string text, std::string_view from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string Where(const Alert& a) {
  if (a.key.node.empty()) return a.key.site.empty() ? std::string("Vigie") : fmt::format("home {}", a.key.site);
  return fmt::format("{} (home {})", a.key.node, a.key.site);
}

// Ends `text` with a full stop unless it already ends a sentence ("power loss?").
std::string Sentence(const std::string& text) {
  if (!text.empty() && (text.back() == '.' || text.back() == '?' || text.back() == '!')) return text;
  return text + ".";
}

// The first line of an event.
std::string Headline(const AlertEvent& e) {
  const Alert& a = e.alert;
  switch (e.kind) {
    case EventKind::kResolved:
      return fmt::format("RESOLVED {}: fine again since {} (it lasted {}).", Title(a), FormatTime(e.at_ms, e.at_ms),
                         FormatDuration(e.at_ms - a.started_ms));
    case EventKind::kUpdate:
      return fmt::format("UPDATE {}: {}", Title(a), Sentence(a.summary));
    case EventKind::kReminder:
      return fmt::format("STILL FIRING {}: {}", Title(a), Sentence(a.summary));
    case EventKind::kEscalation:
      return fmt::format("UNACKNOWLEDGED for {}: {}: {}", FormatDuration(e.at_ms - a.fired_ms), Title(a),
                         Sentence(a.summary));
    case EventKind::kFiring:
      break;
  }
  return fmt::format("{}: {}", a.severity == Severity::kCritical ? "CRITICAL" : "WARNING", Sentence(a.summary));
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
  const std::string& n = a.key.node;
  if (k == kRuleNodeOffline) return fmt::format("{} offline", n);
  if (k == kRuleSiteOffline) return fmt::format("site {} offline", a.key.site);
  if (k == kRuleUnexpectedReboot) return fmt::format("{} restarted unexpectedly", n);
  if (k == kRuleSmartFailing) return fmt::format("{} disk {} failing", n, a.key.subject);
  if (k == kRuleDiskDegrading) return fmt::format("{} disk {} degrading", n, a.key.subject);
  if (k == kRuleTemperature) return fmt::format("{} too hot ({})", n, a.key.subject);
  if (k == kRuleFilesystemFull) return fmt::format("{} filesystem {} nearly full", n, a.key.subject);
  if (k == kRuleSourceUnreadable) return fmt::format("{} cannot read {}", n, a.key.subject);
  if (k == kRuleNotificationsFailing) return fmt::format("{} notifications failing", a.key.subject);
  if (k == kRuleOutboxExpired) return fmt::format("{} notifications lost", a.key.subject);
  if (k == kRuleTestMessage) return fmt::format("test message for home {}", a.key.site);
  return fmt::format("{} {} {}", n, k, a.key.subject);
}

std::string EmailSubject(const AlertEvent& e) {
  return fmt::format("[vigie] {} {}", EventKindWord(e.kind), Title(e.alert));
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
  if (e.kind != EventKind::kResolved && !a.advice.empty()) text += fmt::format("\nWhat to check: {}", a.advice);
  if (const std::string link = DashboardLink(grafana_url, a); !link.empty()) text += "\nDashboard: " + link;
  return text;
}

std::string MergedPlainText(const std::vector<AlertEvent>& events, const std::string& grafana_url) {
  if (events.size() == 1) return PlainText(events.front(), grafana_url);
  std::string text = fmt::format("Vigie: {} changes", events.size());
  for (const AlertEvent& e : events) text += "\n\n" + PlainText(e, grafana_url);
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
  for (const AlertEvent& e : events) {
    const Alert& a = e.alert;
    html += fmt::format("<p><b>{}</b><br>Where: {}<br>Since: {} ({} ago)", HtmlEscape(Headline(e)),
                        HtmlEscape(Where(a)), FormatTime(a.started_ms, e.at_ms), FormatDuration(e.at_ms - a.started_ms));
    if (e.kind != EventKind::kResolved && !a.advice.empty()) {
      html += "<br>What to check: " + HtmlEscape(a.advice);
    }
    if (const std::string link = DashboardLink(grafana_url, a); !link.empty()) {
      html += fmt::format("<br><a href=\"{}\">Dashboard</a>", HtmlEscape(link));
    }
    html += "</p>";
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
