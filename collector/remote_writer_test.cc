// RemoteWriter against an in-process receiver that records every request:
// what is sent, in which requests, and what happens on 5xx, 4xx, timeouts
// and restarts. The real Prometheus is in tests/integration.
#include "collector/remote_writer.h"

#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "collector/remote_write_request.h"
#include "collector/report_metrics.h"
#include "collector/store.h"
#include "tests/testing/recording_server.h"
#include "tests/testing/sample_reports.h"
#include "tests/testing/testing.h"

namespace vigie::collector {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kT0 = 1'795'600'000'000;

// "__name__=x,node=y,...,": a series' labels as one key.
std::string SeriesKey(const prometheus::TimeSeries& series) {
  std::string key;
  for (const prometheus::Label& label : series.labels()) key += label.name() + "=" + label.value() + ",";
  return key;
}

class RemoteWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    collector_.database = dir_.path() / "collector.db";
    collector_.nodes["rennes-2"] = NodeEntry{"rennes-2", "rennes", ""};
    collector_.nodes["lyon-1"] = NodeEntry{"lyon-1", "lyon", ""};
    Result<std::unique_ptr<Store>> store = Store::Open(collector_.database);
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    config_.enabled = true;
    config_.url = receiver_.Url("/api/v1/write");
    config_.min_backoff = 20ms;
    config_.max_backoff = 80ms;
    config_.poll_interval = 20ms;
    config_.timeout = 2s;
    // The tests' reports were received "long ago" (kT0): queue them all.
    config_.backfill = std::chrono::hours(24 * 3650);
  }

  // Reports seq first..first+count-1 of rennes-2, one minute apart, as one push.
  void StoreReports(uint64_t first, int count) { StoreReportsOf("rennes-2", first, count); }
  void StoreReportsOf(const std::string& node, uint64_t first, int count) {
    v1::Batch batch;
    for (int i = 0; i < count; ++i) {
      v1::Report* report = batch.add_reports();
      *report = testing::SampleHardwareReport();
      report->set_node_id(node);
      report->set_boot_id("boot-1");
      report->set_seq(first + static_cast<uint64_t>(i));
      report->set_timestamp_unix_ms(kT0 + static_cast<int64_t>(first + static_cast<uint64_t>(i)) * 60'000);
      report->mutable_system()->set_load1(static_cast<double>(first + static_cast<uint64_t>(i)) / 100);
    }
    Result<StoredBatch> stored = store_->StoreBatch(node, batch, kT0 + 10'000'000);
    ASSERT_TRUE(stored) << stored.error().message;
    ASSERT_EQ(stored->stored, static_cast<uint32_t>(count));
  }

  size_t SamplesPerReport() const {
    return ReportSamples(NodeLabels(collector_, "rennes-2"), testing::SampleHardwareReport()).size();
  }

  std::unique_ptr<RemoteWriter> StartWriter() {
    auto writer = std::make_unique<RemoteWriter>(collector_, config_);
    const Result<void> started = writer->Start();
    EXPECT_TRUE(started) << started.error().message;
    return writer;
  }

  // Every (series, timestamp) the receiver was sent in delivered requests, with how often.
  std::map<std::pair<std::string, int64_t>, int> DeliveredSamples() const {
    std::map<std::pair<std::string, int64_t>, int> seen;
    for (const testing::RecordedRequest& request : receiver_.requests()) {
      if (request.answered / 100 != 2) continue;
      const Result<prometheus::WriteRequest> decoded = DecodeWriteRequest(request.body);
      EXPECT_TRUE(decoded) << decoded.error().message;
      if (!decoded) continue;
      for (const prometheus::TimeSeries& series : decoded->timeseries()) {
        for (const prometheus::Sample& sample : series.samples()) ++seen[{SeriesKey(series), sample.timestamp()}];
      }
    }
    return seen;
  }

  testing::TempDir dir_;
  testing::RecordingServer receiver_;
  CollectorConfig collector_;
  RemoteWriteConfig config_;
  std::unique_ptr<Store> store_;
};

TEST_F(RemoteWriterTest, SendsStoredReportsWithTheSpecificationsHeaders) {
  config_.headers = {{"X-Scope-OrgID", "fleet"}};
  config_.bearer_token = "s3cret";
  auto writer = StartWriter();
  StoreReports(1, 3);
  writer->Notify();
  ASSERT_TRUE(writer->WaitForStats([](const RemoteWriteStats& s) { return s.reports_sent == 3; }, 10s));

  const std::vector<testing::RecordedRequest> requests = receiver_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const testing::RecordedRequest& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/api/v1/write");
  EXPECT_EQ(request.headers.at("content-encoding"), "snappy");
  EXPECT_EQ(request.headers.at("content-type"), "application/x-protobuf");
  EXPECT_EQ(request.headers.at("x-prometheus-remote-write-version"), "0.1.0");
  EXPECT_THAT(request.headers.at("user-agent"), StartsWith("vigie-collector/"));
  EXPECT_EQ(request.headers.at("x-scope-orgid"), "fleet");
  EXPECT_EQ(request.headers.at("authorization"), "Bearer s3cret");

  const Result<prometheus::WriteRequest> decoded = DecodeWriteRequest(request.body);
  ASSERT_TRUE(decoded) << decoded.error().message;
  const prometheus::TimeSeries* load = nullptr;
  for (const prometheus::TimeSeries& series : decoded->timeseries()) {
    if (series.labels(0).value() == "vigie_node_load1") load = &series;
  }
  ASSERT_NE(load, nullptr);
  ASSERT_EQ(load->labels_size(), 3);
  EXPECT_EQ(load->labels(1).name(), "node");
  EXPECT_EQ(load->labels(1).value(), "rennes-2");
  EXPECT_EQ(load->labels(2).name(), "site");
  EXPECT_EQ(load->labels(2).value(), "rennes");
  ASSERT_EQ(load->samples_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(load->samples(i).timestamp(), kT0 + (i + 1) * 60'000);
    EXPECT_DOUBLE_EQ(load->samples(i).value(), (i + 1) / 100.0);
  }
  EXPECT_EQ(writer->stats().samples_sent, 3 * SamplesPerReport());
}

TEST_F(RemoteWriterTest, BasicAuthentication) {
  config_.basic_auth_username = "vigie";
  config_.basic_auth_password = "pa55";
  StoreReports(1, 1);
  auto writer = StartWriter();
  ASSERT_TRUE(writer->WaitForStats([](const RemoteWriteStats& s) { return s.requests_delivered == 1; }, 10s));
  EXPECT_EQ(receiver_.requests().at(0).headers.at("authorization"), "Basic dmlnaWU6cGE1NQ==");  // vigie:pa55
}

TEST_F(RemoteWriterTest, RequestsAreBoundedInReportsAndSamples) {
  config_.max_reports_per_request = 4;
  auto writer = StartWriter();
  StoreReports(1, 10);
  writer->Notify();
  ASSERT_TRUE(writer->WaitForStats([](const RemoteWriteStats& s) { return s.reports_sent == 10; }, 10s));
  EXPECT_EQ(writer->stats().requests_delivered, 3u);  // 4 + 4 + 2

  // A sample bound below one report's samples: one report per request.
  writer->Stop();
  config_.max_reports_per_request = 500;
  config_.max_samples_per_request = 1;
  auto second = StartWriter();
  StoreReports(11, 3);
  second->Notify();
  ASSERT_TRUE(second->WaitForStats([](const RemoteWriteStats& s) { return s.reports_sent == 3; }, 10s));
  EXPECT_EQ(second->stats().requests_delivered, 3u);
}

TEST_F(RemoteWriterTest, ARestartResumesFromItsCursorAndSendsNoSampleTwice) {
  config_.max_reports_per_request = 4;
  {
    auto writer = StartWriter();
    StoreReports(1, 10);
    writer->Notify();
    ASSERT_TRUE(writer->WaitForStats([](const RemoteWriteStats& s) { return s.reports_sent == 10; }, 10s));
  }
  // Stored while no writer runs (the collector restarting), then a new writer.
  StoreReports(11, 5);
  auto writer = StartWriter();
  ASSERT_TRUE(writer->WaitForStats([](const RemoteWriteStats& s) { return s.reports_sent == 5; }, 10s));
  EXPECT_EQ(writer->stats().requests_delivered, 2u);  // 4 + 1: nothing of the first 10 again

  const auto samples = DeliveredSamples();
  EXPECT_EQ(samples.size(), 15 * SamplesPerReport());
  for (const auto& [key, count] : samples) EXPECT_EQ(count, 1) << key.first << " @" << key.second;
}

TEST_F(RemoteWriterTest, AStopWhileTheReceiverFailsLosesNothing) {
  receiver_.Answer(std::vector<unsigned>(1000, 503));
  StoreReports(1, 2);
  {
    auto writer = StartWriter();
    ASSERT_TRUE(writer->WaitForStats([](const RemoteWriteStats& s) { return s.attempts_failed >= 2; }, 10s));
  }
  receiver_.Answer({});
  auto writer = StartWriter();
  ASSERT_TRUE(writer->WaitForStats([](const RemoteWriteStats& s) { return s.reports_sent == 2; }, 10s));
  EXPECT_EQ(DeliveredSamples().size(), 2 * SamplesPerReport());
}

TEST_F(RemoteWriterTest, A500IsRetriedWithTheSameRequestUntilDelivered) {
  receiver_.Answer({500, 500, 429}, "try later");
  StoreReports(1, 2);
  auto writer = StartWriter();
  ASSERT_TRUE(writer->WaitForStats([](const RemoteWriteStats& s) { return s.requests_delivered == 1; }, 10s));
  const std::vector<testing::RecordedRequest> requests = receiver_.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].answered, 500u);
  EXPECT_EQ(requests[2].answered, 429u);
  EXPECT_EQ(requests[3].answered, 204u);
  for (const testing::RecordedRequest& request : requests) EXPECT_EQ(request.body, requests[0].body);
  EXPECT_EQ(writer->stats().attempts_failed, 3u);
  EXPECT_EQ(writer->stats().reports_sent, 2u);
}

// What Prometheus' TSDB does with a request: all or nothing; a sample is
// appended when it is newer than its series' newest, or equals it in time
// and value (an exact duplicate); anything else refuses the whole request.
class AllOrNothingReceiver {
 public:
  // A series the receiver already holds up to `timestamp`.
  void Hold(const std::string& series, int64_t timestamp, double value) { newest_[series] = {timestamp, value}; }

  unsigned Decide(const testing::RecordedRequest& request) {
    const Result<prometheus::WriteRequest> decoded = DecodeWriteRequest(request.body);
    if (!decoded) return 400;
    std::map<std::string, std::pair<int64_t, double>> newest = newest_;
    std::vector<std::pair<std::string, int64_t>> appended;
    for (const prometheus::TimeSeries& series : decoded->timeseries()) {
      const std::string key = SeriesKey(series);
      for (const prometheus::Sample& sample : series.samples()) {
        const auto held = newest.find(key);
        if (held != newest.end() && (sample.timestamp() < held->second.first ||
                                     (sample.timestamp() == held->second.first && sample.value() != held->second.second))) {
          return 400;
        }
        if (held == newest.end() || sample.timestamp() > held->second.first) appended.emplace_back(key, sample.timestamp());
        newest[key] = {sample.timestamp(), sample.value()};
      }
    }
    newest_ = std::move(newest);
    for (const auto& sample : appended) ++appended_[sample];
    return 204;
  }
  // Every sample appended, with how often (always once).
  const std::map<std::pair<std::string, int64_t>, int>& appended() const { return appended_; }

 private:
  std::map<std::string, std::pair<int64_t, double>> newest_;
  std::map<std::pair<std::string, int64_t>, int> appended_;
};

std::string LoadSeries(const std::string& node, const std::string& site) {
  return "__name__=vigie_node_load1,node=" + node + ",site=" + site + ",";
}

TEST_F(RemoteWriterTest, OneRefusedSampleDropsOnlyItselfNotTheOtherNodesNorTheOtherSamples) {
  AllOrNothingReceiver prometheus;
  // rennes-2's load is already held up to its second report's time: its
  // first report's load sample is out of order, and only that one.
  prometheus.Hold(LoadSeries("rennes-2", "rennes"), kT0 + 2 * 60'000, 0.02);
  receiver_.AnswerWith([&](const testing::RecordedRequest& request) { return prometheus.Decide(request); },
                       "out of order sample");
  StoreReportsOf("lyon-1", 1, 3);
  StoreReportsOf("rennes-2", 1, 3);
  ::testing::internal::CaptureStderr();
  auto writer = StartWriter();
  const bool done = writer->WaitForStats([](const RemoteWriteStats& s) { return s.reports_sent == 6; }, 20s);
  writer->Stop();
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(done) << writer->stats().last_error;

  const RemoteWriteStats stats = writer->stats();
  EXPECT_EQ(stats.samples_refused, 1u);
  EXPECT_EQ(stats.samples_sent, 6 * SamplesPerReport() - 1);
  // Every sample but the refused one reached the receiver, once.
  EXPECT_EQ(prometheus.appended().size(), 6 * SamplesPerReport() - 2);  // and the held one, not appended again
  for (const auto& [key, count] : prometheus.appended()) EXPECT_EQ(count, 1) << key.first << " @" << key.second;
  EXPECT_EQ(prometheus.appended().count({LoadSeries("rennes-2", "rennes"), kT0 + 60'000}), 0u);
  EXPECT_EQ(prometheus.appended().count({LoadSeries("lyon-1", "lyon"), kT0 + 60'000}), 1u);
  EXPECT_THAT(log, HasSubstr("refused 1 of " + std::to_string(6 * SamplesPerReport()) + " sample(s) of 6 report(s)"));
  EXPECT_THAT(log, HasSubstr("__name__=\"vigie_node_load1\",node=\"rennes-2\",site=\"rennes\"} @" +
                             std::to_string(kT0 + 60'000)));
  EXPECT_THAT(log, HasSubstr("HTTP 400 out of order sample"));
}

// The worst case, a receiver refusing everything: each sample is dropped
// alone, counted, in at most two requests per sample; the next reports go on.
TEST_F(RemoteWriterTest, ARefusalOfEverySampleCostsAtMostTwoRequestsPerSample) {
  config_.max_reports_per_request = 2;
  bool refuse = true;
  receiver_.AnswerWith([&](const testing::RecordedRequest&) { return refuse ? 400u : 204u; }, "bad");
  StoreReports(1, 2);
  auto writer = StartWriter();
  ASSERT_TRUE(writer->WaitForStats([](const RemoteWriteStats& s) { return s.reports_sent == 2; }, 30s));
  const size_t samples = 2 * SamplesPerReport();
  EXPECT_EQ(writer->stats().samples_refused, samples);
  EXPECT_EQ(writer->stats().samples_sent, 0u);
  EXPECT_EQ(writer->stats().requests_refused, 2 * samples - 1);
  writer->Stop();
  refuse = false;
  StoreReports(3, 1);
  auto next = StartWriter();
  ASSERT_TRUE(next->WaitForStats([](const RemoteWriteStats& s) { return s.reports_sent == 1; }, 10s));
  EXPECT_EQ(next->stats().samples_sent, SamplesPerReport());
}

TEST_F(RemoteWriterTest, WrongCredentialsOrURLKeepTheRequestUntilFixed) {
  receiver_.Answer({401, 403, 404}, "no");
  StoreReports(1, 2);
  auto writer = StartWriter();
  ASSERT_TRUE(writer->WaitForStats([](const RemoteWriteStats& s) { return s.requests_delivered == 1; }, 10s));
  const std::vector<testing::RecordedRequest> requests = receiver_.requests();
  ASSERT_EQ(requests.size(), 4u);
  for (const testing::RecordedRequest& request : requests) EXPECT_EQ(request.body, requests[0].body);
  EXPECT_EQ(writer->stats().attempts_failed, 3u);
  EXPECT_EQ(writer->stats().samples_refused, 0u);
  EXPECT_EQ(writer->stats().samples_sent, 2 * SamplesPerReport());
}

// A stop (or a crash) with a request in flight: the restart sends that very
// request again, not one rebuilt with the reports stored meanwhile.
TEST_F(RemoteWriterTest, ARestartSendsTheRequestInFlightAgainAsItWas) {
  receiver_.Answer(std::vector<unsigned>(1000, 503));
  StoreReports(1, 3);
  {
    auto writer = StartWriter();
    ASSERT_TRUE(writer->WaitForStats([](const RemoteWriteStats& s) { return s.attempts_failed >= 1; }, 10s));
  }
  const std::string in_flight = receiver_.requests().at(0).body;
  StoreReports(4, 5);
  receiver_.Answer({});
  const size_t before = receiver_.requests().size();
  auto writer = StartWriter();
  ASSERT_TRUE(writer->WaitForStats([](const RemoteWriteStats& s) { return s.reports_sent == 8; }, 10s));
  const std::vector<testing::RecordedRequest> requests = receiver_.requests();
  ASSERT_EQ(requests.size(), before + 2);
  EXPECT_EQ(requests[before].body, in_flight);
  EXPECT_EQ(writer->stats().requests_delivered, 2u);
  const auto samples = DeliveredSamples();
  EXPECT_EQ(samples.size(), 8 * SamplesPerReport());
  for (const auto& [key, count] : samples) EXPECT_EQ(count, 1) << key.first << " @" << key.second;
}

TEST_F(RemoteWriterTest, PendingReportsAreTheBacklog) {
  receiver_.Answer(std::vector<unsigned>(1000, 503));
  StoreReports(1, 7);
  auto writer = StartWriter();
  ASSERT_TRUE(writer->WaitForStats([](const RemoteWriteStats& s) { return s.pending_reports == 7; }, 10s));
  writer->Stop();
  receiver_.Answer({});
  auto next = StartWriter();
  ASSERT_TRUE(next->WaitForStats([](const RemoteWriteStats& s) { return s.reports_sent == 7; }, 10s));
  next->Notify();
  EXPECT_TRUE(next->WaitForStats([](const RemoteWriteStats& s) { return s.pending_reports == 0; }, 10s));
}

TEST_F(RemoteWriterTest, ATimeoutIsRetried) {
  // A peer that accepts connections (the kernel does) and never answers.
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  socklen_t length = sizeof address;
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  config_.url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/api/v1/write";
  config_.timeout = 200ms;
  StoreReports(1, 1);
  auto writer = StartWriter();
  const bool retried = writer->WaitForStats([](const RemoteWriteStats& s) { return s.attempts_failed >= 2; }, 10s);
  const RemoteWriteStats stats = writer->stats();
  writer->Stop();
  close(listener);
  ASSERT_TRUE(retried);
  EXPECT_THAT(stats.last_error, HasSubstr("Timeout"));
  EXPECT_EQ(stats.requests_delivered, 0u);
}

TEST_F(RemoteWriterTest, ReportsStoredBeforeTheFirstStartAreSentOnlyWithinBackfill) {
  config_.backfill = std::chrono::hours(1);
  StoreReports(1, 2);  // received at kT0 + 10'000 s, long before "now"
  auto writer = StartWriter();
  StoreReports(3, 1);
  writer->Notify();
  ASSERT_TRUE(writer->WaitForStats([](const RemoteWriteStats& s) { return s.reports_sent >= 1; }, 10s));
  writer->Stop();
  EXPECT_EQ(writer->stats().reports_sent, 1u);
}

TEST_F(RemoteWriterTest, UninstallStopsLoggingIngest) {
  { auto writer = StartWriter(); }
  ASSERT_TRUE(RemoteWriteLog::Uninstall(collector_.database));
  StoreReports(1, 1);  // the trigger is gone: ingest works and logs nothing
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(collector_.database.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'remote_write%'", -1, &s, nullptr);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(s, 0), 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
}

// A collector upgraded from before the range in flight was recorded: its
// cursor table gains the column and its position is kept.
TEST_F(RemoteWriterTest, ACursorTableOfAnEarlierVersionIsUpgradedInPlace) {
  StoreReports(1, 2);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(collector_.database.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE remote_write_cursor (target TEXT PRIMARY KEY, last_id INTEGER NOT NULL, "
                         "last_received_ms INTEGER NOT NULL, last_node_id TEXT NOT NULL, last_boot_id TEXT NOT NULL, "
                         "last_seq INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
                         "CREATE TABLE remote_write_log (id INTEGER PRIMARY KEY AUTOINCREMENT, node_id TEXT NOT NULL, "
                         "boot_id TEXT NOT NULL, seq INTEGER NOT NULL);"
                         "CREATE TRIGGER remote_write_log_insert AFTER INSERT ON reports BEGIN "
                         "INSERT INTO remote_write_log(node_id, boot_id, seq) VALUES (NEW.node_id, NEW.boot_id, NEW.seq); "
                         "END;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  StoreReports(3, 2);  // logged by the old trigger
  auto writer = StartWriter();
  ASSERT_TRUE(writer->WaitForStats([](const RemoteWriteStats& s) { return s.reports_sent == 2; }, 10s));
  EXPECT_EQ(DeliveredSamples().size(), 2 * SamplesPerReport());
}

TEST(RemoteWriteVerdict, FollowsTheSpecification) {
  EXPECT_EQ(VerdictForStatus(200), RemoteWriteVerdict::kDelivered);
  EXPECT_EQ(VerdictForStatus(204), RemoteWriteVerdict::kDelivered);
  EXPECT_EQ(VerdictForStatus(400), RemoteWriteVerdict::kRefused);
  EXPECT_EQ(VerdictForStatus(413), RemoteWriteVerdict::kRefused);
  EXPECT_EQ(VerdictForStatus(422), RemoteWriteVerdict::kRefused);
  // The configuration is wrong, not the samples: kept until it is fixed.
  EXPECT_EQ(VerdictForStatus(401), RemoteWriteVerdict::kRetry);
  EXPECT_EQ(VerdictForStatus(403), RemoteWriteVerdict::kRetry);
  EXPECT_EQ(VerdictForStatus(404), RemoteWriteVerdict::kRetry);
  EXPECT_EQ(VerdictForStatus(408), RemoteWriteVerdict::kRetry);
  EXPECT_EQ(VerdictForStatus(429), RemoteWriteVerdict::kRetry);
  EXPECT_EQ(VerdictForStatus(500), RemoteWriteVerdict::kRetry);
  EXPECT_EQ(VerdictForStatus(503), RemoteWriteVerdict::kRetry);
  EXPECT_EQ(VerdictForStatus(301), RemoteWriteVerdict::kRetry);
}

}  // namespace
}  // namespace vigie::collector
