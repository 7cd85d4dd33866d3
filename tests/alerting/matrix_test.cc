// The engine and MatrixNotifier against tests/matrix/fake_homeserver.py on
// 127.0.0.1 (an ephemeral port): after injected 429s, 500s, dropped
// connections and a request that times out after the server stored it, each
// alert is in the room exactly once; a member given as a
// Matrix user gets a direct room. Time is the injected clock: no sleeps.
#include <chrono>
#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "alerting/engine.h"
#include "alerting/http_call.h"
#include "alerting/matrix_notifier.h"
#include "common/config.h"
#include "tests/alerting/peers.h"
#include "tests/testing/http_client.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace vigie::alerting {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'764'000'000'000;  // 2025-11-24, any fixed instant
const char* kHome = "!home:test.invalid";
const char* kOps = "!ops:test.invalid";

// Counts non-overlapping occurrences of `needle`.
int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + needle.size())) ++n;
  return n;
}

class MatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::NeedPackages({"python3"}));
    server_ = std::make_unique<testing::ChildProcess>(std::vector<std::string>{
        "/usr/bin/python3", std::string(VIGIE_SOURCE_DIR) + "/tests/matrix/fake_homeserver.py", "--token",
        "secret-token", "--room", kHome, "--room", kOps});
    const std::optional<std::string> port = server_->WaitForLine("listening on http://127.0.0.1:", 10s);
    ASSERT_TRUE(port) << server_->stderr_text();
    url_ = "http://127.0.0.1:" + *port;
    dir_.Write("matrix.token", "secret-token\n");
    const std::string toml = R"(
[[node]]
id = "rennes-1"
site = "rennes"
token_sha256 = "x"
[[node]]
id = "rennes-2"
site = "rennes"
token_sha256 = "x"
[[site]]
name = "rennes"
members = [{ name = "Alice", matrix_room = "!home:test.invalid" },
           { name = "Carol", matrix_user = "@carol:test.invalid" }]
[[admin]]
name = "Ops"
matrix_room = "!ops:test.invalid"
[alerting]
grafana_url = "https://grafana.test.invalid/d/node?var-node={node}"
[matrix]
homeserver_url = ")" + url_ + R"("
access_token_file = "matrix.token"
)";
    const std::string file = (dir_.path() / "collector.toml").string();
    config_ = LoadAlertingConfig(ConfigDocument::Parse(toml, file).Root());
    ASSERT_TRUE(config_.matrix);
    // The "stall" fault costs one timeout of real time: short, but not so
    // short that a busy machine's ordinary answer misses it.
    notifier_ = std::make_unique<MatrixNotifier>(*config_.matrix, 3'000);
  }

  std::unique_ptr<Engine> OpenEngine() {
    auto engine = Engine::Open(config_, dir_.path() / "collector.db", Notifiers{notifier_.get(), nullptr, nullptr});
    EXPECT_TRUE(engine) << engine.error().message;
    return engine ? std::move(*engine) : nullptr;
  }

  void Faults(const std::string& json) {
    const testing::HttpReply reply = testing::HttpPost(url_ + "/_test/faults", {"Content-Type: application/json"}, json);
    ASSERT_EQ(reply.status, 200) << reply.error;
  }

  // Every event body of a room, concatenated.
  std::string RoomText(const std::string& room) {
    const testing::HttpReply reply = testing::HttpGet(url_ + "/_test/rooms/" + UrlEncode(room) + "/events");
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.body;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::ChildProcess> server_;
  std::string url_;
  AlertingConfig config_;
  std::unique_ptr<MatrixNotifier> notifier_;
};

TEST_F(MatrixTest, EachAlertReachesTheRoomExactlyOnceDespiteFaults) {
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_TRUE(engine);
  Faults(R"({"faults": ["429", "500", "drop", "drop_before", "stall", "429", "drop"], "retry_after_ms": 3000})");
  int64_t now = kT0;
  v1::Report full = testing::BasicReport("rennes-1", now, 1);
  testing::FillFilesystem(full, 0.95);
  engine->OnReport("rennes-1", "rennes", full, now);
  v1::Report failing = testing::BasicReport("rennes-2", now, 1);
  v1::Disk* disk = testing::AddAtaDisk(failing, "sda", "S1");
  disk->set_health(v1::Disk::FAILED);
  engine->OnReport("rennes-2", "rennes", failing, now);
  for (int i = 0; i < 60; ++i) engine->Tick(now += 5'000);

  const std::string home = RoomText(kHome);
  EXPECT_EQ(Count(home, "rennes-1 filesystem / nearly full"), 0);  // the title is the e-mail subject only
  EXPECT_EQ(Count(home, "filesystem / is 95% full"), 2) << home;  // body and formatted_body, once each
  EXPECT_EQ(Count(home, "disk sda (TEST HDD) is failing"), 2) << home;
  EXPECT_THAT(home, HasSubstr("\"msgtype\": \"m.notice\""));
  EXPECT_THAT(home, HasSubstr("\"format\": \"org.matrix.custom.html\""));
  EXPECT_THAT(home, HasSubstr("https://grafana.test.invalid/d/node?var-node=rennes-1"));
  // Critical: the admins hear of the failing disk, not of the (warning) filesystem.
  const std::string ops = RoomText(kOps);
  EXPECT_EQ(Count(ops, "disk sda (TEST HDD) is failing"), 2) << ops;
  EXPECT_EQ(Count(ops, "filesystem / is 95% full"), 0) << ops;

  // Carol got a direct room, created once, where the same alerts arrived once.
  const testing::HttpReply rooms = testing::HttpGet(url_ + "/_test/rooms");
  EXPECT_EQ(Count(rooms.body, "\"is_direct\": true"), 1) << rooms.body;
  EXPECT_THAT(rooms.body, HasSubstr("\"invite\": [\"@carol:test.invalid\"]"));
  const std::string dm = RoomText("!room1:test.invalid");
  EXPECT_EQ(Count(dm, "filesystem / is 95% full"), 2) << dm;
  EXPECT_EQ(Count(dm, "disk sda (TEST HDD) is failing"), 2) << dm;

  auto outbox = engine->ListOutbox();
  ASSERT_TRUE(outbox);
  int retried = 0;
  for (const OutboxEntry& e : *outbox) {
    EXPECT_EQ(e.state, OutboxState::kSent) << e.target << " " << e.last_error;
    if (e.attempts > 1) ++retried;
  }
  EXPECT_GE(retried, 3);

  // Fixed: one RESOLVED per alert, in one merged message per room.
  now += 60'000;
  engine->OnReport("rennes-1", "rennes", testing::BasicReport("rennes-1", now, 2), now);
  v1::Report healthy = testing::BasicReport("rennes-2", now, 2);
  testing::AddAtaDisk(healthy, "sda", "S1");
  engine->OnReport("rennes-2", "rennes", healthy, now);
  for (int i = 0; i < 10; ++i) engine->Tick(now += 5'000);
  const std::string after = RoomText(kHome);
  EXPECT_EQ(Count(after, "RESOLVED rennes-1 filesystem / nearly full"), 2) << after;
  EXPECT_EQ(Count(after, "RESOLVED rennes-2 disk sda failing"), 2) << after;
}

TEST_F(MatrixTest, WrongTokenIsAPermanentFailure) {
  MatrixConfig bad = *config_.matrix;
  bad.access_token = "wrong";
  MatrixNotifier notifier(bad, 5'000);
  OutboxEntry entry;
  entry.id = 1;
  entry.created_ms = kT0;
  entry.target = kHome;
  entry.text = "x";
  const Delivery d = notifier.Deliver(entry);
  EXPECT_EQ(d.status, Delivery::Status::kPermanent);
  EXPECT_THAT(d.error, HasSubstr("401 M_UNKNOWN_TOKEN"));
}

TEST_F(MatrixTest, RateLimitAnswerCarriesRetryAfter) {
  Faults(R"({"faults": ["429"], "retry_after_ms": 7500})");
  OutboxEntry entry;
  entry.id = 1;
  entry.created_ms = kT0;
  entry.target = kHome;
  entry.text = "x";
  const Delivery d = notifier_->Deliver(entry);
  EXPECT_EQ(d.status, Delivery::Status::kRetry);
  EXPECT_EQ(d.retry_after_ms, 8'000);  // the header's whole seconds win over retry_after_ms
}

}  // namespace
}  // namespace vigie::alerting
