#include "collector/metrics_page.h"

#include <malloc.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "collector/report_metrics.h"

namespace vigie::collector {
namespace {

// The producer renders into chunks; Read hands them out in order. At most
// kAhead chunks wait: the render blocks until the socket catches up.
class PageStream : public BodyStream {
 public:
  explicit PageStream(std::function<void(Exposition&)> render)
      : producer_([this, render = std::move(render)]() mutable { Produce(std::move(render)); }) {}

  ~PageStream() override {
    {
      std::lock_guard lock(mutex_);
      abandoned_ = true;
    }
    changed_.notify_all();
    producer_.join();
  }

  size_t Read(std::span<char> out) override { return Next(out, /*wait=*/true); }
  size_t TryRead(std::span<char> out) override { return Next(out, /*wait=*/false); }

  void WhenReady(std::function<void()> ready) override {
    {
      std::lock_guard lock(mutex_);
      if (ready_.empty() && !finished_) {
        wake_ = std::move(ready);
        return;
      }
    }
    ready();
  }

 private:
  static constexpr size_t kAhead = 4;

  size_t Next(std::span<char> out, bool wait) {
    while (offset_ == current_.size()) {
      std::unique_lock lock(mutex_);
      if (wait) {
        changed_.wait(lock, [&] { return !ready_.empty() || finished_; });
      } else if (ready_.empty() && !finished_) {
        return kNotReady;
      }
      if (ready_.empty()) return 0;
      current_ = std::move(ready_.front());
      ready_.pop_front();
      offset_ = 0;
      changed_.notify_all();
    }
    const size_t n = std::min(out.size(), current_.size() - offset_);
    std::memcpy(out.data(), current_.data() + offset_, n);
    offset_ += n;
    return n;
  }

  void Produce(std::function<void(Exposition&)> render) {
    {
      Exposition page([this](std::string& piece) { return Hand(std::move(piece)); });
      render(page);
      Hand(page.Take());
    }
    // The render of a large fleet leaves many small freed blocks behind (its
    // snapshot of the fleet, labels, per-family vectors): give them back to
    // the system before the page ends, so that the scrape's peak is not
    // the collector's size after it.
    render = nullptr;
    malloc_trim(0);
    std::function<void()> wake;
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
      wake = std::exchange(wake_, nullptr);
    }
    changed_.notify_all();
    if (wake) wake();
  }

  // False once the reader is gone.
  bool Hand(std::string piece) {
    std::function<void()> wake;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return ready_.size() < kAhead || abandoned_; });
      if (abandoned_) return false;
      if (piece.empty()) return true;
      ready_.push_back(std::move(piece));
      wake = std::exchange(wake_, nullptr);
    }
    changed_.notify_all();
    if (wake) wake();
    return true;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> ready_;
  bool finished_ = false;
  bool abandoned_ = false;
  std::function<void()> wake_;  // WhenReady's, until a piece or the end comes
  std::string current_;  // the reader's
  size_t offset_ = 0;    // the reader's
  std::thread producer_;  // last: starts once the rest is built
};

}  // namespace

std::shared_ptr<BodyStream> StreamPage(std::function<void(Exposition& page)> render) {
  return std::make_shared<PageStream>(std::move(render));
}

std::string RenderMetrics(const CollectorConfig& config, const std::vector<NodeMetrics>& nodes,
                          const IngestCounters& counters, const GroupCommitter::Stats& commits, int64_t now_ms) {
  Exposition page;
  RenderMetrics(config, nodes, counters, commits, now_ms, page);
  return page.Take();
}

void RenderMetrics(const CollectorConfig& config, const std::vector<NodeMetrics>& nodes,
                   const IngestCounters& counters, const GroupCommitter::Stats& commits, int64_t now_ms,
                   Exposition& page) {
  // Each node's labels escaped once, for all its lines.
  const auto labels_of = [&](const std::string& id) {
    std::string labels;
    AppendLabels(labels, NodeLabels(config, id));
    return labels;
  };
  std::vector<std::string> labels;
  labels.reserve(nodes.size());
  for (const NodeMetrics& node : nodes) labels.push_back(labels_of(node.node_id));

  page.Family("vigie_node_up", "gauge", "1 when the node reported within offline_after, else 0.");
  {
    // The configured nodes and any node still in the store but since removed from the config.
    std::map<std::string_view, const NodeMetrics*> all;
    for (const NodeMetrics& node : nodes) all.emplace(node.node_id, &node);
    for (const auto& [id, entry] : config.nodes) all.try_emplace(id, nullptr);
    for (const auto& [id, node] : all) {
      const bool up = node != nullptr && now_ms - node->last_seen_ms <= config.offline_after.count();
      page.Sample(node != nullptr ? labels[static_cast<size_t>(node - nodes.data())] : labels_of(std::string(id)),
                  up ? 1 : 0);
    }
  }
  const size_t n = nodes.size();
  page.Family("vigie_node_last_seen_timestamp_seconds", "gauge", "When the collector last received a push from the node.");
  for (size_t i = 0; i < n; ++i) page.Sample(labels[i], static_cast<double>(nodes[i].last_seen_ms) / 1000.0);

  page.Family("vigie_node_boots_total", "counter", "Reboots seen: new boot ids after the first one.");
  for (size_t i = 0; i < n; ++i) page.Sample(labels[i], static_cast<double>(nodes[i].facts.boots));
  page.Family("vigie_node_last_shutdown_clean", "gauge",
              "1 when the agent's newest start followed a clean shutdown, 0 after a crash or power loss.");
  for (size_t i = 0; i < n; ++i) page.Sample(labels[i], nodes[i].facts.last_shutdown_clean ? 1 : 0);
  page.Family("vigie_node_clock_skew_seconds", "gauge", "The node's clock minus the collector's, at its last fresh push.");
  for (size_t i = 0; i < n; ++i) page.Sample(labels[i], static_cast<double>(nodes[i].facts.clock_skew_ms) / 1000.0);
  page.Family("vigie_node_clock_wrong", "gauge",
              "1 when the node's clock is further than [ingest] max_clock_skew from the collector's.");
  const int64_t max_skew_ms = config.max_clock_skew.count();
  for (size_t i = 0; i < n; ++i) {
    const int64_t skew_ms = nodes[i].facts.clock_skew_ms;
    page.Sample(labels[i], skew_ms > max_skew_ms || skew_ms < -max_skew_ms ? 1 : 0);
  }
  // Only the nodes concerned: no family at all in a sound fleet.
  page.Family("vigie_node_series_dropped_samples", "gauge",
              "Samples of the node's newest report left off this page: its series were over the collector's bound.");
  for (size_t i = 0; i < n; ++i) {
    const size_t dropped = nodes[i].series->dropped_samples();
    if (dropped > 0) page.Sample(labels[i], static_cast<double>(dropped));
  }

  // The report's families, each node's lines copied from its NodeSeries.
  // The series of the nodes a few places ahead are fetched meanwhile: their
  // object first, then what it points to.
  constexpr size_t kObjectAhead = 8;
  constexpr size_t kDataAhead = 4;
  const std::vector<FamilyInfo>& families = ReportFamilies();
  for (size_t f = 0; f < families.size(); ++f) {
    page.Family(families[f].name, families[f].type, families[f].help);
    for (size_t i = 0; i < n; ++i) {
      if (i + kObjectAhead < n) __builtin_prefetch(nodes[i + kObjectAhead].series.get());
      if (i + kDataAhead < n) nodes[i + kDataAhead].series->Prefetch(f);
      page.Lines([&](std::string& out) { nodes[i].series->AppendLines(f, families[f].name, labels[i], out); });
    }
  }

  page.Family("vigie_collector_pushes_total", "counter", "Pushes received, by result.");
  page.Sample(Label("result", "stored"), static_cast<double>(counters.pushes_stored.load()));
  page.Sample(Label("result", "unauthorized"), static_cast<double>(counters.pushes_unauthorized.load()));
  page.Sample(Label("result", "forbidden"), static_cast<double>(counters.pushes_forbidden.load()));
  page.Sample(Label("result", "bad_request"), static_cast<double>(counters.pushes_bad_request.load()));
  page.Sample(Label("result", "rate_limited"), static_cast<double>(counters.pushes_rate_limited.load()));
  page.Sample(Label("result", "store_error"), static_cast<double>(counters.pushes_store_error.load()));
  page.Family("vigie_collector_reports_total", "counter", "Reports received in accepted pushes, by result.");
  page.Sample(Label("result", "stored"), static_cast<double>(counters.reports_stored.load()));
  page.Sample(Label("result", "duplicate"), static_cast<double>(counters.reports_duplicate.load()));
  page.Family("vigie_collector_received_bytes_total", "counter", "Bytes of push bodies received.");
  page.Sample("", static_cast<double>(counters.bytes_received.load()));
  page.Family("vigie_collector_commits_total", "counter", "Store transactions; concurrent pushes share one.");
  page.Sample("", static_cast<double>(commits.commits));
  page.Family("vigie_collector_committed_pushes_total", "counter", "Pushes carried by those transactions.");
  page.Sample("", static_cast<double>(commits.batches));
  page.Family("vigie_collector_commit_seconds_total", "counter",
              "Time spent committing (divide by vigie_collector_commits_total for the mean latency).");
  page.Sample("", static_cast<double>(commits.microseconds) / 1e6);
}

std::string RenderAlertMetrics(const CollectorConfig& config, const std::vector<alerting::Alert>& active,
                               size_t outbox_queued, uint64_t database_errors) {
  Exposition page;
  page.Family("vigie_alerts_firing", "gauge", "1 per firing alert (a site alert has an empty node).");
  // One sample per series: alerts of one rule on one node (several disks) add up.
  std::map<std::string, int> firing;
  for (const alerting::Alert& alert : active) {
    if (alert.state != alerting::AlertState::kFiring) continue;
    std::string site = alert.key.site;
    if (site.empty()) {
      const auto node = config.nodes.find(alert.key.node);
      if (node != config.nodes.end()) site = node->second.site;
    }
    ++firing[Label("node", alert.key.node) + "," + Label("site", site) + "," + Label("rule", alert.key.rule) + "," +
             Label("severity", alerting::SeverityName(alert.severity))];
  }
  for (const auto& [labels, count] : firing) page.Sample(labels, count);
  page.Family("vigie_collector_outbox_queued", "gauge", "Notifications written to the outbox and not yet delivered.");
  page.Sample("", static_cast<double>(outbox_queued));
  page.Family("vigie_alerting_database_errors_total", "counter",
              "Reads and writes of the alerting tables that failed (each logged with its reason).");
  page.Sample("", static_cast<double>(database_errors));
  return page.Take();
}

}  // namespace vigie::collector
