#include "collector/remote_write_metrics.h"

#include "collector/exposition.h"

namespace vigie::collector {

std::string RenderRemoteWriteMetrics(const RemoteWriteStats& stats) {
  Exposition page;
  page.Family("vigie_remote_write_requests_total", "counter",
              "remote_write requests answered, by result (a refused request is split, each part counted).");
  page.Sample("result=\"delivered\"", static_cast<double>(stats.requests_delivered));
  page.Sample("result=\"refused\"", static_cast<double>(stats.requests_refused));
  page.Family("vigie_remote_write_retries_total", "counter",
              "remote_write attempts that failed and are retried: 5xx, 429, a wrong URL or credentials, timeouts, "
              "no connection.");
  page.Sample("", static_cast<double>(stats.attempts_failed));
  page.Family("vigie_remote_write_reports_sent_total", "counter",
              "Reports whose every sample was delivered, or refused and counted.");
  page.Sample("", static_cast<double>(stats.reports_sent));
  page.Family("vigie_remote_write_samples_sent_total", "counter", "Samples the receiver accepted.");
  page.Sample("", static_cast<double>(stats.samples_sent));
  page.Family("vigie_remote_write_samples_dropped_total", "counter",
              "Samples dropped, by reason: refused alone by the receiver, or a second value of a series at one "
              "timestamp (never sent).");
  page.Sample("reason=\"refused\"", static_cast<double>(stats.samples_refused));
  page.Sample("reason=\"conflicting_timestamp\"", static_cast<double>(stats.samples_conflicting));
  page.Family("vigie_remote_write_sent_bytes_total", "counter", "Compressed bytes of delivered requests.");
  page.Sample("", static_cast<double>(stats.bytes_sent));
  page.Family("vigie_remote_write_pending_reports", "gauge", "Stored reports not yet sent (the backlog).");
  page.Sample("", static_cast<double>(stats.pending_reports));
  return page.Take();
}

}  // namespace vigie::collector
