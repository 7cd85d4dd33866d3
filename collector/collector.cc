#include "collector/collector.h"

#include <chrono>

#include <fmt/format.h>

#include "collector/metrics_page.h"
#include "common/log.h"

namespace vigie::collector {

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Collector::Collector(CollectorConfig config) : config_(std::move(config)) {}

Result<void> Collector::Open() {
  std::error_code ignored;
  std::filesystem::create_directories(config_.database.parent_path(), ignored);
  Result<std::unique_ptr<Store>> store = Store::Open(config_.database);
  if (!store) return tl::unexpected(store.error());
  store_ = std::move(*store);
  Result<std::vector<NodeRecord>> nodes = store_->LoadNodes();
  if (!nodes) return tl::unexpected(nodes.error());
  for (NodeRecord& node : *nodes) {
    state_.Update(node.node_id, node.last_seen_ms, std::make_shared<const v1::Report>(std::move(node.last_report)));
  }
  ingest_ = std::make_unique<Ingest>(config_, *store_, state_);
  known_nodes_ = nodes->size();
  return {};
}

Result<void> Collector::Start() {
  if (Result<void> opened = Open(); !opened) return opened;
  HttpServerOptions options;
  options.host = config_.listen_host;
  options.port = config_.listen_port;
  options.max_body_bytes = config_.max_body_bytes;
  server_ = std::make_unique<HttpServer>(options, [this](const HttpRequest& request) { return Handle(request); });
  if (Result<void> started = server_->Start(); !started) return started;
  LogInfo("listening on http://{}:{} ({} node(s) configured, {} known, store {})",
          config_.listen_host.find(':') != std::string::npos ? "[" + config_.listen_host + "]" : config_.listen_host,
          server_->port(), config_.nodes.size(), known_nodes_, config_.database.string());
  return {};
}

HttpResponse Collector::Handle(const HttpRequest& request) {
  if (request.path == "/v1/push") {
    if (request.method != "POST") return TextResponse(HttpStatus::kMethodNotAllowed, "use POST");
    return ingest_->HandlePush(request.authorization, request.body, NowUnixMs());
  }
  if (request.path == "/metrics") {
    if (request.method != "GET") return TextResponse(HttpStatus::kMethodNotAllowed, "use GET");
    return HttpResponse{HttpStatus::kOk, "text/plain; version=0.0.4; charset=utf-8",
                        RenderMetrics(config_, state_.Snapshot(), ingest_->counters(), NowUnixMs())};
  }
  if (request.path == "/healthz") return TextResponse(HttpStatus::kOk, "ok");
  return TextResponse(HttpStatus::kNotFound, fmt::format("no such endpoint: {}", request.path));
}

}  // namespace vigie::collector
