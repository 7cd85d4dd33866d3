// The alerting engine inside a real collector process: a pushed report with
// a failing disk becomes an alert in /v1/alerts, vigiectl alerts and
// vigie_alerts_firing; acknowledging and silencing go through the API.
#include <chrono>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "collector/token.h"
#include "tests/testing/http_client.h"
#include "tests/testing/process.h"
#include "tests/testing/sample_reports.h"
#include "tests/testing/testing.h"

namespace vigie {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kCollector = std::string(VIGIE_BINARY_DIR) + "/collector/vigie-collector";
const std::string kVigiectl = std::string(VIGIE_BINARY_DIR) + "/collector/vigiectl";

TEST(AlertingWiring, AFailingDiskIsAnAlertInTheApiVigiectlAndMetrics) {
  testing::TempDir dir;
  const std::string token = collector::NewToken();
  dir.Write("admin.token", "admin-secret\n");
  const auto config = dir.Write(
      "collector.toml", "listen = \"127.0.0.1:0\"\ndatabase = \"c.db\"\n[api]\nadmin_token_file = \"admin.token\"\n"
                        "[alerting]\ntick = \"100ms\"\n[[site]]\nname = \"rennes\"\n"
                        "[[node]]\nid = \"rennes-2\"\nsite = \"rennes\"\ntoken_sha256 = \"" +
                            collector::Sha256Hex(token) + "\"\n");
  testing::ChildProcess collector({kCollector, "--config", config.string()});
  const std::optional<std::string> rest = collector.WaitForLine("listening on http://127.0.0.1:", 10s);
  ASSERT_TRUE(rest) << collector.stderr_text();
  const std::string base = "http://127.0.0.1:" + rest->substr(0, rest->find(' '));

  v1::Batch batch;
  v1::Report* report = batch.add_reports();
  *report = testing::SampleHardwareReport();
  report->set_node_id("rennes-2");
  report->set_boot_id("6ef63991-7ee5-4c0b-81a3-e6c91f946998");
  report->set_seq(1);
  report->set_timestamp_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
  report->set_disks_read(true);
  report->mutable_disks(0)->set_health(v1::Disk::FAILED);
  const testing::HttpReply pushed = testing::HttpPost(
      base + "/v1/push", {"Content-Type: application/x-protobuf", "Authorization: Bearer " + token},
      batch.SerializeAsString());
  ASSERT_EQ(pushed.status, 200) << pushed.body;

  EXPECT_EQ(testing::HttpGet(base + "/v1/alerts").status, 401);  // without the admin token
  std::string alerts;
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
    const testing::CommandResult ctl = testing::RunCommand({kVigiectl, "--config", config.string(), "--url", base,
                                                            "--json", "alerts"});
    alerts = ctl.out;
    if (alerts.find("\"state\":\"firing\"") != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_THAT(alerts, HasSubstr("\"node\":\"rennes-2\"")) << collector.stderr_text();
  EXPECT_THAT(alerts, HasSubstr("\"state\":\"firing\""));

  const testing::HttpReply metrics = testing::HttpGet(base + "/metrics");
  EXPECT_THAT(metrics.body, HasSubstr("vigie_alerts_firing{node=\"rennes-2\",site=\"rennes\""));

  const testing::CommandResult silence = testing::RunCommand({kVigiectl, "--config", config.string(), "--url", base,
                                                              "silence", "--node", "rennes-2", "--for", "2h",
                                                              "--reason", "disk swap planned", "--by", "alice"});
  EXPECT_EQ(silence.exit_code, 0);
  const testing::CommandResult silences =
      testing::RunCommand({kVigiectl, "--config", config.string(), "--url", base, "silences"});
  EXPECT_THAT(silences.out, HasSubstr("node=rennes-2"));
  EXPECT_THAT(silences.out, HasSubstr("disk swap planned (alice)"));
}

}  // namespace
}  // namespace vigie
