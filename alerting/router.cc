#include "alerting/router.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

namespace vigie::alerting {
namespace {

using Target = std::pair<Channel, std::string>;

// RFC 5322 section 3.6.4 asks no bound of References, but a header line must
// stay under 998 characters; a merged mail names the first few parents only.
constexpr size_t kMaxReferences = 8;

// Message-ID and References of one mail carrying `batch`: a single event keeps
// its own ids; a merged mail takes the firing id of its first firing event
// (so that later mails of that alert thread under it) and references the
// firing mails of the alerts whose later events it carries.
void ThreadMail(const std::vector<AlertEvent>& batch, const std::string& domain, OutboxEntry& e) {
  if (batch.size() == 1) {
    e.message_id = EventMessageId(batch.front(), domain);
    if (batch.front().kind != EventKind::kFiring) e.references = FiringMessageId(batch.front().alert, domain);
    return;
  }
  const auto firing = std::find_if(batch.begin(), batch.end(),
                                   [](const AlertEvent& event) { return event.kind == EventKind::kFiring; });
  e.message_id = EventMessageId(firing != batch.end() ? *firing : batch.front(), domain);
  std::vector<std::string> parents;
  for (const AlertEvent& event : batch) {
    if (event.kind == EventKind::kFiring || parents.size() == kMaxReferences) continue;
    std::string parent = FiringMessageId(event.alert, domain);
    if (std::find(parents.begin(), parents.end(), parent) == parents.end()) parents.push_back(std::move(parent));
  }
  e.references = fmt::format("{}", fmt::join(parents, " "));
}

}  // namespace

std::vector<OutboxEntry> Route(const AlertingConfig& config, const std::vector<AlertEvent>& events,
                               Channels channels, const std::string& mail_domain) {
  // One message per target (room, user or address) carrying its events in order.
  std::map<Target, std::vector<AlertEvent>> batches;
  std::map<Target, bool> admin_only;
  for (const AlertEvent& event : events) {
    const Alert& a = event.alert;
    const Site* site = a.key.site.empty() ? nullptr : config.FindSite(a.key.site);
    const bool for_admins_only = event.kind == EventKind::kEscalation || a.key.rule == kRuleClockWrong;
    const bool to_members = !for_admins_only && site != nullptr && !site->members.empty();
    const bool to_admins = !to_members || for_admins_only || a.severity == Severity::kCritical || a.escalated;
    std::set<Target> targets;
    std::set<Target> member_targets;
    const auto add = [&](const Member& m, bool member) {
      for (const std::string* address : {&m.matrix_room, &m.matrix_user}) {
        if (!address->empty() && channels.matrix) {
          targets.emplace(Channel::kMatrix, *address);
          if (member) member_targets.emplace(Channel::kMatrix, *address);
        }
      }
      if (!m.email.empty() && channels.email) {
        targets.emplace(Channel::kEmail, m.email);
        if (member) member_targets.emplace(Channel::kEmail, m.email);
      }
    };
    if (to_members) {
      for (const Member& m : site->members) add(m, true);
    }
    if (to_admins) {
      for (const Member& m : config.admins) add(m, false);
    }
    for (const Target& target : targets) {
      if (a.key.rule == kRuleNotificationsFailing && ChannelName(target.first) == a.key.subject) continue;
      const bool admin = !member_targets.contains(target);
      batches[target].push_back(event);
      auto [it, inserted] = admin_only.emplace(target, admin);
      if (!inserted) it->second = it->second && admin;
    }
  }
  std::vector<OutboxEntry> entries;
  for (const auto& [target, batch] : batches) {
    OutboxEntry e;
    e.channel = target.first;
    e.target = target.second;
    e.subject = MergedEmailSubject(batch);
    e.text = MergedPlainText(batch, config.grafana_url);
    e.to_admins = admin_only[target];
    if (target.first == Channel::kMatrix) {
      e.html = MergedHtml(batch, config.grafana_url);
    } else {
      ThreadMail(batch, mail_domain, e);
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace vigie::alerting
