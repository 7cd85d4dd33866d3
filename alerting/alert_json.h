// JSON for the collector's API (/v1/alerts, /v1/silences) and vigiectl:
// arrays of objects, times in milliseconds since the Unix epoch, 0 = never.
//
//   {"id": 3, "rule": "node_offline", "site": "rennes", "node": "rennes-2", "subject": "",
//    "severity": "warning", "state": "firing", "summary": "...", "started_ms": ..., "fired_ms": ...,
//    "resolved_ms": 0, "acked_by": "", "acked_ms": 0, "escalated": false}
//   {"id": 1, "rule": "", "site": "", "node": "rennes-1", "until_ms": ..., "reason": "...",
//    "created_by": "...", "created_ms": ...}
#pragma once

#include <string>
#include <vector>

#include "alerting/alert.h"
#include "alerting/alert_db.h"

namespace vigie::alerting {

std::string AlertsJson(const std::vector<Alert>& alerts);
std::string SilencesJson(const std::vector<Silence>& silences);

}  // namespace vigie::alerting
