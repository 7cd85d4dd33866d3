// Delivery through outages: a real vigie-agent process (short periods stand
// in for minutes) against an in-process collector whose HTTP front the test
// can take down or make answer 500, and whose store it reads.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "collector/collector.h"
#include "collector/token.h"
#include "alerting/alert.h"
#include "tests/integration/helpers.h"
#include "tests/testing/http_client.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace vigie {
namespace {

using namespace std::chrono_literals;
using collector::HttpRequest;
using collector::HttpResponse;
using collector::HttpStatus;
using testing::ChildProcess;

const std::string kAgent = std::string(VIGIE_BINARY_DIR) + "/agent/vigie-agent";
const std::string kNode = "rennes-2";

// A push stored as the collector stores it, then answered 500: the ack lost
// on its way back.
class LostAck final : public collector::DeferredResponse {
 public:
  explicit LostAck(std::shared_ptr<collector::DeferredResponse> push) : push_(std::move(push)) {}
  void Start(std::function<void()> ready) override { push_->Start(std::move(ready)); }
  HttpResponse Finish() override {
    push_->Finish();
    return HttpResponse{HttpStatus::kInternalServerError, "text/plain", "lost ack\n"};
  }

 private:
  std::shared_ptr<collector::DeferredResponse> push_;
};

// A real collector (store, ingest) behind an HTTP front the test controls.
class TestCollector {
 public:
  enum class Mode { kNormal, kFail500, kStoreThenFail500 };

  TestCollector(const std::filesystem::path& dir, const std::string& token) {
    collector::CollectorConfig config;
    config.database = dir / "collector.db";
    config.nodes[kNode] = collector::NodeEntry{kNode, "rennes", collector::Sha256Hex(token)};
    collector_ = std::make_unique<collector::Collector>(config);
    const Result<void> opened = collector_->Open();
    EXPECT_TRUE(opened) << opened.error().message;
    Up();
  }

  // Serves again, on the same port as before.
  void Up() {
    collector::HttpServerOptions options;
    options.port = port_;
    server_ = std::make_unique<collector::HttpServer>(options, [this](const HttpRequest& request) {
      ++requests_;
      const Mode mode = mode_.load();
      if (mode == Mode::kFail500) return HttpResponse{HttpStatus::kInternalServerError, "text/plain", "injected\n"};
      HttpResponse response = collector_->Handle(request);
      if (mode == Mode::kStoreThenFail500) {
        if (response.deferred) response.deferred = std::make_shared<LostAck>(std::move(response.deferred));
        else response = HttpResponse{HttpStatus::kInternalServerError, "text/plain", "lost ack\n"};
      }
      return response;
    });
    const Result<void> started = server_->Start();
    ASSERT_TRUE(started) << started.error().message;
    port_ = server_->port();
  }
  // Refuses connections until Up().
  void Down() { server_.reset(); }

  void set_mode(Mode mode) { mode_ = mode; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }

  std::vector<collector::Store::StoredReport> Reports() {
    auto reports = collector_->store().ListReports(kNode);
    EXPECT_TRUE(reports);
    return reports ? *reports : std::vector<collector::Store::StoredReport>{};
  }

  // Waits until at least `count` reports are stored.
  bool WaitForReports(size_t count, std::chrono::milliseconds timeout = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Reports().size() >= count) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

 private:
  std::unique_ptr<collector::Collector> collector_;
  std::unique_ptr<collector::HttpServer> server_;
  uint16_t port_ = 0;
  std::atomic<Mode> mode_{Mode::kNormal};
  std::atomic<int> requests_{0};
};


class DeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_ = collector::NewToken();
    dir_.Write("agent.token", token_);
  }

  std::filesystem::path AgentConfig(const std::vector<std::string>& urls, const std::string& spool_write_after = "1h") {
    std::string text = "node_id = \"" + kNode + "\"\nstate_directory = \"state\"\nhost_root = \"" +
                       testing::FixturePath("hosts/vm-2core").string() +
                       "\"\n[collect]\nperiod = \"100ms\"\nretry_initial = \"50ms\"\nretry_max = \"200ms\"\n"
                       "spool_write_after = \"" + spool_write_after + "\"\n";
    for (const std::string& url : urls) {
      text += "[[collector]]\nurl = \"" + url + "\"\ntoken_file = \"agent.token\"\ntimeout = \"2s\"\n";
    }
    return dir_.Write("agent.toml", text);
  }

  std::unique_ptr<ChildProcess> StartAgent(const std::filesystem::path& config) {
    return std::make_unique<ChildProcess>(std::vector<std::string>{kAgent, "--config", config.string()});
  }

  std::filesystem::path spool_file() const { return dir_.path() / "state" / "spool"; }

  testing::TempDir dir_;
  std::string token_;
};

TEST_F(DeliveryTest, AfterAnOutageEveryReportArrivesOnceInOrderWithoutGap) {
  testing::TempDir collector_dir;
  TestCollector collector(collector_dir.path(), token_);
  auto agent = StartAgent(AgentConfig({collector.url()}));
  ASSERT_TRUE(collector.WaitForReports(3)) << agent->stderr_text();
  collector.Down();
  // 30 periods: 30 minutes at the default period of 60 s.
  std::this_thread::sleep_for(3s);
  const size_t before = collector.Reports().size();
  collector.Up();
  ASSERT_TRUE(collector.WaitForReports(before + 30)) << agent->stderr_text();
  ASSERT_EQ(agent->Stop(SIGTERM), 0);

  const auto reports = collector.Reports();
  const auto runs = testing::Runs(reports);
  ASSERT_EQ(runs.size(), 1u) << "a gap or a reordering in the stored history";
  EXPECT_GE(runs[0].size(), before + 30);
  EXPECT_TRUE(reports.back().report.events_size() == 1 &&
              reports.back().report.events(0).kind() == v1::Event::CLEAN_SHUTDOWN);
  EXPECT_TRUE(reports.front().report.events_size() == 1 &&
              reports.front().report.events(0).kind() == v1::Event::AGENT_STARTED);
}

TEST_F(DeliveryTest, AnAckLostToA500IsRetriedAndNothingIsStoredTwice) {
  testing::TempDir collector_dir;
  TestCollector collector(collector_dir.path(), token_);
  collector.set_mode(TestCollector::Mode::kStoreThenFail500);
  auto agent = StartAgent(AgentConfig({collector.url()}));
  ASSERT_TRUE(collector.WaitForReports(5)) << agent->stderr_text();
  const int failed_requests = collector.requests();
  collector.set_mode(TestCollector::Mode::kNormal);
  const size_t stored = collector.Reports().size();
  ASSERT_TRUE(collector.WaitForReports(stored + 3));
  ASSERT_EQ(agent->Stop(SIGTERM), 0);

  const auto runs = testing::Runs(collector.Reports());
  ASSERT_EQ(runs.size(), 1u);
  // The retried batches overlapped what was stored: the first batch after
  // the 500s carried reports the store already had.
  EXPECT_GT(failed_requests, 1);
  EXPECT_EQ(collector.Reports().size(), runs[0].size());
}

TEST_F(DeliveryTest, ABacklogHeldAtSigtermIsDeliveredAfterTheRestart) {
  testing::TempDir collector_dir;
  TestCollector collector(collector_dir.path(), token_);
  collector.Down();
  const auto config = AgentConfig({collector.url()});
  auto agent = StartAgent(config);
  ASSERT_TRUE(agent->WaitForLine("push failed", 5s));
  std::this_thread::sleep_for(1s);
  ASSERT_EQ(agent->Stop(SIGTERM), 0);
  ASSERT_TRUE(std::filesystem::exists(spool_file()));

  collector.Up();
  auto restarted = StartAgent(config);
  ASSERT_TRUE(restarted->WaitForLine("read ", 5s)) << restarted->stderr_text();
  ASSERT_TRUE(collector.WaitForReports(12));
  ASSERT_EQ(restarted->Stop(SIGTERM), 0);

  const auto reports = collector.Reports();
  const auto runs = testing::Runs(reports);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_GE(runs[0].size(), 8u);  // about 1 s of 100 ms periods, then the CLEAN_SHUTDOWN report
  const v1::Report& last_of_first_run = reports[runs[0].size() - 1].report;
  ASSERT_EQ(last_of_first_run.events_size(), 1);
  EXPECT_EQ(last_of_first_run.events(0).kind(), v1::Event::CLEAN_SHUTDOWN);
  const v1::Report& first_of_second_run = reports[runs[0].size()].report;
  ASSERT_EQ(first_of_second_run.events_size(), 1);
  EXPECT_EQ(first_of_second_run.events(0).kind(), v1::Event::AGENT_STARTED);
  EXPECT_TRUE(first_of_second_run.events(0).previous_shutdown_clean());
  EXPECT_FALSE(std::filesystem::exists(spool_file())) << "a delivered spool must not be sent again";
}

TEST_F(DeliveryTest, AfterSigkillOnlyReportsSinceTheLastSpoolWriteAreLost) {
  testing::TempDir collector_dir;
  TestCollector collector(collector_dir.path(), token_);
  collector.Down();
  const auto config = AgentConfig({collector.url()}, "500ms");
  auto agent = StartAgent(config);
  ASSERT_TRUE(agent->WaitForLine("saved ", 5s)) << agent->stderr_text();
  std::this_thread::sleep_for(300ms);
  agent->Stop(SIGKILL);
  // The last write before the kill is what the file holds.
  const std::string log = agent->stderr_text();
  const size_t last_save = log.rfind("saved ");
  const size_t saved_count = std::stoul(log.substr(last_save + 6));

  collector.Up();
  auto restarted = StartAgent(config);
  ASSERT_TRUE(collector.WaitForReports(saved_count + 1)) << restarted->stderr_text();
  ASSERT_EQ(restarted->Stop(SIGTERM), 0);
  const auto reports = collector.Reports();
  const auto runs = testing::Runs(reports);
  ASSERT_GE(runs.size(), 2u);
  EXPECT_EQ(runs[0].size(), saved_count);
  // No clean-shutdown marker: the restart says the last run did not end cleanly.
  const v1::Report& first_of_second_run = reports[runs[0].size()].report;
  ASSERT_EQ(first_of_second_run.events_size(), 1);
  EXPECT_FALSE(first_of_second_run.events(0).previous_shutdown_clean());
}

TEST_F(DeliveryTest, ASpoolFileCutInARecordKeepsItsValidPrefix) {
  testing::TempDir collector_dir;
  TestCollector collector(collector_dir.path(), token_);
  collector.Down();
  const auto config = AgentConfig({collector.url()});
  auto agent = StartAgent(config);
  ASSERT_TRUE(agent->WaitForLine("push failed", 5s));
  std::this_thread::sleep_for(500ms);
  ASSERT_EQ(agent->Stop(SIGTERM), 0);
  std::filesystem::resize_file(spool_file(), std::filesystem::file_size(spool_file()) - 100);

  collector.Up();
  auto restarted = StartAgent(config);
  const std::optional<std::string> warning = restarted->WaitForLine("damaged; the ", 5s);
  ASSERT_TRUE(warning) << restarted->stderr_text();
  const size_t kept = std::stoul(*warning);  // "the N report(s) before it were kept"
  ASSERT_TRUE(collector.WaitForReports(kept + 2));
  ASSERT_EQ(restarted->Stop(SIGTERM), 0);
  const auto runs = testing::Runs(collector.Reports());
  ASSERT_GE(runs.size(), 2u);
  EXPECT_EQ(runs[0].size(), kept);
  EXPECT_TRUE(std::filesystem::exists(spool_file().string() + ".damaged"));
}

// SIGHUP reloads the configuration and keeps the spool (issue #4, item 5):
// the backlog held for a collector that is down goes to the collector the
// new configuration names instead, in order, and nothing is lost.
TEST_F(DeliveryTest, ASighupToAnotherCollectorKeepsTheBacklogAndDeliversIt) {
  testing::TempDir dir_a, dir_b;
  TestCollector a(dir_a.path(), token_);
  TestCollector b(dir_b.path(), token_);
  a.Down();
  auto agent = StartAgent(AgentConfig({a.url()}));
  ASSERT_TRUE(agent->WaitForLine("push failed", 5s)) << agent->stderr_text();
  std::this_thread::sleep_for(1s);
  AgentConfig({b.url()});
  ASSERT_EQ(kill(agent->pid(), SIGHUP), 0);
  ASSERT_TRUE(agent->WaitForLine("configuration reloaded", 5s)) << agent->stderr_text();
  ASSERT_TRUE(b.WaitForReports(12)) << agent->stderr_text();
  ASSERT_EQ(agent->Stop(SIGTERM), 0);

  const auto reports = b.Reports();
  const auto runs = testing::Runs(reports);
  ASSERT_EQ(runs.size(), 1u) << "a gap or a reordering in the stored history";
  ASSERT_EQ(reports.front().report.events_size(), 1);
  EXPECT_EQ(reports.front().report.events(0).kind(), v1::Event::AGENT_STARTED);
  EXPECT_TRUE(a.Reports().empty());
}

TEST_F(DeliveryTest, WithOneOfTwoCollectorsDownTheOtherGetsEverythingAndTheFirstCatchesUp) {
  testing::TempDir dir_a, dir_b;
  TestCollector a(dir_a.path(), token_);
  TestCollector b(dir_b.path(), token_);
  b.Down();
  auto agent = StartAgent(AgentConfig({b.url(), a.url()}));
  // On time: 10 periods of 100 ms give A its 10 reports while B refuses.
  ASSERT_TRUE(a.WaitForReports(10, 3s)) << agent->stderr_text();
  b.Up();
  const size_t a_count = a.Reports().size();
  ASSERT_TRUE(b.WaitForReports(a_count));
  ASSERT_EQ(agent->Stop(SIGTERM), 0);
  ASSERT_TRUE(b.WaitForReports(a.Reports().size(), 2s));
  std::vector<uint64_t> seqs_a, seqs_b;
  for (const auto& r : a.Reports()) seqs_a.push_back(r.seq);
  for (const auto& r : b.Reports()) seqs_b.push_back(r.seq);
  EXPECT_EQ(seqs_a, seqs_b);
  EXPECT_EQ(testing::Runs(b.Reports()).size(), 1u);
}

}  // namespace
}  // namespace vigie

namespace vigie {
namespace {

// The collector hands the engine each fresh push's clock skew: a node whose
// one-report push is dated two days back raises "clock wrong"; the same
// reports delivered as a backlog (several in one push) do not.
class ClockSkewWiring : public ::testing::Test {
 protected:
  void SetUp() override {
    token_ = collector::NewToken();
    collector::CollectorConfig config;
    config.database = dir_.path() / "collector.db";
    config.listen_port = 0;
    config.nodes[kNode] = collector::NodeEntry{kNode, "rennes", collector::Sha256Hex(token_)};
    collector_ = std::make_unique<collector::Collector>(config);
    ASSERT_TRUE(collector_->Open());
    ASSERT_TRUE(collector_->Start());
    url_ = "http://127.0.0.1:" + std::to_string(collector_->port());
  }

  int Push(const std::vector<int64_t>& timestamps_ms) {
    v1::Batch batch;
    for (const int64_t timestamp_ms : timestamps_ms) {
      v1::Report* report = batch.add_reports();
      report->set_node_id(kNode);
      report->set_boot_id("6ef63991-7ee5-4c0b-81a3-e6c91f946998");
      report->set_seq(++seq_);
      report->set_timestamp_unix_ms(timestamp_ms);
    }
    return testing::HttpPost(url_ + "/v1/push",
                             {"Content-Type: application/x-protobuf", "Authorization: Bearer " + token_},
                             batch.SerializeAsString())
        .status;
  }

  bool ClockWrong() {
    const Result<std::vector<alerting::Alert>> alerts = collector_->alerts().ListAlerts(/*include_resolved=*/false);
    EXPECT_TRUE(alerts);
    for (const alerting::Alert& alert : alerts ? *alerts : std::vector<alerting::Alert>{}) {
      if (alert.key.rule == alerting::kRuleClockWrong && alert.key.node == kNode) return true;
    }
    return false;
  }

  testing::TempDir dir_;
  std::string token_;
  std::unique_ptr<collector::Collector> collector_;
  std::string url_;
  uint64_t seq_ = 0;
};

TEST_F(ClockSkewWiring, ABacklogSaysNothingOfTheClockAFreshPushDoes) {
  const int64_t two_days_ago_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count() -
                                  2 * 86'400'000LL;
  ASSERT_EQ(Push({two_days_ago_ms, two_days_ago_ms + 1000}), 200);
  EXPECT_FALSE(ClockWrong());
  ASSERT_EQ(Push({two_days_ago_ms + 2000}), 200);
  EXPECT_TRUE(ClockWrong());
  const testing::HttpReply metrics = testing::HttpGet(url_ + "/metrics");
  EXPECT_EQ(testing::ParseMetrics(metrics.body).at("vigie_alerting_database_errors_total"), "0");
}

}  // namespace
}  // namespace vigie
