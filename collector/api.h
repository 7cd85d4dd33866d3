// The admins' JSON API, behind the admin token ([api] admin_token_file):
//
//   GET  /v1/nodes          every node: site, state, last seen, reboots, the
//                           hottest sensor, the disks' health
//   GET  /v1/nodes/{id}     that, plus the node's newest report in full
//
// 401 without the admin token, 403 when none is configured, 404 for an
// unknown node. Thread-safe; the answers are built from the fleet's state in
// memory, never from a scan of the store.
#pragma once

#include <optional>

#include "collector/collector_config.h"
#include "collector/fleet_state.h"
#include "collector/http_server.h"

namespace vigie::collector {

class Api {
 public:
  Api(const CollectorConfig& config, const FleetState& state);

  // The answer for an API path (/v1/... other than /v1/push), or nullopt.
  std::optional<HttpResponse> Handle(const HttpRequest& request, int64_t now_ms) const;

  // Whether `authorization` carries the admin token (constant time).
  bool Authorized(std::string_view authorization) const;

 private:
  const CollectorConfig& config_;
  const FleetState& state_;
};

// An answer with a JSON body.
HttpResponse JsonResponse(HttpStatus status, std::string json);

}  // namespace vigie::collector
