#include "alerting/alerting_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/testing.h"

namespace vigie::alerting {
namespace {

using ::testing::HasSubstr;

AlertingConfig Load(const testing::TempDir& dir, const std::string& toml) {
  return LoadAlertingConfig(ConfigDocument::Parse(toml, (dir.path() / "collector.toml").string()).Root());
}

TEST(AlertingConfig, ReadsSitesMembersAdminsOverridesAndChannels) {
  testing::TempDir dir;
  dir.Write("m.token", "tok\n");
  dir.Write("smtp.pw", "pw\n");
  const AlertingConfig c = Load(dir, R"(
offline_after = "3m"
[[node]]
id = "rennes-1"
site = "rennes"
[[site]]
name = "rennes"
members = [{ name = "Alice", matrix_user = "@alice:x.org", email = "alice@x.org" }]
[[site.member]]
name = "Bob"
matrix_room = "!bob:x.org"
[[admin]]
name = "Ops"
email = "ops@x.org"
[alerting]
repeat_critical = "2h"
escalate_after = "30m"
grafana_url = "https://g/d?var-node={node}"
hdd_max_celsius = 50
[alerting.site.rennes]
filesystem_warning_percent = 80
[alerting.node.rennes-1]
hdd_max_celsius = 45
[matrix]
homeserver_url = "https://m.x.org/"
access_token_file = "m.token"
[smtp]
url = "smtp://mail.x.org:587"
from = "vigie@x.org"
username = "vigie"
password_file = "smtp.pw"
[alertmanager]
url = "http://127.0.0.1:9093"
)");
  ASSERT_EQ(c.sites.size(), 1u);
  ASSERT_EQ(c.sites[0].members.size(), 2u);
  EXPECT_EQ(c.sites[0].members[0].matrix_user, "@alice:x.org");
  EXPECT_EQ(c.sites[0].members[1].matrix_room, "!bob:x.org");
  ASSERT_EQ(c.admins.size(), 1u);
  EXPECT_EQ(c.defaults.offline_after, Millis(180'000));  // the root's offline_after
  EXPECT_EQ(c.repeat_critical, Millis(7'200'000));
  EXPECT_EQ(c.repeat_warning, Millis(86'400'000));
  EXPECT_EQ(c.escalate_after, Millis(1'800'000));
  EXPECT_EQ(c.For("rennes-2", "rennes").filesystem_warning_percent, 80);
  EXPECT_EQ(c.For("rennes-2", "rennes").hdd_max_celsius, 50);
  // A node override starts from its site's.
  EXPECT_EQ(c.For("rennes-1", "rennes").hdd_max_celsius, 45);
  EXPECT_EQ(c.For("rennes-1", "rennes").filesystem_warning_percent, 80);
  EXPECT_EQ(c.For("lyon-1", "lyon").filesystem_warning_percent, 90);
  ASSERT_TRUE(c.matrix);
  EXPECT_EQ(c.matrix->homeserver_url, "https://m.x.org");
  EXPECT_EQ(c.matrix->access_token, "tok");
  ASSERT_TRUE(c.smtp);
  EXPECT_EQ(c.smtp->password, "pw");
  EXPECT_EQ(c.smtp->tls, SmtpConfig::Tls::kStartTls);
  ASSERT_TRUE(c.alertmanager);
}

TEST(AlertingConfig, ErrorsNameFileLineAndKey) {
  testing::TempDir dir;
  try {
    Load(dir, "[[site]]\nname = \"rennes\"\n[[site.member]]\nname = \"Alice\"\nmatrix_room = \"#alias:x\"\n");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("collector.toml:5: site[0].member[0].matrix_room: expected a room id"));
  }
  try {
    Load(dir, "[alerting]\nrepeat_warnin = \"1h\"\n");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr(":2: alerting.repeat_warnin: unknown key"));
  }
  try {
    Load(dir, "[alerting.site.nowhere]\nhdd_max_celsius = 50\n");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("alerting.site.nowhere: unknown key"));
  }
}

TEST(AlertingConfig, ReadsTheCapOfAlertsPerRuleAndTheCollectorsClockSkew) {
  testing::TempDir dir;
  const AlertingConfig c = Load(dir, R"(
[[node]]
id = "rennes-1"
site = "rennes"
[ingest]
max_clock_skew = "2m"
[alerting]
max_alerts_per_rule = 3
[alerting.node.rennes-1]
max_alerts_per_rule = 20
)");
  EXPECT_EQ(c.defaults.max_alerts_per_rule, 3u);
  EXPECT_EQ(c.For("rennes-1", "rennes").max_alerts_per_rule, 20u);
  EXPECT_EQ(c.defaults.max_clock_skew, Millis(120'000));
  EXPECT_EQ(c.For("rennes-1", "rennes").max_clock_skew, Millis(120'000));
  EXPECT_EQ(Load(dir, "").defaults.max_clock_skew, Millis(300'000));
}

}  // namespace
}  // namespace vigie::alerting
