// The engine and AlertmanagerNotifier against a real Alertmanager (Debian's
// prometheus-alertmanager) on 127.0.0.1: the alert is listed by its API with
// Vigie's labels, then resolved.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "alerting/alertmanager_notifier.h"
#include "alerting/engine.h"
#include "common/config.h"
#include "tests/alerting/peers.h"
#include "tests/testing/http_client.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace vigie::alerting {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

// A port the kernel just handed out and released: Alertmanager cannot report
// the port it got for ":0", so the test asks the kernel first.
uint16_t FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

TEST(Alertmanager, ListsTheFiringAlertWithVigieLabelsThenItsResolution) {
  ASSERT_TRUE(testing::NeedPackages({"prometheus-alertmanager"}));
  testing::TempDir dir;
  dir.Write("alertmanager.yml", "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n");
  const std::string url = "http://127.0.0.1:" + std::to_string(FreePort());
  testing::ChildProcess alertmanager({"/usr/bin/prometheus-alertmanager",
                                      "--config.file=" + (dir.path() / "alertmanager.yml").string(),
                                      "--storage.path=" + (dir.path() / "data").string(),
                                      "--web.listen-address=" + url.substr(7), "--cluster.listen-address="});
  ASSERT_TRUE(alertmanager.WaitForLine("Listening on", 30s)) << alertmanager.stderr_text();

  const std::string toml = "[alertmanager]\nurl = \"" + url + "/\"\n";
  AlertingConfig config = LoadAlertingConfig(ConfigDocument::Parse(toml, (dir.path() / "c.toml").string()).Root());
  ASSERT_TRUE(config.alertmanager);
  AlertmanagerNotifier notifier(*config.alertmanager);
  auto engine = Engine::Open(config, dir.path() / "collector.db", Notifiers{nullptr, nullptr, &notifier});
  ASSERT_TRUE(engine) << engine.error().message;

  // Alertmanager judges startsAt/endsAt against its own clock: start from the real time once,
  // a little in the past so that the resolution (endsAt) is not in its future.
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count() - 10'000;
  v1::Report report = testing::BasicReport("rennes-1", now, 1);
  testing::FillFilesystem(report, 0.99);
  (*engine)->OnReport("rennes-1", "rennes", report, now);
  (*engine)->Tick(now += 1'000);

  testing::HttpReply listed = testing::HttpGet(url + "/api/v2/alerts");
  ASSERT_EQ(listed.status, 200) << listed.error;
  EXPECT_THAT(listed.body, HasSubstr("\"alertname\":\"filesystem_full\""));
  EXPECT_THAT(listed.body, HasSubstr("\"node\":\"rennes-1\""));
  EXPECT_THAT(listed.body, HasSubstr("\"site\":\"rennes\""));
  EXPECT_THAT(listed.body, HasSubstr("\"severity\":\"critical\""));
  EXPECT_THAT(listed.body, HasSubstr("\"rule\":\"filesystem_full\""));
  EXPECT_THAT(listed.body, HasSubstr("\"state\":\"active\""));
  EXPECT_THAT(listed.body, HasSubstr("filesystem / is 99% full"));

  (*engine)->OnReport("rennes-1", "rennes", testing::BasicReport("rennes-1", now, 2), now);
  (*engine)->Tick(now += 1'000);
  listed = testing::HttpGet(url + "/api/v2/alerts?active=true");
  ASSERT_EQ(listed.status, 200) << listed.error;
  EXPECT_THAT(listed.body, Not(HasSubstr("filesystem_full"))) << listed.body;
}

}  // namespace
}  // namespace vigie::alerting
