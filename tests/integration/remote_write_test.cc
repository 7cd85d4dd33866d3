// remote_write against a real Prometheus (Debian's 2.42, started here with
// its remote-write receiver and an out-of-order window): a node's backlog,
// delivered after an outage and stored by the collector, reaches
// Prometheus with every sample at its own timestamp, and fills the gap; a
// sample Prometheus refuses costs no other sample; and a collector killed
// with a request in flight sends that same request again, losing nothing.
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "collector/remote_write_request.h"
#include "collector/remote_writer.h"
#include "collector/report_metrics.h"
#include "collector/store.h"
#include "collector/token.h"
#include "tests/integration/helpers.h"
#include "tests/testing/http_client.h"
#include "tests/testing/process.h"
#include "tests/testing/sample_reports.h"
#include "tests/testing/testing.h"

namespace vigie {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

const std::string kCollector = std::string(VIGIE_BINARY_DIR) + "/collector/vigie-collector";

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

  // Prometheus on `web` (host:port), with what the README asks for.
  void StartPrometheus(const std::string& web) {
    web_ = web;
    const auto config = dir_.Write("prometheus.yml",
                                   "global:\n  scrape_interval: 15s\n"
                                   "storage:\n  tsdb:\n    out_of_order_time_window: 3h\n");
    prometheus_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        "/usr/bin/prometheus", "--config.file=" + config.string(),
        "--storage.tsdb.path=" + (dir_.path() / "tsdb").string(), "--web.listen-address=" + web_,
        "--web.enable-remote-write-receiver"});
    ASSERT_TRUE(prometheus_->WaitForLine("Server is ready to receive web requests", 60s))
        << prometheus_->stderr_text();
  }
  void StartPrometheus() { StartPrometheus("127.0.0.1:" + std::to_string(testing::FreeLoopbackPort())); }

  collector::RemoteWriteConfig WriterConfig() const {
    collector::RemoteWriteConfig config;
    config.enabled = true;
    config.url = "http://" + web_ + "/api/v1/write";
    config.poll_interval = 50ms;
    config.min_backoff = 100ms;
    config.max_backoff = 1s;
    return config;
  }

  std::string Query(const std::string& path) { return testing::HttpGet("http://" + web_ + path).body; }

  // The raw samples of the one series `selector` names, over the 2 hours before `at_ms`.
  std::vector<Point> RawSamples(const std::string& selector, int64_t at_ms) {
    return MatrixPoints(Query("/api/v1/query?query=" + UrlEncode(selector + "[2h]") + "&time=" + Seconds(at_ms)));
  }

  testing::TempDir dir_;
  std::string web_;
  std::unique_ptr<ChildProcess> prometheus_;
  collector::CollectorConfig collector_;
  std::unique_ptr<collector::Store> store_;
};

TEST_F(RemoteWritePrometheusTest, ABackfilledHourReachesPrometheusWithEverySampleAtItsOwnTime) {
  StartPrometheus();
  collector::RemoteWriteConfig config = WriterConfig();
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

// One sample Prometheus refuses (a second value at a timestamp it holds),
// in one request with another node's reports and its own node's newer
// ones: only that sample is dropped, and counted; every other one arrives.
TEST_F(RemoteWritePrometheusTest, ARefusedSampleCostsNoOtherSampleOfItsRequest) {
  StartPrometheus();
  const int64_t now_ms = NowMs();
  const int64_t t0 = now_ms - 10 * 60'000;
  const v1::Report held = Report("rennes-2", 1, t0, 0.25, 41);
  {
    collector::RemoteWriter writer(collector_, WriterConfig());
    ASSERT_TRUE(writer.Start());
    v1::Batch first;
    *first.add_reports() = held;
    ASSERT_TRUE(store_->StoreBatch("rennes-2", first, now_ms));
    writer.Notify();
    ASSERT_TRUE(writer.WaitForStats([](const auto& s) { return s.reports_sent == 1; }, 30s))
        << writer.stats().last_error;
  }
  // Stored while no writer runs, so that they go as one request: lyon-1's
  // three reports; rennes-2's second, stamped like its first but with its
  // CPU temperature read again (42 where Prometheus holds 41); its third.
  v1::Batch lyon;
  for (int i = 0; i < 3; ++i) {
    *lyon.add_reports() = Report("lyon-1", static_cast<uint64_t>(i + 1), t0 + i * 60'000, 0.5 + i, 50 + i);
  }
  v1::Batch rennes;
  const v1::Report restamped = Report("rennes-2", 2, t0, 0.25, 42);
  *rennes.add_reports() = restamped;
  *rennes.add_reports() = Report("rennes-2", 3, t0 + 60'000, 0.75, 43);
  ASSERT_TRUE(store_->StoreBatch("lyon-1", lyon, now_ms + 1));
  ASSERT_TRUE(store_->StoreBatch("rennes-2", rennes, now_ms + 2));
  // The samples Prometheus must refuse: those of the restamped report whose value differs.
  const collector::SeriesLabels rennes_labels = collector::NodeLabels(collector_, "rennes-2");
  std::map<std::string, double> held_values;
  for (const collector::ReportSample& sample : collector::ReportSamples(rennes_labels, held)) {
    std::string key(sample.family);
    for (const collector::SeriesLabel& label : sample.labels) key += "," + label.value;
    held_values[key] = sample.value;
  }
  size_t conflicting = 0;
  for (const collector::ReportSample& sample : collector::ReportSamples(rennes_labels, restamped)) {
    std::string key(sample.family);
    for (const collector::SeriesLabel& label : sample.labels) key += "," + label.value;
    conflicting += held_values.at(key) != sample.value;
  }
  ASSERT_EQ(conflicting, 1u);

  collector::RemoteWriter writer(collector_, WriterConfig());
  ASSERT_TRUE(writer.Start());
  ASSERT_TRUE(writer.WaitForStats([](const auto& s) { return s.reports_sent == 5; }, 60s)) << writer.stats().last_error;
  writer.Stop();
  const collector::RemoteWriteStats stats = writer.stats();
  const size_t per_report = collector::ReportSamples(rennes_labels, held).size();
  EXPECT_EQ(stats.samples_refused, 1u);
  EXPECT_EQ(stats.samples_sent, 5 * per_report - 1);
  EXPECT_GE(stats.requests_refused, 2u);  // the whole request, then rennes-2's part at least

  // lyon-1, in the same request as the refused sample: every report arrived.
  const std::vector<Point> lyon_load = RawSamples("vigie_node_load1{node=\"lyon-1\"}", now_ms);
  ASSERT_EQ(lyon_load.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(lyon_load[i].timestamp_ms, t0 + i * 60'000) << i;
    EXPECT_EQ(lyon_load[i].value, 0.5 + i) << i;
  }
  // rennes-2: the held temperature stands, the newer report arrived whole.
  const std::vector<Point> temperature = RawSamples(
      "vigie_sensor_temperature_celsius{node=\"rennes-2\",chip=\"coretemp-isa-0000\",sensor=\"Package id 0\"}",
      now_ms);
  ASSERT_EQ(temperature.size(), 2u);
  EXPECT_EQ(temperature[0].timestamp_ms, t0);
  EXPECT_EQ(temperature[0].value, 41);
  EXPECT_EQ(temperature[1].value, 43);
  // Every series of rennes-2 has its sample of the third report.
  const nlohmann::json raw = nlohmann::json::parse(
      Query("/api/v1/query?query=" + UrlEncode("{node=\"rennes-2\"}[2h]") + "&time=" + Seconds(now_ms)));
  size_t of_third = 0;
  for (const nlohmann::json& series : raw.at("data").at("result")) {
    for (const nlohmann::json& value : series.at("values")) {
      of_third += std::llround(value.at(0).get<double>() * 1000) == t0 + 60'000;
    }
  }
  EXPECT_EQ(of_third, per_report);
}

// Reads whole HTTP requests and never answers them: a sender's request
// stays in flight until the sender dies. Serves 127.0.0.1 from a thread of
// its own until Close() or destruction.
class SilentReceiver {
 public:
  SilentReceiver() {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener_, 16) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "SilentReceiver: cannot listen on 127.0.0.1";
      return;
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~SilentReceiver() { Close(); }
  SilentReceiver(const SilentReceiver&) = delete;
  SilentReceiver& operator=(const SilentReceiver&) = delete;

  uint16_t port() const { return port_; }

  // Stops listening and closes every connection: the port is free again.
  void Close() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    for (const Connection& connection : connections_) close(connection.fd);
    connections_.clear();
    if (listener_ >= 0) close(listener_);
    listener_ = -1;
  }

  // The bodies of the requests received so far, once there are `count` of them (or the timeout).
  std::vector<std::string> WaitForBodies(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return bodies_.size() >= count; });
    return bodies_;
  }

 private:
  struct Connection {
    int fd;
    std::string buffer;
  };

  void Serve() {
    while (!stopping_) {
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      for (const Connection& connection : connections_) fds.push_back({connection.fd, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 50) <= 0) continue;
      for (size_t i = 1; i < fds.size(); ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        Connection& connection = connections_[i - 1];
        char chunk[64 * 1024];
        const ssize_t n = read(connection.fd, chunk, sizeof chunk);
        if (n <= 0) {
          close(connection.fd);
          connection.fd = -1;
          continue;
        }
        connection.buffer.append(chunk, static_cast<size_t>(n));
        TakeRequests(connection.buffer);
      }
      std::erase_if(connections_, [](const Connection& connection) { return connection.fd < 0; });
      if ((fds[0].revents & POLLIN) != 0) {
        const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) connections_.push_back({fd, ""});
      }
    }
  }

  // Moves each whole request (headers, then Content-Length bytes) out of `buffer`.
  void TakeRequests(std::string& buffer) {
    while (true) {
      const size_t end = buffer.find("\r\n\r\n");
      if (end == std::string::npos) return;
      std::string headers = buffer.substr(0, end);
      std::transform(headers.begin(), headers.end(), headers.begin(), [](unsigned char c) { return std::tolower(c); });
      const size_t field = headers.find("\r\ncontent-length:");
      const size_t length = field == std::string::npos ? 0 : std::strtoull(headers.c_str() + field + 17, nullptr, 10);
      if (buffer.size() < end + 4 + length) return;
      {
        std::lock_guard lock(mutex_);
        bodies_.push_back(buffer.substr(end + 4, length));
      }
      changed_.notify_all();
      buffer.erase(0, end + 4 + length);
    }
  }

  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::vector<Connection> connections_;  // the serving thread's
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> bodies_;
};

// The real collector, killed with kill -9 while its request hangs, twice:
// the restart sends exactly the request that was in flight (not one rebuilt
// with the reports stored meanwhile), and once Prometheus listens at that
// URL, every sample of every report arrives.
TEST_F(RemoteWritePrometheusTest, ACollectorKilledWithARequestInFlightSendsItAgainAsItWasAndLosesNothing) {
  SilentReceiver silent;
  const std::string web = "127.0.0.1:" + std::to_string(silent.port());
  const std::map<std::string, std::string> tokens = {{"lyon-1", collector::NewToken()},
                                                     {"rennes-2", collector::NewToken()}};
  std::string toml = "listen = \"127.0.0.1:0\"\ndatabase = \"collector.db\"\n";
  for (const auto& [node, token] : tokens) {
    toml += "[[node]]\nid = \"" + node + "\"\nsite = \"" + node.substr(0, node.find('-')) +
            "\"\ntoken_sha256 = \"" + collector::Sha256Hex(token) + "\"\n";
  }
  toml += "[remote_write]\nurl = \"http://" + web +
          "/api/v1/write\"\ntimeout = \"10m\"\npoll_interval = \"100ms\"\nmin_backoff = \"100ms\"\n"
          "max_backoff = \"1s\"\n";
  const auto config = dir_.Write("collector.toml", toml);
  std::string base_url;
  const auto start_collector = [&] {
    auto process = std::make_unique<ChildProcess>(std::vector<std::string>{kCollector, "--config", config.string()});
    const std::optional<std::string> rest = process->WaitForLine("listening on http://127.0.0.1:", 10s);
    EXPECT_TRUE(rest) << process->stderr_text();
    base_url = "http://127.0.0.1:" + (rest ? rest->substr(0, rest->find(' ')) : "0");
    return process;
  };
  const int64_t t0 = NowMs() - 10 * 60'000;
  const auto push = [&](const std::string& node, uint64_t first_seq) {
    v1::Batch batch;
    for (uint64_t seq = first_seq; seq < first_seq + 3; ++seq) {
      *batch.add_reports() =
          Report(node, seq, t0 + static_cast<int64_t>(seq) * 10'000, static_cast<double>(seq) / 100, 40);
    }
    const testing::HttpReply reply = testing::HttpPost(
        base_url + "/v1/push",
        {"Content-Type: application/x-protobuf", "Authorization: Bearer " + tokens.at(node), "Expect:"},
        batch.SerializeAsString());
    EXPECT_EQ(reply.status, 200) << reply.error << reply.body;
  };

  auto first = start_collector();
  push("lyon-1", 1);
  push("rennes-2", 1);
  const std::vector<std::string> in_flight = silent.WaitForBodies(1, 30s);
  ASSERT_EQ(in_flight.size(), 1u) << first->stderr_text();
  push("lyon-1", 4);  // stored and logged while the request hangs
  push("rennes-2", 4);
  ASSERT_TRUE(WIFSIGNALED(first->Stop(SIGKILL)));

  auto second = start_collector();
  const std::vector<std::string> sent_again = silent.WaitForBodies(2, 30s);
  ASSERT_EQ(sent_again.size(), 2u) << second->stderr_text();
  EXPECT_EQ(sent_again[1], sent_again[0]);
  const Result<prometheus::WriteRequest> request = collector::DecodeWriteRequest(sent_again[0]);
  ASSERT_TRUE(request) << request.error().message;
  for (const prometheus::TimeSeries& series : request->timeseries()) {
    for (const prometheus::Sample& sample : series.samples()) EXPECT_LT(sample.timestamp(), t0 + 4 * 10'000);
  }
  ASSERT_TRUE(WIFSIGNALED(second->Stop(SIGKILL)));

  silent.Close();
  StartPrometheus(web);  // at the very URL the collector sends to
  auto third = start_collector();
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  std::map<std::string, std::string> metrics;
  while (std::chrono::steady_clock::now() < deadline) {
    metrics = testing::ParseMetrics(testing::HttpGet(base_url + "/metrics").body);
    if (metrics["vigie_remote_write_reports_sent_total"] == "12") break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(metrics["vigie_remote_write_reports_sent_total"], "12") << third->stderr_text();
  EXPECT_EQ(metrics["vigie_remote_write_samples_dropped_total{reason=\"refused\"}"], "0");
  EXPECT_EQ(metrics["vigie_remote_write_requests_total{result=\"refused\"}"], "0");
  EXPECT_THAT(third->stderr_text(), ::testing::HasSubstr("sending again the request in flight"));

  for (const auto& [node, token] : tokens) {
    const std::vector<Point> load = RawSamples("vigie_node_load1{node=\"" + node + "\"}", NowMs());
    ASSERT_EQ(load.size(), 6u) << node;
    for (size_t i = 0; i < 6; ++i) {
      EXPECT_EQ(load[i].timestamp_ms, t0 + static_cast<int64_t>(i + 1) * 10'000) << node << " " << i;
      EXPECT_DOUBLE_EQ(load[i].value, static_cast<double>(i + 1) / 100) << node << " " << i;
    }
  }
}

}  // namespace
}  // namespace vigie
