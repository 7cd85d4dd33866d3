// The engine under floods and failures: a report with hundreds of findings
// makes one message per recipient each way, SMART baselines stay bounded,
// failed database calls are counted, and a peer cannot park the outbox.
#include <sqlite3.h>

#include <memory>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "alerting/engine.h"
#include "common/config.h"
#include "tests/alerting/peers.h"
#include "tests/alerting/recording_notifier.h"
#include "tests/testing/testing.h"

namespace vigie::alerting {
namespace {

using ::testing::HasSubstr;
using testing::RecordingNotifier;

constexpr int64_t kT0 = 1'764'000'000'000;
constexpr int64_t kDay = 86'400'000;

constexpr const char* kConfig = R"(
[[node]]
id = "rennes-1"
site = "rennes"
[[site]]
name = "rennes"
members = [{ name = "Alice", matrix_room = "!alice:x", email = "alice@x.org" },
           { name = "Carol", matrix_user = "@carol:x" }]
[[admin]]
name = "Ops"
matrix_room = "!ops:x"
email = "ops@x.org"
[matrix]
homeserver_url = "http://unused"
access_token_file = "token"
messages_per_second = 1000
burst = 1000
)";

class EngineBoundsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("token", "t");
    config_ = LoadAlertingConfig(ConfigDocument::Parse(kConfig, (dir_.path() / "c.toml").string()).Root());
    auto engine = Engine::Open(config_, dir_.path() / "a.db", Notifiers{&matrix_, &email_, nullptr});
    ASSERT_TRUE(engine) << engine.error().message;
    engine_ = std::move(*engine);
  }

  // Runs `sql` on the engine's database through a connection of its own.
  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() / "a.db").c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  int64_t CounterRows() {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((dir_.path() / "a.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM counters", -1, &s, nullptr);
    const int64_t rows = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    sqlite3_close(db);
    return rows;
  }

  void Report(const v1::Report& r) { engine_->OnReport(r.node_id(), "rennes", r, now_); }

  testing::TempDir dir_;
  AlertingConfig config_;
  RecordingNotifier matrix_;
  RecordingNotifier email_;
  std::unique_ptr<Engine> engine_;
  int64_t now_ = kT0;
};

TEST_F(EngineBoundsTest, TwoHundredFullFilesystemsMakeOneMessagePerRecipientEachWay) {
  v1::Report full = testing::BasicReport("rennes-1", now_, 1);
  testing::AddFilesystems(full, 200, 0.99);
  Report(full);
  engine_->Tick(now_ += 5'000);
  // Critical: the member and the admins, each once per channel.
  for (RecordingNotifier* channel : {&matrix_, &email_}) {
    for (const char* target : {"!alice:x", "!ops:x", "alice@x.org", "ops@x.org"}) {
      if ((channel == &matrix_) != (target[0] == '!')) continue;
      ASSERT_EQ(channel->To(target).size(), 1u) << target;
      EXPECT_THAT(channel->To(target)[0].text, HasSubstr("and 195 more filesystems nearly full on rennes-1"));
    }
  }
  EXPECT_THAT(email_.To("alice@x.org")[0].subject, HasSubstr("[vigie] 6 FIRING: rennes-1 filesystem"));
  const Result<std::vector<Alert>> alerts = engine_->ListAlerts(/*include_resolved=*/false);
  ASSERT_TRUE(alerts);
  EXPECT_EQ(alerts->size(), 6u);

  Report(testing::BasicReport("rennes-1", now_ += 60'000, 2));
  engine_->Tick(now_ += 5'000);
  ASSERT_EQ(email_.To("alice@x.org").size(), 2u);
  ASSERT_EQ(email_.To("ops@x.org").size(), 2u);
  EXPECT_THAT(email_.To("alice@x.org")[1].subject, HasSubstr("[vigie] 6 RESOLVED: rennes-1 filesystem"));
  EXPECT_EQ(matrix_.To("!alice:x").size(), 2u);
}

TEST_F(EngineBoundsTest, BaselinesOfADiskGoneForAMonthAreDeleted) {
  v1::Report with_disk = testing::BasicReport("rennes-1", now_, 1);
  testing::AddAttribute(testing::AddAtaDisk(with_disk, "sda", "S1"), 5, "Reallocated_Sector_Ct", 100, 10, 8);
  Report(with_disk);
  EXPECT_EQ(CounterRows(), 1);
  now_ += kCounterExpiryMs - kDay;
  Report(testing::BasicReport("rennes-1", now_, 2));
  EXPECT_EQ(CounterRows(), 1);
  now_ += kDay;
  Report(testing::BasicReport("rennes-1", now_, 3));
  EXPECT_EQ(CounterRows(), 0);
}

TEST_F(EngineBoundsTest, NewSerialsInEveryReportKeepTheBaselinesBounded) {
  for (int push = 0; push < 5; ++push) {
    v1::Report r = testing::BasicReport("rennes-1", now_ += 60'000, static_cast<uint64_t>(push + 1));
    for (int i = 0; i < 1000; ++i) {
      v1::Disk* d = testing::AddAtaDisk(r, "sd" + std::to_string(i), fmt::format("P{}-S{}", push, i));
      testing::AddAttribute(d, 5, "Reallocated_Sector_Ct", 100, 10, 0);
    }
    Report(r);
  }
  EXPECT_EQ(CounterRows(), static_cast<int64_t>(kMaxCountersPerNode));
}

TEST_F(EngineBoundsTest, FailedOutboxAndDirectRoomWritesAreCountedAndLogged) {
  Sql("CREATE TRIGGER refuse BEFORE UPDATE ON outbox BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;"
      "DROP TABLE matrix_dm;");
  // !alice:x first, then @carol:x, whose direct room is made.
  matrix_.script = {Delivery{Delivery::Status::kDelivered, 0, "", ""},
                    Delivery{Delivery::Status::kDelivered, 0, "", "!dm:x"}};
  v1::Report r = testing::BasicReport("rennes-1", now_, 1);
  testing::FillFilesystem(r, 0.93);
  ::testing::internal::CaptureStderr();
  Report(r);
  engine_->Tick(now_ += 5'000);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(log, HasSubstr("alerting: cannot read the direct room of @carol:x"));
  EXPECT_THAT(log, HasSubstr("alerting: cannot remember the direct room !dm:x of @carol:x"));
  EXPECT_THAT(log, HasSubstr("disk on fire"));
  // The room of @carol:x read and written, and each of the 3 delivered entries marked sent.
  EXPECT_EQ(engine_->DatabaseErrors(), 5u) << log;
}

TEST_F(EngineBoundsTest, APeersRetryAfterIsHonouredOnlyUpToTheLongestBackoff) {
  matrix_.script = {Delivery{Delivery::Status::kRetry, INT64_MAX, "429", ""}};
  v1::Report r = testing::BasicReport("rennes-1", now_, 1);
  testing::FillFilesystem(r, 0.93);
  Report(r);
  const int64_t sent_ms = now_ += 5'000;
  engine_->Tick(sent_ms);
  // !alice:x is told to wait, and the channel with it: @carol:x waits too.
  ASSERT_EQ(matrix_.attempts.size(), 1u);
  engine_->Tick(sent_ms + config_.outbox_retry_max.count() - 1);
  EXPECT_EQ(matrix_.attempts.size(), 1u);
  engine_->Tick(sent_ms + config_.outbox_retry_max.count());
  // (the node, silent meanwhile, is offline by now: a message of its own follows)
  for (const char* target : {"!alice:x", "@carol:x"}) {
    ASSERT_FALSE(matrix_.To(target).empty()) << target;
    EXPECT_THAT(matrix_.To(target)[0].text, HasSubstr("93% full")) << target;
  }
}

}  // namespace
}  // namespace vigie::alerting
