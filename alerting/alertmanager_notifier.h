// Tells an Alertmanager about Vigie's alerts, for fleets that route with one:
// POST {url}/api/v2/alerts with a JSON array of postableAlert (Alertmanager
// API v2 OpenAPI, "postableAlerts"): labels alertname, rule, node, site,
// subject, severity; annotations summary and description; startsAt, endsAt
// (RFC 3339); generatorURL (the dashboard link) when there is one.
//
// Alertmanager resolves an alert by itself once its endsAt has passed, so the
// engine re-posts every firing alert each minute with endsAt a few minutes
// ahead, and a resolved one once with endsAt = the resolution time.
//
// Thread-safe. Each call blocks up to timeout_ms; failures are logged.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "alerting/alerting_config.h"
#include "alerting/notifier.h"

namespace vigie::alerting {

class AlertmanagerNotifier : public AlertSink {
 public:
  explicit AlertmanagerNotifier(AlertmanagerConfig config, int64_t timeout_ms = 10'000);
  bool Push(const std::vector<AlertmanagerAlert>& alerts) override;

 private:
  AlertmanagerConfig config_;
  int64_t timeout_ms_;
};

// The request body. Public for tests.
std::string AlertmanagerBody(const std::vector<AlertmanagerAlert>& alerts);
// "2025-11-24T16:00:00.000Z"
std::string Rfc3339(int64_t unix_ms);

}  // namespace vigie::alerting
