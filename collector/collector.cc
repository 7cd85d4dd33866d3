#include "collector/collector.h"

#include <malloc.h>

#include <chrono>
#include <climits>
#include <optional>

#include <fmt/format.h>

#include "collector/front_metrics.h"
#include "collector/metrics_page.h"
#include "collector/remote_write_metrics.h"
#include "common/log.h"

namespace vigie::collector {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Collector::Collector(CollectorConfig config) : config_(std::move(config)) {}

Collector::~Collector() { server_.reset(); }

Result<void> Collector::Open() {
  std::error_code ignored;
  std::filesystem::create_directories(config_.database.parent_path(), ignored);
  Result<std::unique_ptr<Store>> store = Store::Open(config_.database);
  if (!store) return tl::unexpected(store.error());
  store_ = std::move(*store);
  Result<std::vector<NodeRecord>> nodes = store_->LoadNodes();
  if (!nodes) return tl::unexpected(nodes.error());
  for (NodeRecord& node : *nodes) {
    const std::string bytes = node.last_report.SerializeAsString();
    state_.Update(node.node_id, node.last_seen_ms, &node.last_report, bytes, node.facts);
  }
  alerting::Notifiers notifiers;
  if (config_.alerting.matrix) {
    matrix_ = std::make_unique<alerting::MatrixNotifier>(*config_.alerting.matrix);
    notifiers.matrix = matrix_.get();
  }
  if (config_.alerting.smtp) {
    mail_ = std::make_unique<alerting::MailNotifier>(*config_.alerting.smtp);
    notifiers.email = mail_.get();
  }
  if (config_.alerting.alertmanager) {
    alertmanager_ = std::make_unique<alerting::AlertmanagerNotifier>(*config_.alerting.alertmanager);
    notifiers.alertmanager = alertmanager_.get();
  }
  Result<std::unique_ptr<alerting::Engine>> engine = alerting::Engine::Open(config_.alerting, config_.database, notifiers);
  if (!engine) return tl::unexpected(engine.error());
  alerts_ = std::move(*engine);

  committer_ = std::make_unique<GroupCommitter>(
      *store_, 256, [this](std::span<const BatchWrite> writes, std::span<const StoredBatch> stored) {
        OnCommitted(writes, stored);
      });
  ingest_ = std::make_unique<Ingest>(config_, *committer_, state_);
  api_ = std::make_unique<Api>(config_, state_, alerts_.get());
  // Offline detection, pending -> firing, repeats and delivery: the engine's
  // Tick may block on a notifier's timeout, so it has a thread of its own.
  alert_ticks_ = std::jthread([this](std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    while (!stop.stop_requested()) {
      alerts_->Tick(NowUnixMs());
      last_tick_ms_ = SteadyMs();
      wake.wait_for(lock, stop, config_.alerting.tick, [] { return false; });
    }
  });
  known_nodes_ = nodes->size();
  // WAL checkpoints off the commits: each one writes and fsyncs the
  // database file, tens of ms that a push would otherwise wait for. The same
  // thread gives the heap's free pages back once a second: under many
  // concurrent pushes the arenas keep 15-30 MiB free between live blocks
  // at 10 000 nodes, which glibc returns on its own only from a heap's top
  // (malloc_trim: 1.5 ms median, 4.5 ms at most, BENCHMARKS.md).
  checkpoints_ = std::jthread([this](std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    bool failing = false;  // logged once per change
    while (!stop.stop_requested()) {
      wake.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; });
      if (stop.stop_requested()) break;
      malloc_trim(0);
      const Result<void> done = store_->Checkpoint();
      if (!done && !failing) LogWarning("{}", done.error().message);
      if (done && failing) LogInfo("WAL checkpoints work again");
      failing = !done;
    }
  });
  housekeeping_ = std::jthread([this](std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    while (!stop.stop_requested()) {
      wake.wait_for(lock, stop, std::chrono::minutes(1), [] { return false; });
      if (!stop.stop_requested()) Housekeep(NowUnixMs());
    }
  });
  return {};
}

void Collector::OnCommitted(std::span<const BatchWrite> writes, std::span<const StoredBatch> stored) {
  static const std::string kNoSite;
  std::vector<alerting::ReportArrival> arrivals;
  for (size_t i = 0; i < writes.size(); ++i) {
    const auto node = config_.nodes.find(*writes[i].node_id);
    const std::string& site = node != config_.nodes.end() ? node->second.site : kNoSite;
    // A push of one report is a fresh one (as the store judges it): its date
    // against its arrival is the node's clock skew, which the rules check.
    std::optional<int64_t> clock_skew_ms;
    if (writes[i].batch->reports_size() == 1) {
      const int64_t timestamp_ms = writes[i].batch->reports(0).timestamp_unix_ms();
      int64_t skew_ms = 0;
      clock_skew_ms = __builtin_sub_overflow(timestamp_ms, writes[i].received_ms, &skew_ms)
                          ? (timestamp_ms < 0 ? INT64_MIN : INT64_MAX)
                          : skew_ms;
    }
    for (int index : stored[i].stored_indices) {
      arrivals.push_back({writes[i].node_id, &site, &writes[i].batch->reports(index), writes[i].received_ms,
                          clock_skew_ms});
    }
  }
  if (arrivals.empty()) return;
  alerts_->OnReports(arrivals);
  if (remote_writer_) remote_writer_->Notify();
}

int64_t Collector::Housekeep(int64_t now_ms) {
  constexpr int kStep = 1000;
  const int64_t before_ms = now_ms - config_.history.count();
  int64_t pruned = 0;
  while (true) {
    const Result<int64_t> step = store_->PruneReports(before_ms, kStep);
    if (!step) {
      LogError("cannot prune old reports: {}", step.error().message);
      break;
    }
    pruned += *step;
    if (*step < kStep) break;
    // Let waiting pushes take the store between steps.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (pruned > 0) LogInfo("pruned {} report(s) received before the {}-day history", pruned, config_.history.count() / 86'400'000);
  return pruned;
}

Result<void> Collector::Start() {
  // glibc gives each thread that contends for the heap an arena of its own,
  // up to 8 per core: with dozens of HTTP threads, memory freed in one arena
  // is not reused by the others. Two cores need no more than a few.
  mallopt(M_ARENA_MAX, 4);
  if (Result<void> opened = Open(); !opened) return opened;
  if (config_.remote_write.enabled) {
    remote_writer_ = std::make_unique<RemoteWriter>(config_, config_.remote_write);
    if (Result<void> started = remote_writer_->Start(); !started) return started;
  } else if (Result<void> removed = RemoteWriteLog::Uninstall(config_.database); !removed) {
    // Off: its queue must not grow by a row per report.
    LogWarning("{}", removed.error().message);
  }
  HttpServerOptions options;
  options.host = config_.listen_host;
  options.port = config_.listen_port;
  options.max_body_bytes = config_.max_body_bytes;
  options.threads = config_.http_threads;
  options.connection_timeout_seconds = static_cast<unsigned>(config_.connection_timeout.count() / 1000);
  options.max_connections_per_address = config_.max_connections_per_address;
  options.max_connections = config_.max_connections;
  options.header_timeout = config_.header_timeout;
  // A push with an unknown token is refused from its headers: its body is
  // dropped as it arrives, never kept nor parsed.
  options.answer_early = [this](const HttpRequest& request) -> std::optional<HttpResponse> {
    if (request.path != "/v1/push" || request.method != "POST") return std::nullopt;
    return ingest_->RefuseUnknownToken(request.authorization);
  };
  options.tls_cert_pem = config_.tls_cert_pem;
  options.tls_key_pem = config_.tls_key_pem;
  server_ = std::make_unique<HttpServer>(options, [this](const HttpRequest& request) { return Handle(request); });
  if (Result<void> started = server_->Start(); !started) return started;
  LogInfo("listening on {}://{}:{} ({} node(s) configured, {} known, store {})",
          config_.tls_cert_pem.empty() ? "http" : "https",
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
    const Result<std::vector<alerting::Alert>> active = alerts_->ListAlerts(/*include_resolved=*/false);
    const Result<std::vector<alerting::OutboxEntry>> outbox = alerts_->ListOutbox();
    size_t queued = 0;
    if (outbox) {
      for (const alerting::OutboxEntry& entry : *outbox) queued += entry.state == alerting::OutboxState::kQueued;
    }
    std::string alert_metrics = RenderAlertMetrics(config_, active ? *active : std::vector<alerting::Alert>{}, queued,
                                                   alerts_->DatabaseErrors());
    std::string remote_write_metrics = remote_writer_ ? RenderRemoteWriteMetrics(remote_writer_->stats()) : "";
    // Streamed: a large fleet's page is never held whole. The render's
    // thread owns its snapshot; config_ and the counters outlive the server
    // (and so every response of it).
    HttpResponse response{HttpStatus::kOk, "text/plain; version=0.0.4; charset=utf-8", "", {}};
    response.stream = StreamPage([this, nodes = state_.MetricsSnapshot(), commits = committer_->stats(),
                                  now_ms = NowUnixMs(), alert_metrics = std::move(alert_metrics),
                                  remote_write_metrics = std::move(remote_write_metrics)](Exposition& page) {
      RenderMetrics(config_, nodes, ingest_->counters(), commits, now_ms, page);
      RenderFrontMetrics(ingest_->counters(), server_->connections(), page);
      page.Raw(alert_metrics);
      page.Raw(remote_write_metrics);
    });
    return response;
  }
  if (request.path == "/healthz") return TextResponse(HttpStatus::kOk, "ok");
  if (std::optional<HttpResponse> answer = api_->Handle(request, NowUnixMs())) return std::move(*answer);
  return TextResponse(HttpStatus::kNotFound, fmt::format("no such endpoint: {}", request.path));
}

}  // namespace vigie::collector
