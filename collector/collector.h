// The collector wired together: store, fleet state, ingest and HTTP routes.
// main.cc only parses options and waits for a signal.
#pragma once

#include <memory>

#include "collector/collector_config.h"
#include "collector/fleet_state.h"
#include "collector/http_server.h"
#include "collector/ingest.h"
#include "collector/store.h"
#include "common/result.h"

namespace vigie::collector {

class Collector {
 public:
  explicit Collector(CollectorConfig config);

  // Opens the store, loads the fleet's state and starts serving.
  Result<void> Start();
  uint16_t port() const { return server_ ? server_->port() : 0; }

  // Routes one request; public for tests that need no socket.
  HttpResponse Handle(const HttpRequest& request);

 private:
  CollectorConfig config_;
  std::unique_ptr<Store> store_;
  FleetState state_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<HttpServer> server_;
};

int64_t NowUnixMs();

}  // namespace vigie::collector
