// Routing: who hears of an event, on which channel, as which outbox entries.
// Pure: no I/O, no clock (the caller stamps created_ms).
//
//  - An alert of a site with members goes to them (each member's Matrix room,
//    Matrix user and e-mail address); the admins also get it when it is
//    critical or was escalated, and get escalations alone. An alert of no
//    site (or of a site without members) goes to the admins.
//  - "notifications failing" for a channel goes through the other channels.
//  - "clock wrong" goes to the admins only: a member can do nothing about it.
//  - Every target (Matrix room or user, e-mail address) gets one message
//    carrying all its events of the call, in order (MergedPlainText), so that
//    200 full filesystems or a site's reboots make one message, not 200.
//    A mail of one event threads under its alert's firing mail (message.h);
//    a merged one takes the id of its first firing event and references the
//    firing mails of the alerts whose later events it carries (at most 8).
#pragma once

#include <string>
#include <vector>

#include "alerting/alerting_config.h"
#include "alerting/message.h"
#include "alerting/outbox_entry.h"

namespace vigie::alerting {

struct Channels {
  bool matrix = false;
  bool email = false;
};

// `mail_domain` is the right-hand side of Message-IDs.
std::vector<OutboxEntry> Route(const AlertingConfig& config, const std::vector<AlertEvent>& events,
                               Channels channels, const std::string& mail_domain);

}  // namespace vigie::alerting
