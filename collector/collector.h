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

  // Opens the store and loads the fleet's state, without serving.
  Result<void> Open();
  // Open(), then serves on the configured address.
  Result<void> Start();
  uint16_t port() const { return server_ ? server_->port() : 0; }

  // Routes one request; public for tests that need no socket.
  HttpResponse Handle(const HttpRequest& request);

  Store& store() { return *store_; }

 private:
  CollectorConfig config_;
  std::unique_ptr<Store> store_;
  FleetState state_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<HttpServer> server_;
  size_t known_nodes_ = 0;
};

int64_t NowUnixMs();

}  // namespace vigie::collector
