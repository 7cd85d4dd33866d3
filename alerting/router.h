// Routing: who hears of an event, on which channel, as which outbox entries.
// Pure: no I/O, no clock (the caller stamps created_ms).
//
//  - An alert of a site with members goes to them (each member's Matrix room,
//    Matrix user and e-mail address); the admins also get it when it is
//    critical or was escalated, and get escalations alone. An alert of no
//    site (or of a site without members) goes to the admins.
//  - "notifications failing" for a channel goes through the other channels.
//  - Matrix: every event for one room becomes one merged message.
//  - E-mail: one message per event and address, threaded under the alert's
//    firing message (message.h); unexpected reboots of one site in one batch
//    make one mail per address.
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
