// Prometheus remote_write from the collector: sends every stored report's
// series (those of GET /metrics, see report_metrics.h) with the report's own
// timestamp, oldest stored first, to one remote-write 1.0 receiver
// (Prometheus, Mimir, VictoriaMetrics, Thanos Receive...).
//
// Its own thread: it polls the store's remote_write log every
// poll_interval (or at once after Notify()), sends up to
// max_reports_per_request reports or max_samples_per_request samples per
// request, records the request's range before sending it and moves its
// durable cursor (remote_write_log.h) only once the receiver answered: after
// a crash, the same request is sent again. Per the specification: 2xx
// delivered; 5xx, 429, 408, 3xx, timeouts and connection errors are
// retried, the same request again, after min_backoff doubling up to
// max_backoff. 401, 403, 404, 405 and 407 say the configuration is wrong
// (credentials, URL), not the samples: retried the same way and logged,
// until an admin fixes it. Any other 4xx refuses the samples: the request
// is never sent again as such, but split (remote_write_split.h) so that the
// samples of the request the receiver accepts still arrive, and only those
// it refuses alone are dropped, counted and logged. Nothing is lost while
// the receiver is down: the reports wait in the store (as long as the
// history keeps them).
//
// Sent: the series of the reports. Not sent: what only the collector knows
// at the moment it is asked, with no report behind it: vigie_node_up,
// vigie_node_last_seen_timestamp_seconds and the collector's own counters.
// A sample of "down" stamped with the send time would contradict the
// reports of that very interval that the node delivers after an outage; in
// the receiver, a node's liveness is the presence of its samples, e.g.
// `absent_over_time(vigie_node_uptime_seconds{node="x"}[5m])`, and
// vigie_node_report_timestamp_seconds is sent with every report.
//
// Thread safety: Start, Stop and the destructor from one thread; Notify,
// stats and WaitForStats from any.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "collector/collector_config.h"
#include "collector/remote_write_config.h"
#include "collector/remote_write_log.h"
#include "common/result.h"
#include "prometheus_remote.pb.h"

namespace vigie::collector {

// Since the writer started. Requests count every part of a split request.
struct RemoteWriteStats {
  uint64_t requests_delivered = 0;   // answered 2xx
  uint64_t requests_refused = 0;     // answered a refusing 4xx: split, or its one sample dropped
  uint64_t attempts_failed = 0;      // 5xx, 429, 3xx, a configuration 4xx, timeout, no connection: retried
  uint64_t reports_sent = 0;         // of settled requests: every sample delivered, or refused and counted
  uint64_t samples_sent = 0;         // delivered
  uint64_t samples_refused = 0;      // refused alone by the receiver: dropped
  uint64_t samples_conflicting = 0;  // not sent: a series' second value at one timestamp (BuiltWriteRequest)
  uint64_t bytes_sent = 0;           // compressed bodies of delivered requests
  uint64_t raw_bytes_sent = 0;       // the same, before snappy
  int64_t pending_reports = 0;       // logged and not yet settled, as of the last look at the log
  std::string last_error;            // the last failure or refusal, for logs and tests
};

// What a receiver's answer means for the request that got it.
enum class RemoteWriteVerdict { kDelivered, kRefused, kRetry };
RemoteWriteVerdict VerdictForStatus(unsigned http_status);

class RemoteWriter {
 public:
  // `collector` gives the database and each node's site (its node labels).
  RemoteWriter(const CollectorConfig& collector, RemoteWriteConfig config);
  ~RemoteWriter();  // Stop()
  RemoteWriter(const RemoteWriter&) = delete;
  RemoteWriter& operator=(const RemoteWriter&) = delete;

  // Opens its log in the collector's database (which the Store created) and
  // starts the thread. An error means the database could not be opened or
  // altered; nothing was started.
  Result<void> Start();
  // Stops the thread, aborting a request in flight (its reports stay
  // queued). Idempotent.
  void Stop();
  // Look for new reports now rather than at the next poll (e.g. after ingest).
  void Notify();

  RemoteWriteStats stats() const;
  // Waits until `done(stats())` or `timeout`; returns the last done() value.
  bool WaitForStats(const std::function<bool(const RemoteWriteStats&)>& done, std::chrono::milliseconds timeout) const;

 private:
  struct Curl;
  void Run();
  // Sends `request`, and the parts of it when it is refused, until every
  // sample is delivered or refused alone, then counts its `reports` sent.
  // False when stopping.
  bool Deliver(prometheus::WriteRequest request, size_t reports, const std::string& what);
  // Counts and logs a failed attempt or step; waits the backoff. False when stopping.
  bool BackOff(const std::string& what);
  // Sleeps up to `duration` (a poll ends early on Notify, a backoff does
  // not); false when stopping.
  bool Sleep(std::chrono::milliseconds duration, bool until_notified);
  bool stopping() const { return stopping_.load(); }
  void UpdateStats(const std::function<void(RemoteWriteStats&)>& change);

  CollectorConfig collector_;
  RemoteWriteConfig config_;
  std::unique_ptr<RemoteWriteLog> log_;
  std::unique_ptr<Curl> curl_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool notified_ = false;
  std::chrono::milliseconds backoff_{0};
  bool failing_ = false;  // log a failure once, and the recovery once
  mutable std::mutex stats_mutex_;
  mutable std::condition_variable stats_changed_;
  RemoteWriteStats stats_;
};

}  // namespace vigie::collector
