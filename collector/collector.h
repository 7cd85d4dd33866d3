// The collector wired together: store, fleet state, ingest and HTTP routes.
// main.cc only parses options and waits for a signal.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "alerting/alertmanager_notifier.h"
#include "alerting/engine.h"
#include "alerting/mail_notifier.h"
#include "alerting/matrix_notifier.h"
#include "collector/api.h"
#include "collector/collector_config.h"
#include "collector/fleet_state.h"
#include "collector/group_committer.h"
#include "collector/http_server.h"
#include "collector/ingest.h"
#include "collector/remote_writer.h"
#include "collector/store.h"
#include "common/result.h"

namespace vigie::collector {

class Collector {
 public:
  explicit Collector(CollectorConfig config);
  // Stops the HTTP server first: the pushes it holds are answered while the
  // committer, the alerting and the remote writer still run.
  ~Collector();

  // Opens the store and loads the fleet's state, without serving.
  Result<void> Open();
  // Open(), then serves on the configured address.
  Result<void> Start();
  uint16_t port() const { return server_ ? server_->port() : 0; }

  // Routes one request; public for tests that need no socket.
  HttpResponse Handle(const HttpRequest& request);

  Store& store() { return *store_; }
  // When the alerting thread last finished a tick (steady clock, ms): the
  // systemd watchdog is fed only while it is recent, so that a collector
  // whose alerting hangs is restarted.
  int64_t last_tick_ms() const { return last_tick_ms_.load(); }
  alerting::Engine& alerts() { return *alerts_; }

  // One round of housekeeping, as the background thread runs it every
  // minute: prunes reports older than the configured history, a thousand at
  // a time so that ingest never waits long. Returns how many were pruned.
  int64_t Housekeep(int64_t now_ms);

 private:
  // The group committer's AfterCommit: the newly stored reports of one
  // transaction to the alerting engine, in one call, and the remote writer
  // told of them.
  void OnCommitted(std::span<const BatchWrite> writes, std::span<const StoredBatch> stored);

  CollectorConfig config_;
  std::unique_ptr<Store> store_;
  FleetState state_;
  std::unique_ptr<alerting::MatrixNotifier> matrix_;
  std::unique_ptr<alerting::MailNotifier> mail_;
  std::unique_ptr<alerting::AlertmanagerNotifier> alertmanager_;
  std::unique_ptr<alerting::Engine> alerts_;
  // After alerts_: its writer hands each commit's reports to the engine, so
  // it stops first.
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> server_;
  size_t known_nodes_ = 0;
  std::unique_ptr<RemoteWriter> remote_writer_;
  std::atomic<int64_t> last_tick_ms_{0};
  // Declared last: they stop first, before what they use.
  std::jthread housekeeping_;
  std::jthread alert_ticks_;
  std::jthread checkpoints_;  // Store::Checkpoint every second
};

int64_t NowUnixMs();
int64_t SteadyMs();

}  // namespace vigie::collector
