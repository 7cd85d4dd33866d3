// The admins' JSON API, behind the admin token ([api] admin_token_file):
//
//   GET  /v1/nodes                 every node: site, state, last seen, reboots,
//                                  the hottest sensor, the disks' health
//   GET  /v1/nodes/{id}            that, plus the node's newest report in full
//   GET  /v1/alerts[?all=1]        firing and pending alerts (all: resolved too)
//   POST /v1/alerts/{id}/ack?by=X  acknowledge: no more repeats or escalation
//   GET  /v1/silences              silences in force
//   POST /v1/silences?until_ms=T&reason=R&by=X[&node=N][&site=S][&rule=U]
//   DELETE /v1/silences/{id}       end a silence now
//   POST /v1/test-alert?site=S     a test message to the site's members
//
// 401 without the admin token, 403 when none is configured, 404 for an
// unknown node. Thread-safe; the answers are built from the fleet's state in
// memory, never from a scan of the store.
#pragma once

#include <optional>

#include "alerting/engine.h"
#include "collector/collector_config.h"
#include "collector/fleet_state.h"
#include "collector/http_server.h"

namespace vigie::collector {

class Api {
 public:
  Api(const CollectorConfig& config, const FleetState& state, alerting::Engine* alerts);

  // The answer for an API path (/v1/... other than /v1/push), or nullopt.
  std::optional<HttpResponse> Handle(const HttpRequest& request, int64_t now_ms) const;

  // Whether `authorization` carries the admin token (constant time).
  bool Authorized(std::string_view authorization) const;

 private:
  std::optional<HttpResponse> HandleAlerts(const HttpRequest& request, int64_t now_ms) const;

  const CollectorConfig& config_;
  const FleetState& state_;
  alerting::Engine* alerts_;
};

// An answer with a JSON body.
HttpResponse JsonResponse(HttpStatus status, std::string json);

}  // namespace vigie::collector
