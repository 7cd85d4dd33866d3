// A real collector on 127.0.0.1 (ephemeral port) and real agents reading a
// recorded /proc tree: what reaches /metrics is exactly what the tree holds,
// and tokens decide who may push what.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "collector/token.h"
#include "tests/testing/http_client.h"
#include "tests/integration/helpers.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"
#include "vigie.pb.h"

namespace vigie {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

const std::string kAgent = std::string(VIGIE_BINARY_DIR) + "/agent/vigie-agent";
const std::string kCollector = std::string(VIGIE_BINARY_DIR) + "/collector/vigie-collector";
const std::string kVigiectl = std::string(VIGIE_BINARY_DIR) + "/collector/vigiectl";


class PushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_a_ = collector::NewToken();
    token_b_ = collector::NewToken();
    dir_.Write("a.token", token_a_ + "\n");
    dir_.Write("admin.token", "admin-secret\n");
    dir_.Write("collector.toml", "listen = \"127.0.0.1:0\"\ndatabase = \"state/collector.db\"\n"
                                 "[api]\nadmin_token_file = \"admin.token\"\n"
                                 "[[node]]\nid = \"node-a\"\nsite = \"rennes\"\ntoken_sha256 = \"" +
                                     collector::Sha256Hex(token_a_) +
                                     "\"\n"
                                     "[[node]]\nid = \"node-b\"\nsite = \"lyon\"\ntoken_sha256 = \"" +
                                     collector::Sha256Hex(token_b_) + "\"\n");
    collector_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{kCollector, "--config", (dir_.path() / "collector.toml").string()});
    const std::optional<std::string> rest = collector_->WaitForLine("listening on http://127.0.0.1:", 10s);
    ASSERT_TRUE(rest) << collector_->stderr_text();
    base_url_ = "http://127.0.0.1:" + rest->substr(0, rest->find(' '));
  }

  // An agent of `node_id` with token a.token, reading the recorded vm-2core host.
  std::unique_ptr<ChildProcess> StartAgent(const std::string& node_id) {
    const auto config = dir_.Write(node_id + ".toml",
                                   "node_id = \"" + node_id + "\"\nstate_directory = \"state/" + node_id +
                                       "\"\nhost_root = \"" + testing::FixturePath("hosts/vm-2core").string() +
                                       "\"\n[collect]\nperiod = \"200ms\"\n[[collector]]\nurl = \"" + base_url_ +
                                       "\"\ntoken_file = \"a.token\"\ntimeout = \"5s\"\n");
    return std::make_unique<ChildProcess>(std::vector<std::string>{kAgent, "--config", config.string()});
  }

  std::map<std::string, std::string> Metrics() {
    const testing::HttpReply reply = testing::HttpGet(base_url_ + "/metrics");
    EXPECT_EQ(reply.status, 200) << reply.error;
    return testing::ParseMetrics(reply.body);
  }

  // Polls /metrics until `sample` is present (the push has been committed).
  std::map<std::string, std::string> WaitForSample(const std::string& sample) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    std::map<std::string, std::string> metrics;
    while (std::chrono::steady_clock::now() < deadline) {
      metrics = Metrics();
      if (metrics.contains(sample)) return metrics;
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "no " << sample << " in /metrics; collector log:\n" << collector_->stderr_text();
    return metrics;
  }

  testing::TempDir dir_;
  std::string token_a_, token_b_;
  std::unique_ptr<ChildProcess> collector_;
  std::string base_url_;
};

TEST_F(PushTest, MetricsShowExactlyTheValuesOfTheRecordedTree) {
  auto agent = StartAgent("node-a");
  const std::string node = "node=\"node-a\",site=\"rennes\"";
  auto m = WaitForSample("vigie_node_last_seen_timestamp_seconds{" + node + "}");
  // tests/fixtures/hosts/vm-2core: proc/uptime, proc/loadavg, proc/meminfo, statvfs.tsv.
  EXPECT_EQ(m["vigie_node_up{" + node + "}"], "1");
  EXPECT_EQ(m["vigie_node_uptime_seconds{" + node + "}"], "350.43");
  EXPECT_EQ(m["vigie_node_load1{" + node + "}"], "0.19");
  EXPECT_EQ(m["vigie_node_load5{" + node + "}"], "0.18");
  EXPECT_EQ(m["vigie_node_load15{" + node + "}"], "0.09");
  EXPECT_EQ(m["vigie_node_memory_total_bytes{" + node + "}"], std::to_string(24684096ull * 1024));
  EXPECT_EQ(m["vigie_node_memory_available_bytes{" + node + "}"], std::to_string(24378852ull * 1024));
  EXPECT_EQ(m["vigie_node_swap_total_bytes{" + node + "}"], "0");
  const std::string fs = node + ",mountpoint=\"/\",device=\"/dev/vda\",fstype=\"ext4\"";
  EXPECT_EQ(m["vigie_filesystem_size_bytes{" + fs + "}"], std::to_string(66053021ull * 4096));
  EXPECT_EQ(m["vigie_filesystem_free_bytes{" + fs + "}"], std::to_string(61891303ull * 4096));
  EXPECT_EQ(m["vigie_filesystem_avail_bytes{" + fs + "}"], std::to_string(20922579ull * 4096));
  EXPECT_EQ(m["vigie_filesystem_files{" + fs + "}"], "16777216");
  EXPECT_EQ(m["vigie_filesystem_files_free{" + fs + "}"], "16366554");
  // Only the root filesystem of that host is on a disk.
  int filesystems = 0;
  for (const auto& [sample, value] : m) filesystems += sample.starts_with("vigie_filesystem_size_bytes{");
  EXPECT_EQ(filesystems, 1);
  EXPECT_EQ(m["vigie_node_up{node=\"node-b\",site=\"lyon\"}"], "0");

  // vigiectl reads the same store.
  // vigiectl reads the same state through the API, with the admin token.
  const testing::CommandResult ctl = testing::RunCommand(
      {kVigiectl, "--config", (dir_.path() / "collector.toml").string(), "--url", base_url_, "--json", "nodes"});
  EXPECT_EQ(ctl.exit_code, 0);
  EXPECT_THAT(ctl.out, ::testing::HasSubstr(R"({"node":"node-a","site":"rennes","configured":true,"state":"up",)"));
  EXPECT_THAT(ctl.out, ::testing::HasSubstr(R"("hottest_sensor":null,"disks":[],"source_errors":0})"));
  EXPECT_THAT(ctl.out, ::testing::HasSubstr(
                           R"({"node":"node-b","site":"lyon","configured":true,"state":"never seen","last_seen_unix_ms":null)"));
  const testing::CommandResult table = testing::RunCommand(
      {kVigiectl, "--config", (dir_.path() / "collector.toml").string(), "--url", base_url_, "nodes"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_THAT(table.out, ::testing::HasSubstr("node-b             lyon         never seen"));
  const testing::CommandResult details = testing::RunCommand(
      {kVigiectl, "--config", (dir_.path() / "collector.toml").string(), "--url", base_url_, "--json", "node", "node-a"});
  EXPECT_THAT(details.out, ::testing::HasSubstr(R"("memory_total_bytes":25276514304)"));
  EXPECT_EQ(agent->Stop(SIGTERM), 0) << agent->stderr_text();
}

TEST_F(PushTest, TheApiWantsTheAdminToken) {
  EXPECT_EQ(testing::HttpGet(base_url_ + "/v1/nodes").status, 401);
  const testing::HttpReply wrong = testing::HttpPost(base_url_ + "/v1/nodes", {"Authorization: Bearer " + token_a_}, "");
  EXPECT_EQ(wrong.status, 401);
}

TEST_F(PushTest, AWrongTokenGets401AndStoresNothing) {
  v1::Batch batch;
  v1::Report* report = batch.add_reports();
  report->set_node_id("node-a");
  report->set_boot_id("6ef63991-7ee5-4c0b-81a3-e6c91f946998");
  report->set_seq(1);
  const testing::HttpReply reply =
      testing::HttpPost(base_url_ + "/v1/push",
                        {"Content-Type: application/x-protobuf", "Authorization: Bearer " + collector::NewToken()},
                        batch.SerializeAsString());
  EXPECT_EQ(reply.status, 401) << reply.error;
  const auto m = Metrics();
  EXPECT_EQ(m.at("vigie_collector_pushes_total{result=\"unauthorized\"}"), "1");
  EXPECT_EQ(m.at("vigie_collector_reports_total{result=\"stored\"}"), "0");
  EXPECT_FALSE(m.contains("vigie_node_last_seen_timestamp_seconds{node=\"node-a\",site=\"rennes\"}"));
}

TEST_F(PushTest, NodeATokenCannotPushAsNodeB) {
  // A real agent that claims to be node-b but holds node-a's token: it keeps
  // its reports until the token is fixed, and says so.
  auto impostor = StartAgent("node-b");
  ASSERT_TRUE(impostor->WaitForLine("keeping 1 report(s) and retrying with backoff", 10s)) << impostor->stderr_text();
  EXPECT_THAT(impostor->stderr_text(), ::testing::HasSubstr("HTTP 403: "));
  EXPECT_THAT(impostor->stderr_text(), ::testing::HasSubstr("the collector refuses this node's token: fix "));
  const auto m = Metrics();
  EXPECT_EQ(m.at("vigie_node_up{node=\"node-b\",site=\"lyon\"}"), "0");
  EXPECT_FALSE(m.contains("vigie_node_last_seen_timestamp_seconds{node=\"node-b\",site=\"lyon\"}"));
  EXPECT_EQ(m.at("vigie_collector_reports_total{result=\"stored\"}"), "0");
  EXPECT_NE(m.at("vigie_collector_pushes_total{result=\"forbidden\"}"), "0");
}

// HTTPS served by the collector itself: the agent trusts the collector's
// certificate through ca_file, and its reports arrive as over HTTP.
TEST(TlsPush, AnAgentPushesOverHttpsToTheCollectorsOwnCertificate) {
  if (!std::filesystem::exists("/usr/bin/openssl")) GTEST_SKIP() << "openssl is not installed";
  testing::TempDir dir;
  const testing::CommandResult made = testing::RunCommand(
      {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
       "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", (dir.path() / "collector.key").string(), "-out",
       (dir.path() / "collector.crt").string()});
  ASSERT_EQ(made.exit_code, 0);
  const std::string token = collector::NewToken();
  dir.Write("agent.token", token);
  const auto collector_config = dir.Write(
      "collector.toml", "listen = \"127.0.0.1:0\"\ndatabase = \"c.db\"\n[tls]\ncert_file = \"collector.crt\"\n"
                        "key_file = \"collector.key\"\n[[node]]\nid = \"n\"\nsite = \"s\"\ntoken_sha256 = \"" +
                            collector::Sha256Hex(token) + "\"\n");
  ChildProcess collector({kCollector, "--config", collector_config.string()});
  const std::optional<std::string> rest = collector.WaitForLine("listening on https://127.0.0.1:", 10s);
  ASSERT_TRUE(rest) << collector.stderr_text();
  const std::string url = "https://127.0.0.1:" + rest->substr(0, rest->find(' '));
  const auto agent_config = dir.Write(
      "agent.toml", "node_id = \"n\"\nstate_directory = \"state\"\nhost_root = \"" +
                        testing::FixturePath("hosts/vm-2core").string() +
                        "\"\n[collect]\nperiod = \"200ms\"\n[[collector]]\nurl = \"" + url +
                        "\"\ntoken_file = \"agent.token\"\nca_file = \"collector.crt\"\n");
  ChildProcess agent({kAgent, "--config", agent_config.string()});
  const std::string ca = (dir.path() / "collector.crt").string();
  std::string page;
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
    page = testing::HttpGet(url + "/metrics", ca).body;
    if (page.find("vigie_node_load1{node=\"n\",site=\"s\"} 0.19") != std::string::npos) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_NE(page.find("vigie_node_load1{node=\"n\",site=\"s\"} 0.19"), std::string::npos) << agent.stderr_text();
  // Plain HTTP to the HTTPS port gets no answer.
  EXPECT_NE(testing::HttpGet("http://127.0.0.1:" + rest->substr(0, rest->find(' ')) + "/healthz").status, 200);
  ASSERT_EQ(agent.Stop(SIGTERM), 0) << agent.stderr_text();
  EXPECT_EQ(agent.stderr_text().find("push failed"), std::string::npos) << agent.stderr_text();
}

}  // namespace
}  // namespace vigie
