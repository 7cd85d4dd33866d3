#include "alerting/router.h"

#include <map>
#include <set>
#include <utility>

namespace vigie::alerting {
namespace {

using Target = std::pair<Channel, std::string>;

}  // namespace

std::vector<OutboxEntry> Route(const AlertingConfig& config, const std::vector<AlertEvent>& events,
                               Channels channels, const std::string& mail_domain) {
  std::map<Target, std::vector<AlertEvent>> matrix_batches;
  // Unexpected reboots of one site: one mail per address and site ("power loss?").
  std::map<std::pair<Target, std::string>, std::vector<AlertEvent>> reboot_mails;
  std::map<std::pair<Target, std::string>, bool> reboot_admin_only;
  std::map<Target, bool> admin_only;
  std::vector<OutboxEntry> entries;
  for (const AlertEvent& event : events) {
    const Alert& a = event.alert;
    const Site* site = a.key.site.empty() ? nullptr : config.FindSite(a.key.site);
    const bool to_members = event.kind != EventKind::kEscalation && site != nullptr && !site->members.empty();
    const bool to_admins = !to_members || event.kind == EventKind::kEscalation ||
                           a.severity == Severity::kCritical || a.escalated;
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
      if (target.first == Channel::kMatrix) {
        matrix_batches[target].push_back(event);
        auto [it, inserted] = admin_only.emplace(target, admin);
        if (!inserted) it->second = it->second && admin;
        continue;
      }
      if (a.key.rule == kRuleUnexpectedReboot) {
        const auto key = std::make_pair(target, a.key.site);
        reboot_mails[key].push_back(event);
        auto [it, inserted] = reboot_admin_only.emplace(key, admin);
        if (!inserted) it->second = it->second && admin;
        continue;
      }
      OutboxEntry e;
      e.channel = Channel::kEmail;
      e.target = target.second;
      e.subject = EmailSubject(event);
      e.text = PlainText(event, config.grafana_url);
      e.message_id = EventMessageId(event, mail_domain);
      if (event.kind != EventKind::kFiring) e.references = FiringMessageId(a, mail_domain);
      e.to_admins = admin;
      entries.push_back(std::move(e));
    }
  }
  for (const auto& [key, batch] : reboot_mails) {
    OutboxEntry e;
    e.channel = Channel::kEmail;
    e.target = key.first.second;
    e.subject = batch.size() == 1 ? EmailSubject(batch.front())
                                  : "[vigie] FIRING " + std::to_string(batch.size()) + " machines at " + key.second +
                                        " restarted unexpectedly";
    e.text = MergedPlainText(batch, config.grafana_url);
    e.message_id = EventMessageId(batch.front(), mail_domain);
    e.to_admins = reboot_admin_only[key];
    entries.push_back(std::move(e));
  }
  for (const auto& [target, batch] : matrix_batches) {
    OutboxEntry e;
    e.channel = Channel::kMatrix;
    e.target = target.second;
    e.subject = EmailSubject(batch.front());
    e.text = MergedPlainText(batch, config.grafana_url);
    e.html = MergedHtml(batch, config.grafana_url);
    e.to_admins = admin_only[target];
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace vigie::alerting
