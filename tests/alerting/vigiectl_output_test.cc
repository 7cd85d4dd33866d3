// vigiectl prints what the collector's API says about nodes and alerts; the
// strings in it come from the nodes. Against a scripted API on 127.0.0.1,
// escapes and line breaks in them never reach the terminal raw.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/process.h"
#include "tests/testing/recording_server.h"
#include "tests/testing/testing.h"

namespace vigie {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kVigiectl = std::string(VIGIE_BINARY_DIR) + "/collector/vigiectl";

// JSON escapes, decoded by vigiectl into the bytes a hostile node sent: a
// screen clear, a window-title OSC, the C1 CSI, and a line break.
const std::string kHostile = R"(\u001b[2J\u001b]0;pwned\u0007\u009b31m\nFAKE LINE)";

// Its standard output and error, together.
testing::CommandResult Vigiectl(const testing::TempDir& dir, const testing::RecordingServer& api,
                                const std::string& command) {
  const std::filesystem::path config = dir.path() / "collector.toml";
  return testing::RunCommand({"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", kVigiectl, "--config", config.string(),
                              "--url", api.Url(""), command});
}

void ExpectNoRawControl(const std::string& out) {
  for (const unsigned char c : out) {
    EXPECT_TRUE(c == '\n' || c >= 0x20) << "control byte " << static_cast<int>(c) << " in:\n" << out;
  }
  EXPECT_THAT(out, Not(HasSubstr("\xc2\x9b")));
  EXPECT_THAT(out, Not(HasSubstr("\nFAKE LINE")));
}

class VigiectlOutput : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("admin.token", "admin-secret\n");
    dir_.Write("collector.toml", "listen = \"127.0.0.1:0\"\ndatabase = \"c.db\"\n[api]\nadmin_token_file = \"admin.token\"\n");
  }
  testing::TempDir dir_;
  testing::RecordingServer api_;
};

TEST_F(VigiectlOutput, NodesShowsNodeStringsWithoutTheirEscapes) {
  api_.Answer({200}, R"([{"node": "rennes-1", "site": "rennes", "state": "up", "last_seen_unix_ms": null,
      "hottest_sensor": {"celsius": 50, "label": ")" + kHostile + R"("},
      "disks": [{"device": "sda)" + kHostile + R"(", "status": "read", "health": "passed"}]}])");
  const testing::CommandResult r = Vigiectl(dir_, api_, "nodes");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("rennes-1"));
  EXPECT_THAT(r.out, HasSubstr("FAKE LINE"));  // shown, on no line of its own
  ExpectNoRawControl(r.out);
}

TEST_F(VigiectlOutput, AlertsShowSummariesWithoutTheirEscapes) {
  api_.Answer({200}, R"([{"id": 1, "state": "firing", "acked_by": "", "severity": "warning", "rule": "filesystem_full",
      "site": "rennes", "started_ms": 1764000000000, "summary": "filesystem /x)" + kHostile + R"( is full"}])");
  const testing::CommandResult r = Vigiectl(dir_, api_, "alerts");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("filesystem /x"));
  ExpectNoRawControl(r.out);
}

TEST_F(VigiectlOutput, AnErrorAnswerIsShownWithoutItsEscapes) {
  api_.Answer({500}, "\x1b[2Jbroken\n\x1b]0;pwned\x07");
  const testing::CommandResult r = Vigiectl(dir_, api_, "nodes");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("broken"));
  ExpectNoRawControl(r.out);
}

}  // namespace
}  // namespace vigie
