// The engine's lifecycle with a recording notifier: what each member and
// admin receives, as data. Hours of injected clock take milliseconds.
#include "alerting/engine.h"

#include <map>
#include <memory>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/config.h"
#include "tests/alerting/peers.h"
#include "tests/alerting/recording_notifier.h"
#include "tests/testing/testing.h"

namespace vigie::alerting {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::RecordingNotifier;

constexpr int64_t kT0 = 1'764'000'000'000;
constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;

constexpr const char* kConfig = R"(
[[node]]
id = "rennes-1"
site = "rennes"
[[node]]
id = "rennes-2"
site = "rennes"
[[site]]
name = "rennes"
[[site.member]]
name = "Alice"
matrix_room = "!alice:x"
[[admin]]
name = "Ops"
matrix_room = "!ops:x"
email = "ops@x.org"
[alerting]
offline_after = "5m"
group_window = "2m"
escalate_after = "1h"
repeat_warning = "24h"
[alerting.node.rennes-2]
filesystem_warning_percent = 55
[matrix]
homeserver_url = "http://unused"
access_token_file = "token"
messages_per_second = 1000
burst = 1000
)";

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("token", "t");
    config_ = LoadAlertingConfig(ConfigDocument::Parse(kConfig, (dir_.path() / "c.toml").string()).Root());
    Reopen();
  }
  void Reopen() {
    engine_.reset();
    auto engine = Engine::Open(config_, dir_.path() / "a.db", Notifiers{&matrix_, &email_, nullptr});
    ASSERT_TRUE(engine) << engine.error().message;
    engine_ = std::move(*engine);
  }
  // Sends a report; the node then keeps sending it every minute of Run() until Mute().
  void Report(const v1::Report& r) {
    alive_[r.node_id()] = r;
    engine_->OnReport(r.node_id(), "rennes", r, now_);
  }
  void Mute(const std::string& node) { alive_.erase(node); }
  // The first report of a new boot whose previous run did not shut down cleanly.
  v1::Report AfterPowerLoss(const std::string& node) const {
    v1::Report r = testing::BasicReport(node, now_, 1);
    r.set_boot_id("new-" + node);
    v1::Event* e = r.add_events();
    e->set_kind(v1::Event::AGENT_STARTED);
    e->set_previous_shutdown_clean(false);
    e->set_previous_boot_id("boot-" + node);
    return r;
  }
  void Both(uint64_t seq) {
    Report(testing::BasicReport("rennes-1", now_, seq));
    Report(testing::BasicReport("rennes-2", now_, seq));
  }
  // Advances the clock in ticks of 10 s, live nodes reporting every minute; over
  // hours, ticks of a minute and reports every two (each report is an fsync).
  void Run(int64_t ms) {
    const int64_t step = ms >= kHour ? 60'000 : 10'000;
    for (const int64_t end = now_ + ms; now_ < end;) {
      engine_->Tick(now_ += step);
      if (now_ % (step * 2 * (ms >= kHour ? 1 : 3)) == 0) {
        for (const auto& [node, r] : alive_) engine_->OnReport(node, "rennes", r, now_);
      }
    }
  }

  testing::TempDir dir_;
  AlertingConfig config_;
  RecordingNotifier matrix_;
  RecordingNotifier email_;
  std::unique_ptr<Engine> engine_;
  std::map<std::string, v1::Report> alive_;
  int64_t now_ = kT0;
};

TEST_F(EngineTest, OneNodeSilentFiresOnceAfterOfflineAfterPlusGroupWindowThenResolves) {
  Both(1);
  Mute("rennes-2");
  Run(6 * kMinute + 30'000);
  EXPECT_TRUE(matrix_.delivered.empty()) << matrix_.Dump();  // 5 min offline_after + 2 min group window
  Run(kMinute);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 1u);
  EXPECT_THAT(matrix_.To("!alice:x")[0].text, HasSubstr("rennes-2 has sent nothing since"));
  EXPECT_THAT(matrix_.To("!alice:x")[0].text, HasSubstr("Check that it is switched on"));
  EXPECT_TRUE(matrix_.To("!ops:x").empty());  // a warning: members only, until escalation
  Both(4);
  Run(kMinute);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 2u);
  EXPECT_THAT(matrix_.To("!alice:x")[1].text, HasSubstr("RESOLVED rennes-2 offline"));
}

TEST_F(EngineTest, WholeSiteSilentIsOneSiteAlertAndANodeComingBackResolvesOnlyItsPart) {
  Both(1);
  Mute("rennes-1");
  Run(30'000);
  Mute("rennes-2");
  Run(10 * kMinute);
  const auto alice = matrix_.To("!alice:x");
  ASSERT_EQ(alice.size(), 1u) << alice.back().text;
  EXPECT_THAT(alice[0].text, HasSubstr("every machine at home rennes is silent"));
  EXPECT_THAT(alice[0].text, HasSubstr("rennes-1, rennes-2"));
  EXPECT_THAT(alice[0].text, HasSubstr("power cut or an internet outage"));
  EXPECT_THAT(alice[0].text, Not(HasSubstr("rennes-1 has sent nothing")));

  Report(testing::BasicReport("rennes-1", now_, 2));
  Run(kMinute);
  EXPECT_EQ(matrix_.To("!alice:x").size(), 1u) << "a partial return is told only once it lasts the group window";
  Run(2 * kMinute);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 2u);
  EXPECT_THAT(matrix_.To("!alice:x")[1].text, HasSubstr("UPDATE site rennes offline"));
  EXPECT_THAT(matrix_.To("!alice:x")[1].text, HasSubstr("still silent: rennes-2"));
  EXPECT_THAT(matrix_.To("!alice:x")[1].text, Not(HasSubstr("RESOLVED")));

  Report(testing::BasicReport("rennes-2", now_, 2));
  Run(kMinute);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 3u);
  EXPECT_THAT(matrix_.To("!alice:x")[2].text, HasSubstr("RESOLVED site rennes offline"));
}

TEST_F(EngineTest, MachinesComingBackWithinTheGroupWindowMakeOnlyTheResolvedMessage) {
  Both(1);
  Mute("rennes-1");
  Mute("rennes-2");
  Run(10 * kMinute);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 1u) << matrix_.Dump();
  Report(testing::BasicReport("rennes-1", now_, 2));
  Run(30'000);
  Report(testing::BasicReport("rennes-2", now_, 2));
  Run(kMinute);
  const auto alice = matrix_.To("!alice:x");
  ASSERT_EQ(alice.size(), 2u) << matrix_.Dump();
  EXPECT_THAT(alice[1].text, HasSubstr("RESOLVED site rennes offline"));
}

TEST_F(EngineTest, UnexpectedRebootsOfOneSiteMakeOneMessage) {
  Both(1);
  for (const char* node : {"rennes-1", "rennes-2"}) {
    v1::Report r = AfterPowerLoss(node);
    Report(r);
    r.clear_events();  // the next reports of this boot carry no start event
    alive_[node] = r;
    Run(30'000);
  }
  Run(3 * kMinute);
  const auto alice = matrix_.To("!alice:x");
  ASSERT_EQ(alice.size(), 1u) << matrix_.Dump();
  EXPECT_THAT(alice[0].text, HasSubstr("rennes-1 restarted without shutting down"));
  EXPECT_THAT(alice[0].text, HasSubstr("rennes-2 restarted without shutting down"));
  EXPECT_THAT(alice[0].text, HasSubstr("power loss?"));
  Run(25 * kHour);  // an event: no reminder, no resolved message
  EXPECT_EQ(matrix_.To("!alice:x").size(), 1u);
}

TEST_F(EngineTest, WhenANodeWasLastHeardSurvivesARestart) {
  Report(testing::BasicReport("rennes-1", now_, 1));
  now_ += 4 * kMinute;
  Report(testing::BasicReport("rennes-1", now_, 2));
  const int64_t last_heard = now_;
  Mute("rennes-1");
  Reopen();
  const auto offline = [&](int64_t at_ms) {
    engine_->Tick(at_ms);
    const Result<std::vector<Alert>> alerts = engine_->ListAlerts(/*include_resolved=*/false);
    EXPECT_TRUE(alerts) << alerts.error().message;
    for (const Alert& alert : alerts ? *alerts : std::vector<Alert>{}) {
      if (alert.key.rule == kRuleNodeOffline) return alert.state;
    }
    return AlertState::kResolved;
  };
  // offline_after (5 min) + group_window (2 min) after the second report;
  // counted from the first, it would have fired 4 minutes earlier.
  EXPECT_EQ(offline(last_heard + 7 * kMinute - 10'000), AlertState::kPending);
  EXPECT_EQ(offline(last_heard + 7 * kMinute + 10'000), AlertState::kFiring);
}

TEST_F(EngineTest, ANodesDueRebootFiresItsSitesPendingRebootsWithoutATick) {
  Both(1);
  for (const char* node : {"rennes-1", "rennes-2"}) {
    Report(AfterPowerLoss(node));
    now_ += 30'000;
  }
  // rennes-1's reboot is due (group_window after it), rennes-2's not yet: a
  // report of rennes-1 alone fires both, as one group.
  now_ += 2 * kMinute - 30'000;
  v1::Report later = testing::BasicReport("rennes-1", now_, 2);
  later.set_boot_id("new-rennes-1");
  Report(later);
  const Result<std::vector<OutboxEntry>> outbox = engine_->ListOutbox();
  ASSERT_TRUE(outbox) << outbox.error().message;
  std::vector<std::string> to_alice;
  for (const OutboxEntry& entry : *outbox) {
    if (entry.target == "!alice:x") to_alice.push_back(entry.text);
  }
  ASSERT_EQ(to_alice.size(), 1u);
  EXPECT_THAT(to_alice[0], HasSubstr("rennes-1 restarted without shutting down"));
  EXPECT_THAT(to_alice[0], HasSubstr("rennes-2 restarted without shutting down"));
}

TEST_F(EngineTest, CleanRestartOrAgentCrashIsNoRebootAlert) {
  v1::Report clean = testing::BasicReport("rennes-1", now_, 1);
  v1::Event* e = clean.add_events();
  e->set_kind(v1::Event::AGENT_STARTED);
  e->set_previous_shutdown_clean(true);
  e->set_previous_boot_id("old");
  Report(clean);
  v1::Report crash = testing::BasicReport("rennes-2", now_, 1);
  e = crash.add_events();
  e->set_kind(v1::Event::AGENT_STARTED);
  e->set_previous_boot_id(crash.boot_id());  // same boot: only the agent restarted
  Report(crash);
  Run(4 * kMinute);
  EXPECT_TRUE(matrix_.delivered.empty()) << matrix_.Dump();
}

TEST_F(EngineTest, UnacknowledgedWarningEscalatesToAdminsThenRepeatsDaily) {
  v1::Report r = testing::BasicReport("rennes-1", now_, 1);
  testing::FillFilesystem(r, 0.93);
  Report(r);
  Run(kMinute);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 1u);
  EXPECT_TRUE(matrix_.To("!ops:x").empty());
  Run(kHour);
  ASSERT_EQ(matrix_.To("!ops:x").size(), 1u);
  EXPECT_THAT(matrix_.To("!ops:x")[0].text, HasSubstr("UNACKNOWLEDGED"));
  Run(22 * kHour);
  EXPECT_EQ(matrix_.To("!alice:x").size(), 1u);
  Run(2 * kHour);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 2u);
  EXPECT_THAT(matrix_.To("!alice:x")[1].text, HasSubstr("STILL FIRING"));
  EXPECT_EQ(matrix_.To("!ops:x").size(), 2u);  // escalated: the admins get the reminders too
}

TEST_F(EngineTest, AcknowledgedAlertNeitherEscalatesNorRepeatsButResolves) {
  v1::Report r = testing::BasicReport("rennes-1", now_, 1);
  testing::FillFilesystem(r, 0.93);
  Report(r);
  Run(kMinute);
  auto alerts = engine_->ListAlerts(false);
  ASSERT_TRUE(alerts);
  ASSERT_EQ(alerts->size(), 1u);
  ASSERT_TRUE(engine_->Acknowledge(alerts->front().id, "alice", now_));
  Run(48 * kHour);
  EXPECT_EQ(matrix_.To("!alice:x").size(), 1u);
  EXPECT_TRUE(matrix_.To("!ops:x").empty());
  Report(testing::BasicReport("rennes-1", now_, 2));
  Run(kMinute);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 2u);
  EXPECT_THAT(matrix_.To("!alice:x")[1].text, HasSubstr("RESOLVED"));
}

TEST_F(EngineTest, SilencedNodeSendsNothingUntilTheSilenceEnds) {
  ASSERT_TRUE(engine_->AddSilence(Silence{0, "", "", "rennes-1", now_ + 2 * kHour, "moving house", "ops", now_}));
  v1::Report r = testing::BasicReport("rennes-1", now_, 1);
  testing::FillFilesystem(r, 0.93);
  Report(r);
  Run(kHour);
  EXPECT_TRUE(matrix_.delivered.empty());
  Report(r);
  Run(2 * kHour);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 1u);  // still firing when the silence ended
}

TEST_F(EngineTest, PerNodeOverrideAppliesToThatNodeOnly) {
  v1::Report r1 = testing::BasicReport("rennes-1", now_, 1);
  testing::FillFilesystem(r1, 0.6);
  v1::Report r2 = testing::BasicReport("rennes-2", now_, 1);
  testing::FillFilesystem(r2, 0.6);
  Report(r1);
  Report(r2);
  Run(kMinute);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 1u);
  EXPECT_THAT(matrix_.To("!alice:x")[0].text, HasSubstr("rennes-2"));
}

TEST_F(EngineTest, RestartNeitherForgetsNorResendsAFiringAlert) {
  v1::Report r = testing::BasicReport("rennes-1", now_, 1);
  testing::FillFilesystem(r, 0.93);
  Report(r);
  Run(kMinute);
  ASSERT_EQ(matrix_.delivered.size(), 1u);
  Reopen();
  Report(r);
  Run(10 * kMinute);
  EXPECT_EQ(matrix_.delivered.size(), 1u);
  Report(testing::BasicReport("rennes-1", now_, 2));
  Run(kMinute);
  ASSERT_EQ(matrix_.delivered.size(), 2u);
  EXPECT_THAT(matrix_.delivered[1].text, HasSubstr("RESOLVED"));
}

TEST_F(EngineTest, OutboxRetriesWithTheSameTxnIdAndHonoursRetryAfter) {
  matrix_.script = {Delivery{Delivery::Status::kRetry, 0, "timeout", ""},
                    Delivery{Delivery::Status::kRetry, 120'000, "429", ""}};
  v1::Report r = testing::BasicReport("rennes-1", now_, 1);
  testing::FillFilesystem(r, 0.93);
  Report(r);
  Run(40'000);  // attempt 1 at once, attempt 2 after the 30 s backoff
  ASSERT_EQ(matrix_.attempts.size(), 2u);
  Run(110'000);
  EXPECT_EQ(matrix_.attempts.size(), 2u);  // the 429 asked for 120 s
  Run(20'000);
  ASSERT_EQ(matrix_.attempts.size(), 3u);
  EXPECT_EQ(matrix_.attempts[0].TxnId(), matrix_.attempts[2].TxnId());
  EXPECT_EQ(matrix_.delivered.size(), 1u);
}

TEST_F(EngineTest, FailedMessagesAreRetriedAfterTheConfiguredBackoff) {
  std::string text = kConfig;
  text.replace(text.find("[alerting]\n"), 11, "[alerting]\noutbox_retry_initial = \"2s\"\noutbox_retry_max = \"5s\"\n");
  config_ = LoadAlertingConfig(ConfigDocument::Parse(text, (dir_.path() / "c.toml").string()).Root());
  Reopen();
  const Delivery failed{Delivery::Status::kRetry, 0, "HTTP 500", ""};
  matrix_.script = {failed, failed, failed};
  v1::Report r = testing::BasicReport("rennes-1", now_, 1);
  testing::FillFilesystem(r, 0.93);
  Report(r);
  const int64_t t0 = now_;
  // Attempts at 0 s, then after 2 s, 4 s and 5 s (the cap): the fourth is delivered.
  for (const auto& [at_ms, attempts] : std::vector<std::pair<int64_t, size_t>>{
           {0, 1}, {1'999, 1}, {2'000, 2}, {5'999, 2}, {6'000, 3}, {10'999, 3}, {11'000, 4}}) {
    engine_->Tick(t0 + at_ms);
    EXPECT_EQ(matrix_.attempts.size(), attempts) << "at " << at_ms << " ms";
  }
  EXPECT_EQ(matrix_.delivered.size(), 1u);
}

TEST_F(EngineTest, UndeliverableMessageExpiresAndTheAdminsAreTold) {
  matrix_.down = true;
  v1::Report r = testing::BasicReport("rennes-1", now_, 1);
  testing::FillFilesystem(r, 0.93);
  Report(r);
  Run(25 * kHour);
  matrix_.down = false;
  Run(kHour);
  auto outbox = engine_->ListOutbox();
  ASSERT_TRUE(outbox);
  bool expired = false;
  for (const OutboxEntry& e : *outbox) expired |= e.state == OutboxState::kExpired && e.target == "!alice:x";
  EXPECT_TRUE(expired);
  bool told = false;
  for (const OutboxEntry& e : matrix_.To("!ops:x")) told |= e.text.find("could not be delivered") != std::string::npos;
  EXPECT_TRUE(told);
}

TEST_F(EngineTest, PermanentFailureIsNotRetriedAndTheAdminsAreTold) {
  matrix_.script = {Delivery{Delivery::Status::kPermanent, 0, "HTTP 403 M_FORBIDDEN", ""}};
  v1::Report r = testing::BasicReport("rennes-1", now_, 1);
  testing::FillFilesystem(r, 0.93);
  Report(r);
  Run(10 * kMinute);
  ASSERT_EQ(matrix_.To("!ops:x").size(), 1u);
  EXPECT_THAT(matrix_.To("!ops:x")[0].text, HasSubstr("could not be delivered"));
  int to_alice = 0;
  for (const OutboxEntry& e : matrix_.attempts) to_alice += e.target == "!alice:x";
  EXPECT_EQ(to_alice, 1);
}

TEST_F(EngineTest, RisingReallocatedCountSendsAnUpdateWithTheDelta) {
  v1::Report r = testing::BasicReport("rennes-1", now_, 1);
  v1::Disk* d = testing::AddAtaDisk(r, "sda", "S1");
  testing::AddAttribute(d, 5, "Reallocated_Sector_Ct", 100, 36, 8);
  Report(r);
  Run(kHour);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 1u);
  EXPECT_THAT(matrix_.To("!alice:x")[0].text, HasSubstr("8 reallocated sectors"));
  Run(kHour);  // the same count, reported every minute: nothing new
  EXPECT_EQ(matrix_.To("!alice:x").size(), 1u);
  r.mutable_disks(0)->mutable_ata_attributes(0)->set_raw_decoded(24);
  Report(r);
  Run(kMinute);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 2u);
  EXPECT_THAT(matrix_.To("!alice:x")[1].text, HasSubstr("UPDATE"));
  EXPECT_THAT(matrix_.To("!alice:x")[1].text, HasSubstr("24 reallocated sectors (+16 in the last 2 hours"));
}

TEST_F(EngineTest, TemperatureFiresAfterItsDurationAndResolvesOnlyUnderTheHysteresis) {
  const auto report = [&](double celsius) {
    v1::Report r = testing::BasicReport("rennes-1", now_, 1);
    v1::Sensor* s = r.add_sensors();
    s->set_chip("coretemp-isa-0000");
    s->set_label("Package id 0");
    s->set_kind(v1::Sensor::TEMPERATURE);
    s->set_value(celsius);
    s->set_max(80);
    s->set_crit(100);
    return r;
  };
  Report(report(85));
  Run(2 * kMinute);
  Report(report(70));  // under max - 5 before the 5 min: never fires
  Run(10 * kMinute);
  EXPECT_TRUE(matrix_.delivered.empty());
  for (int i = 0; i < 7; ++i) {
    Report(report(85));
    Run(kMinute);
  }
  ASSERT_EQ(matrix_.To("!alice:x").size(), 1u);
  EXPECT_THAT(matrix_.To("!alice:x")[0].text, HasSubstr("Package id 0 is at 85 °C, over its limit (80 °C)"));
  Report(report(77));  // under max, within the hysteresis: still firing
  Run(kMinute);
  EXPECT_EQ(matrix_.To("!alice:x").size(), 1u);
  Report(report(74));
  Run(kMinute);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 2u);
  EXPECT_THAT(matrix_.To("!alice:x")[1].text, HasSubstr("RESOLVED"));
}

TEST_F(EngineTest, SeveralAlertsForOneRoomAreMergedIntoOneMessage) {
  v1::Report r = testing::BasicReport("rennes-1", now_, 1);
  testing::FillFilesystem(r, 0.93);
  v1::Disk* d = testing::AddAtaDisk(r, "sda", "S1");
  d->set_health(v1::Disk::FAILED);
  Report(r);
  Run(kMinute);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 1u);
  EXPECT_THAT(matrix_.To("!alice:x")[0].text, HasSubstr("Vigie: 2 changes"));
  EXPECT_THAT(matrix_.To("!alice:x")[0].html, HasSubstr("<b>CRITICAL: disk sda (TEST HDD) is failing"));
}

TEST_F(EngineTest, ReportsHandedOverTogetherRaiseWhatEachRaisesAlone) {
  v1::Report failing = testing::BasicReport("rennes-1", now_, 1);
  testing::AddAtaDisk(failing, "sda", "S1")->set_health(v1::Disk::FAILED);
  v1::Report full = testing::BasicReport("rennes-2", now_, 1);
  testing::FillFilesystem(full, 0.93);
  const std::string site = "rennes";
  const ReportArrival arrivals[] = {{&failing.node_id(), &site, &failing, now_}, {&full.node_id(), &site, &full, now_}};
  engine_->OnReports(arrivals);
  const Result<std::vector<Alert>> alerts = engine_->ListAlerts(/*include_resolved=*/false);
  ASSERT_TRUE(alerts) << alerts.error().message;
  std::set<std::pair<std::string, std::string>> raised;
  for (const Alert& alert : *alerts) raised.emplace(alert.key.node, alert.key.rule);
  EXPECT_EQ(raised, (std::set<std::pair<std::string, std::string>>{{"rennes-1", kRuleSmartFailing},
                                                                    {"rennes-2", kRuleFilesystemFull}}));
}

TEST_F(EngineTest, SmartBaselinesSurviveARestartAfterReportsThatChangedNothing) {
  v1::Report r = testing::BasicReport("rennes-1", now_, 1);
  v1::Disk* d = testing::AddAtaDisk(r, "sda", "S1");
  testing::AddAttribute(d, 5, "Reallocated_Sector_Ct", 100, 36, 8);
  Report(r);
  Run(kHour);  // the same count every minute: nothing to write
  Reopen();
  r.mutable_disks(0)->mutable_ata_attributes(0)->set_raw_decoded(24);
  Report(r);
  Run(kMinute);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 2u);
  EXPECT_THAT(matrix_.To("!alice:x")[1].text, HasSubstr("24 reallocated sectors (+16 in the last 60 minutes)"));
}

TEST_F(EngineTest, FailingMatrixIsReportedToTheAdminsByEmail) {
  matrix_.down = true;
  v1::Report r = testing::BasicReport("rennes-1", now_, 1);
  testing::FillFilesystem(r, 0.93);
  Report(r);
  Run(29 * kMinute);
  EXPECT_TRUE(email_.To("ops@x.org").empty());
  Run(2 * kMinute);
  ASSERT_EQ(email_.To("ops@x.org").size(), 1u);
  EXPECT_EQ(email_.To("ops@x.org")[0].subject, "[vigie] FIRING matrix notifications failing");
  matrix_.down = false;
  Run(20 * kMinute);  // the backoff has grown: the next attempt succeeds and the alert resolves
  ASSERT_EQ(email_.To("ops@x.org").size(), 2u);
  EXPECT_EQ(email_.To("ops@x.org")[1].subject, "[vigie] RESOLVED matrix notifications failing");
  EXPECT_EQ(email_.To("ops@x.org")[1].references, email_.To("ops@x.org")[0].message_id);
  for (const OutboxEntry& e : matrix_.delivered) EXPECT_THAT(e.text, Not(HasSubstr("notifications failing")));
}

TEST_F(EngineTest, SourceUnreadableForADayFires) {
  v1::Report r = testing::BasicReport("rennes-1", now_, 1);
  v1::SourceError* e = r.add_source_errors();
  e->set_source("ata:sda");
  e->set_code(v1::SourceError::IO);
  e->set_message("SG_IO: Input/output error");
  Report(r);
  Run(23 * kHour);
  EXPECT_TRUE(matrix_.delivered.empty()) << matrix_.Dump();
  Run(2 * kHour);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 1u);
  EXPECT_THAT(matrix_.To("!alice:x")[0].text, HasSubstr("ata:sda could not be read for 24 hours: SG_IO: Input/output error"));
}

TEST_F(EngineTest, MatrixSendsArePacedByATokenBucket) {
  config_.matrix->messages_per_second = 0.2;  // Synapse's rc_message default, with a burst of 2
  config_.matrix->burst = 2;
  Reopen();
  for (const char* node : {"rennes-1", "rennes-2", "rennes-3", "rennes-4"}) {
    v1::Report r = testing::BasicReport(node, now_, 1);
    testing::FillFilesystem(r, 0.93);
    engine_->OnReport(node, "rennes", r, now_);  // one message each: four entries for one room
  }
  engine_->Tick(now_ + 1'000);
  EXPECT_EQ(matrix_.attempts.size(), 2u);
  engine_->Tick(now_ + 2'000);
  EXPECT_EQ(matrix_.attempts.size(), 2u);
  engine_->Tick(now_ + 6'000);  // 5 s later: one more token
  EXPECT_EQ(matrix_.attempts.size(), 3u);
  engine_->Tick(now_ + 11'000);
  EXPECT_EQ(matrix_.attempts.size(), 4u);
}

TEST_F(EngineTest, FinishedOutboxEntriesArePrunedAfterAMonth) {
  v1::Report r = testing::BasicReport("rennes-1", now_, 1);
  testing::FillFilesystem(r, 0.93);
  Report(r);
  Run(kMinute);
  auto outbox = engine_->ListOutbox();
  ASSERT_TRUE(outbox);
  EXPECT_EQ(outbox->size(), 1u);
  Mute("rennes-1");
  Mute("rennes-2");
  now_ += 31LL * 24 * kHour;
  engine_->Tick(now_);
  outbox = engine_->ListOutbox();
  ASSERT_TRUE(outbox);
  for (const OutboxEntry& e : *outbox) EXPECT_GT(e.created_ms, kT0) << e.text;
}

TEST_F(EngineTest, TestMessageReachesTheSiteMembersOnly) {
  ASSERT_TRUE(engine_->SendTestMessage("rennes", now_));
  Run(10'000);
  ASSERT_EQ(matrix_.To("!alice:x").size(), 1u);
  EXPECT_THAT(matrix_.To("!alice:x")[0].text, HasSubstr("this is a test from Vigie"));
  EXPECT_TRUE(matrix_.To("!ops:x").empty());
  EXPECT_FALSE(engine_->SendTestMessage("nowhere", now_));
}

}  // namespace
}  // namespace vigie::alerting
