#include "collector/remote_write_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/testing.h"

namespace vigie::collector {
namespace {

using ::testing::HasSubstr;

RemoteWriteConfig Load(const testing::TempDir& dir, const std::string& text) {
  const ConfigDocument doc = ConfigDocument::Load(dir.Write("collector.toml", text));
  const ConfigTable root = doc.Root();
  RemoteWriteConfig config = LoadRemoteWriteConfig(root);
  root.RejectUnknownKeys();  // what LoadCollectorConfig does after it
  return config;
}

std::string LoadError(const std::string& text) {
  testing::TempDir dir;
  dir.Write("token", "s3cret\n");
  try {
    Load(dir, text);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

TEST(RemoteWriteConfig, OffWithoutTheTable) {
  testing::TempDir dir;
  EXPECT_FALSE(Load(dir, "# no [remote_write]\n").enabled);
}

TEST(RemoteWriteConfig, ReadsEveryKeyAndTheSecretFiles) {
  testing::TempDir dir;
  dir.Write("rw.password", "pa55\n");
  const RemoteWriteConfig config = Load(dir,
                                        "[remote_write]\n"
                                        "url = \"https://mimir.example.org/api/v1/push\"\n"
                                        "timeout = \"10s\"\n"
                                        "max_reports_per_request = 100\n"
                                        "max_samples_per_request = 2000\n"
                                        "min_backoff = \"250ms\"\n"
                                        "max_backoff = \"30s\"\n"
                                        "poll_interval = \"2s\"\n"
                                        "backfill = \"1h\"\n"
                                        "headers = [\"X-Scope-OrgID: fleet\"]\n"
                                        "[remote_write.basic_auth]\n"
                                        "username = \"vigie\"\n"
                                        "password_file = \"rw.password\"\n");
  EXPECT_TRUE(config.enabled);
  EXPECT_EQ(config.url, "https://mimir.example.org/api/v1/push");
  EXPECT_EQ(config.timeout, std::chrono::seconds(10));
  EXPECT_EQ(config.max_reports_per_request, 100u);
  EXPECT_EQ(config.max_samples_per_request, 2000u);
  EXPECT_EQ(config.min_backoff, std::chrono::milliseconds(250));
  EXPECT_EQ(config.max_backoff, std::chrono::seconds(30));
  EXPECT_EQ(config.poll_interval, std::chrono::seconds(2));
  EXPECT_EQ(config.backfill, std::chrono::hours(1));
  ASSERT_EQ(config.headers.size(), 1u);
  EXPECT_EQ(config.headers[0].first, "X-Scope-OrgID");
  EXPECT_EQ(config.headers[0].second, "fleet");
  EXPECT_EQ(config.basic_auth_username, "vigie");
  EXPECT_EQ(config.basic_auth_password, "pa55");
  EXPECT_EQ(config.bearer_token, "");
}

TEST(RemoteWriteConfig, DefaultsAndABearerToken) {
  testing::TempDir dir;
  dir.Write("token", "s3cret\n");
  const RemoteWriteConfig config =
      Load(dir, "[remote_write]\nurl = \"http://127.0.0.1:9090/api/v1/write\"\nbearer_token_file = \"token\"\n");
  EXPECT_EQ(config.bearer_token, "s3cret");
  EXPECT_EQ(config.timeout, std::chrono::seconds(30));
  EXPECT_EQ(config.max_reports_per_request, 500u);
  EXPECT_EQ(config.max_samples_per_request, 10'000u);
  EXPECT_EQ(config.backfill, std::chrono::milliseconds(0));
}

TEST(RemoteWriteConfig, ARequiredHeaderCannotBeOverridden) {
  EXPECT_THAT(LoadError("[remote_write]\nurl = \"http://h/w\"\nheaders = [\"Content-Encoding: gzip\"]\n"),
              HasSubstr("collector.toml:3: remote_write.headers: Content-Encoding is set by the collector itself"));
}

TEST(RemoteWriteConfig, AHeaderWithoutColonIsExplained) {
  EXPECT_THAT(LoadError("[remote_write]\nurl = \"http://h/w\"\nheaders = [\"X-Scope-OrgID fleet\"]\n"),
              HasSubstr("collector.toml:3: remote_write.headers: 'X-Scope-OrgID fleet' is not \"Name: value\""));
}

TEST(RemoteWriteConfig, BothAuthenticationsAreRejected) {
  EXPECT_THAT(LoadError("[remote_write]\nurl = \"http://h/w\"\nbearer_token_file = \"token\"\n"
                        "[remote_write.basic_auth]\nusername = \"u\"\npassword_file = \"token\"\n"),
              HasSubstr("collector.toml:3: remote_write.bearer_token_file: give either basic_auth or"));
}

TEST(RemoteWriteConfig, ANonHttpUrlAndAMissingUrlAreRejected) {
  EXPECT_THAT(LoadError("[remote_write]\nurl = \"mimir:9009\"\n"),
              HasSubstr("collector.toml:2: remote_write.url: 'mimir:9009' is not an http:// or https:// URL"));
  EXPECT_THAT(LoadError("[remote_write]\ntimeout = \"5s\"\n"), HasSubstr("remote_write.url: missing (required)"));
}

TEST(RemoteWriteConfig, ATypoIsNamed) {
  EXPECT_THAT(LoadError("[remote_write]\nurl = \"http://h/w\"\nmax_report_per_request = 5\n"),
              HasSubstr("collector.toml:3: remote_write.max_report_per_request"));
}

}  // namespace
}  // namespace vigie::collector
