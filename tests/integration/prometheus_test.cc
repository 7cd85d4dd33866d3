// The collector as the Prometheus ecosystem sees it: `promtool check metrics`
// has nothing to say about /metrics, and a real Prometheus that scrapes the
// collector answers queries with the values that were pushed.
#include <chrono>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "collector/token.h"
#include "tests/testing/http_client.h"
#include "tests/testing/process.h"
#include "tests/testing/sample_reports.h"
#include "tests/testing/testing.h"
#include "vigie.pb.h"

namespace vigie {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

const std::string kCollector = std::string(VIGIE_BINARY_DIR) + "/collector/vigie-collector";

class PrometheusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/bin/promtool")) GTEST_SKIP() << "Debian's prometheus package is not installed";
    const std::string token = collector::NewToken();
    dir_.Write("collector.toml", "listen = \"127.0.0.1:0\"\ndatabase = \"c.db\"\n[[node]]\nid = \"rennes-2\"\n"
                                 "site = \"rennes\"\ntoken_sha256 = \"" + collector::Sha256Hex(token) + "\"\n");
    collector_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{kCollector, "--config", (dir_.path() / "collector.toml").string()});
    const std::optional<std::string> rest = collector_->WaitForLine("listening on http://127.0.0.1:", 10s);
    ASSERT_TRUE(rest) << collector_->stderr_text();
    port_ = rest->substr(0, rest->find(' '));

    v1::Batch batch;
    v1::Report* report = batch.add_reports();
    *report = testing::SampleHardwareReport();
    report->set_node_id("rennes-2");
    report->set_boot_id("6ef63991-7ee5-4c0b-81a3-e6c91f946998");
    report->set_seq(1);
    report->set_timestamp_unix_ms(1'795'600'000'000);
    report->set_uptime_seconds(350.43);
    report->mutable_system()->set_load1(0.19);
    const testing::HttpReply pushed = testing::HttpPost(
        "http://127.0.0.1:" + port_ + "/v1/push",
        {"Content-Type: application/x-protobuf", "Authorization: Bearer " + token}, batch.SerializeAsString());
    ASSERT_EQ(pushed.status, 200) << pushed.error << pushed.body;
  }

  testing::TempDir dir_;
  std::unique_ptr<ChildProcess> collector_;
  std::string port_;
};

TEST_F(PrometheusTest, PromtoolFindsNothingToSay) {
  const testing::HttpReply page = testing::HttpGet("http://127.0.0.1:" + port_ + "/metrics");
  ASSERT_EQ(page.status, 200);
  const auto path = dir_.Write("metrics.txt", page.body);
  const testing::CommandResult check =
      testing::RunCommand({"/bin/sh", "-c", "promtool check metrics < " + path.string() + " 2>&1"});
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_EQ(check.out, "");
}

std::string PercentEncode(char c) {
  static const char kHex[] = "0123456789ABCDEF";
  const auto byte = static_cast<unsigned char>(c);
  return {'%', kHex[byte >> 4], kHex[byte & 0x0F]};
}

// The value of a one-series instant query, from Prometheus' JSON answer
// ("value":[<time>,"<value>"]); "" when there is no single series.
std::string QueryValue(const std::string& prometheus, const std::string& query) {
  std::string escaped;
  for (char c : query) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') escaped += c;
    else escaped += PercentEncode(c);
  }
  const testing::HttpReply reply = testing::HttpGet(prometheus + "/api/v1/query?query=" + escaped);
  const size_t value = reply.body.find("\"value\":[");
  if (value == std::string::npos || reply.body.find("\"value\":[", value + 1) != std::string::npos) return "";
  const size_t open = reply.body.find(",\"", value);
  const size_t close = reply.body.find('"', open + 2);
  return reply.body.substr(open + 2, close - open - 2);
}

TEST_F(PrometheusTest, ARealPrometheusScrapesTheCollector) {
  const std::string web = "127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  const auto config = dir_.Write("prometheus.yml",
                                 "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: vigie\n"
                                 "    static_configs:\n      - targets: ['127.0.0.1:" + port_ + "']\n");
  ChildProcess prometheus({"/usr/bin/prometheus", "--config.file=" + config.string(),
                           "--storage.tsdb.path=" + (dir_.path() / "tsdb").string(), "--web.listen-address=" + web});
  const std::string api = "http://" + web;
  std::string up;
  for (auto deadline = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < deadline;) {
    up = QueryValue(api, "vigie_node_up{node=\"rennes-2\"}");
    if (up == "1") break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(up, "1") << prometheus.stderr_text();
  EXPECT_EQ(QueryValue(api, "vigie_node_load1{node=\"rennes-2\",site=\"rennes\"}"), "0.19");
  EXPECT_EQ(QueryValue(api, "vigie_sensor_temperature_celsius{chip=\"coretemp-isa-0000\",sensor=\"Package id 0\"}"), "45");
  EXPECT_EQ(QueryValue(api, "vigie_disk_ata_attribute_raw{disk=\"sda\",id=\"5\"}"), "304");
  EXPECT_EQ(QueryValue(api, "vigie_disk_nvme_critical_warning{disk=\"nvme0n1\"}"), "4");
  EXPECT_EQ(QueryValue(api, "vigie_sensor_alarm{sensor=\"fan2\"}"), "1");
}

}  // namespace
}  // namespace vigie
