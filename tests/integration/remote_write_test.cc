// remote_write against a real Prometheus (Debian's 2.42, started here with
// its remote-write receiver and an out-of-order window): a node's backlog,
// delivered after an outage and stored by the collector, reaches
// Prometheus with every sample at its own timestamp, and fills the gap.
#include <chrono>
#include <cmath>
#include <cstdlib>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "collector/remote_writer.h"
#include "collector/report_metrics.h"
#include "collector/store.h"
#include "tests/testing/http_client.h"
#include "tests/testing/process.h"
#include "tests/testing/sample_reports.h"
#include "tests/testing/testing.h"

namespace vigie {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string UrlEncode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '_' || c == '.' || c == '-') {
      out += c;
    } else {
      out += {'%', kHex[byte >> 4], kHex[byte & 0x0F]};
    }
  }
  return out;
}

struct Point {
  int64_t timestamp_ms;
  double value;
};

// The points of a one-series matrix answer ("values":[[<time>,"<value>"],...]).
std::vector<Point> MatrixPoints(const std::string& json) {
  std::vector<Point> points;
  size_t at = json.find("\"values\":[");
  if (at == std::string::npos || json.find("\"values\":[", at + 1) != std::string::npos) return points;
  at += 10;
  while (at < json.size() && json[at] == '[') {
    const size_t comma = json.find(',', at);
    const size_t open = json.find('"', comma);
    const size_t close = json.find('"', open + 1);
    points.push_back({std::llround(std::strtod(json.substr(at + 1, comma - at - 1).c_str(), nullptr) * 1000),
                      std::strtod(json.substr(open + 1, close - open - 1).c_str(), nullptr)});
    at = json.find(']', close) + 1;
    if (at < json.size() && json[at] == ',') ++at;
  }
  return points;
}

std::string Seconds(int64_t ms) { return std::to_string(ms / 1000) + "." + std::to_string(1000 + ms % 1000).substr(1); }

class RemoteWritePrometheusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/bin/prometheus")) GTEST_SKIP() << "Debian's prometheus package is not installed";
    web_ = "127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
    const auto config = dir_.Write("prometheus.yml",
                                   "global:\n  scrape_interval: 15s\n"
                                   "storage:\n  tsdb:\n    out_of_order_time_window: 3h\n");
    prometheus_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        "/usr/bin/prometheus", "--config.file=" + config.string(),
        "--storage.tsdb.path=" + (dir_.path() / "tsdb").string(), "--web.listen-address=" + web_,
        "--web.enable-remote-write-receiver"});
    ASSERT_TRUE(prometheus_->WaitForLine("Server is ready to receive web requests", 60s))
        << prometheus_->stderr_text();

    collector_.database = dir_.path() / "collector.db";
    collector_.nodes["lyon-1"] = collector::NodeEntry{"lyon-1", "lyon", ""};
    collector_.nodes["rennes-2"] = collector::NodeEntry{"rennes-2", "rennes", ""};
    Result<std::unique_ptr<collector::Store>> store = collector::Store::Open(collector_.database);
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
  }

  v1::Report Report(const std::string& node, uint64_t seq, int64_t timestamp_ms, double load1, double temperature) {
    v1::Report report = testing::SampleHardwareReport();
    report.set_node_id(node);
    report.set_boot_id("6ef63991-7ee5-4c0b-81a3-e6c91f946998");
    report.set_seq(seq);
    report.set_timestamp_unix_ms(timestamp_ms);
    report.mutable_system()->set_load1(load1);
    report.mutable_sensors(0)->set_value(temperature);
    return report;
  }

  std::string Query(const std::string& path) { return testing::HttpGet("http://" + web_ + path).body; }

  testing::TempDir dir_;
  std::string web_;
  std::unique_ptr<ChildProcess> prometheus_;
  collector::CollectorConfig collector_;
  std::unique_ptr<collector::Store> store_;
};

TEST_F(RemoteWritePrometheusTest, ABackfilledHourReachesPrometheusWithEverySampleAtItsOwnTime) {
  collector::RemoteWriteConfig config;
  config.enabled = true;
  config.url = "http://" + web_ + "/api/v1/write";
  config.poll_interval = 50ms;
  config.min_backoff = 100ms;
  config.max_backoff = 1s;
  config.max_reports_per_request = 25;  // the hour goes as several requests
  collector::RemoteWriter writer(collector_, config);
  ASSERT_TRUE(writer.Start());

  // Another node is current: Prometheus' head now reaches the present, so
  // samples from over an hour ago are accepted only through the out-of-order window.
  const int64_t now_ms = NowMs();
  v1::Batch live;
  *live.add_reports() = Report("lyon-1", 1, now_ms, 0.5, 40);
  ASSERT_TRUE(store_->StoreBatch("lyon-1", live, now_ms));
  writer.Notify();
  ASSERT_TRUE(writer.WaitForStats([](const auto& s) { return s.reports_sent == 1; }, 30s)) << writer.stats().last_error;

  // rennes-2 comes back after an outage and delivers its backlog: 60
  // reports one minute apart, from 65 minutes ago to 6 minutes ago, oldest first.
  const int64_t first_ms = now_ms - 65 * 60'000 + 123;
  v1::Batch backlog;
  for (int i = 0; i < 60; ++i) {
    *backlog.add_reports() = Report("rennes-2", static_cast<uint64_t>(i + 1), first_ms + i * 60'000, i / 100.0, 30 + i);
  }
  ASSERT_TRUE(store_->StoreBatch("rennes-2", backlog, now_ms + 1));
  writer.Notify();
  writer.WaitForStats([](const auto& s) { return s.reports_sent == 61 || s.requests_refused > 0; }, 60s);
  ASSERT_EQ(writer.stats().requests_refused, 0u) << writer.stats().last_error;
  ASSERT_EQ(writer.stats().reports_sent, 61u) << writer.stats().last_error << prometheus_->stderr_text();

  const int64_t last_ms = first_ms + 59 * 60'000;
  // A range query over the hour, one step per report: every sample, at its time, with its value.
  const std::vector<Point> load = MatrixPoints(
      Query("/api/v1/query_range?query=" + UrlEncode("vigie_node_load1{node=\"rennes-2\",site=\"rennes\"}") +
            "&start=" + Seconds(first_ms) + "&end=" + Seconds(last_ms) + "&step=60"));
  ASSERT_EQ(load.size(), 60u);
  for (int i = 0; i < 60; ++i) {
    EXPECT_EQ(load[i].timestamp_ms, first_ms + i * 60'000) << i;
    EXPECT_DOUBLE_EQ(load[i].value, i / 100.0) << i;
  }
  // The raw samples (a range vector), exactly as they were sent.
  const std::vector<Point> raw = MatrixPoints(
      Query("/api/v1/query?query=" +
            UrlEncode("vigie_sensor_temperature_celsius{node=\"rennes-2\",chip=\"coretemp-isa-0000\","
                      "sensor=\"Package id 0\"}[2h]") +
            "&time=" + Seconds(now_ms)));
  ASSERT_EQ(raw.size(), 60u);
  for (int i = 0; i < 60; ++i) {
    EXPECT_EQ(raw[i].timestamp_ms, first_ms + i * 60'000) << i;
    EXPECT_EQ(raw[i].value, 30 + i) << i;
  }
  // As many series as /metrics has for such a report, no more, no fewer.
  const size_t series = collector::ReportSamples(collector::NodeLabels(collector_, "rennes-2"),
                                                 Report("rennes-2", 1, 0, 0, 0))
                            .size();
  const std::string count =
      Query("/api/v1/query?query=" + UrlEncode("count({node=\"rennes-2\"})") + "&time=" + Seconds(last_ms));
  EXPECT_THAT(count, ::testing::HasSubstr(",\"" + std::to_string(series) + "\"]")) << count;
}

}  // namespace
}  // namespace vigie
