#include "agent/agent_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/config.h"
#include "tests/testing/testing.h"

namespace vigie::agent {
namespace {

using ::testing::HasSubstr;

std::string LoadError(const std::filesystem::path& path) {
  try {
    LoadAgentConfig(path);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

TEST(AgentConfig, ReadsCollectorsAndTheTokenFromItsFile) {
  testing::TempDir dir;
  dir.Write("agent.token", "tok-123\n");
  const auto path = dir.Write("agent.toml",
                              "node_id = \"rennes-2\"\n"
                              "[collect]\nperiod = \"30s\"\n"
                              "[[collector]]\nurl = \"http://127.0.0.1:9470/\"\ntoken_file = \"agent.token\"\n"
                              "[[collector]]\nurl = \"https://standby.example:9470\"\ntoken_file = \"agent.token\"\n"
                              "timeout = \"2s\"\n");
  const AgentConfig config = LoadAgentConfig(path);
  EXPECT_EQ(config.node_id, "rennes-2");
  EXPECT_EQ(config.period, std::chrono::seconds(30));
  ASSERT_EQ(config.collectors.size(), 2u);
  EXPECT_EQ(config.collectors[0].url, "http://127.0.0.1:9470");
  EXPECT_EQ(config.collectors[0].token, "tok-123");
  EXPECT_EQ(config.collectors[0].token_file, dir.path() / "agent.token");  // read again after a 401
  EXPECT_EQ(config.collectors[1].timeout, std::chrono::seconds(2));
}

TEST(AgentConfig, WithoutACollectorItSaysWhatIsMissing) {
  testing::TempDir dir;
  const auto path = dir.Write("agent.toml", "node_id = \"a\"\n");
  EXPECT_THAT(LoadError(path), HasSubstr("agent.toml:1: collector: at least one [[collector]]"));
}

TEST(AgentConfig, MisspelledKeyIsRejectedWithItsLine) {
  testing::TempDir dir;
  dir.Write("t", "x");
  const auto path = dir.Write("agent.toml",
                              "node_id = \"a\"\n[[collector]]\nurl = \"http://h\"\ntoken_file = \"t\"\ntimout = \"1s\"\n");
  EXPECT_THAT(LoadError(path), HasSubstr("agent.toml:5: collector[0].timout: unknown key"));
}

TEST(AgentConfig, NodeIdMustBeAPlainName) {
  testing::TempDir dir;
  const auto path = dir.Write("agent.toml", "node_id = \"a b\"\n");
  EXPECT_THAT(LoadError(path), HasSubstr("agent.toml:1: node_id: use 1-64 letters"));
}

TEST(AgentConfig, UrlMustBeHttp) {
  testing::TempDir dir;
  dir.Write("t", "x");
  const auto path = dir.Write("agent.toml", "node_id = \"a\"\n[[collector]]\nurl = \"ftp://h\"\ntoken_file = \"t\"\n");
  EXPECT_THAT(LoadError(path), HasSubstr("agent.toml:3: collector[0].url: 'ftp://h' is not an http"));
}

// A token goes into a header line: a second line in its file must not.
TEST(AgentConfig, RefusesATokenFileOfMoreThanOneWord) {
  testing::TempDir dir;
  dir.Write("t", "tok-123\r\nX-Injected: 1\n");
  const auto path =
      dir.Write("agent.toml", "node_id = \"a\"\n[[collector]]\nurl = \"http://h\"\ntoken_file = \"t\"\n");
  EXPECT_THAT(LoadError(path), HasSubstr("collector[0].token_file: a token is one word of visible ASCII"));
}

}  // namespace
}  // namespace vigie::agent
