// The rules under hostile or broken reports: a node's findings per rule are
// capped, a clock off by more than max_clock_skew is an alert and is not
// trusted, absurd uptimes are ignored, and SMART baselines stay bounded.
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "alerting/rules.h"
#include "tests/alerting/peers.h"

namespace vigie::alerting {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kT0 = 1'764'000'000'000;
constexpr int64_t kDay = 86'400'000;

Evaluation Evaluate(const v1::Report& report, int64_t received_ms = kT0,
                    std::optional<int64_t> clock_skew_ms = std::nullopt,
                    const std::function<bool(const AlertKey&)>& is_active = [](const AlertKey&) { return false; }) {
  static const Thresholds thresholds;
  static const std::string node = "n", site = "s";
  Counters counters;
  return EvaluateReport(RuleInput{report, node, site, thresholds, received_ms, clock_skew_ms}, counters, is_active);
}

std::vector<const Finding*> Of(const Evaluation& e, const std::string& rule) {
  std::vector<const Finding*> out;
  for (const Finding& f : e.findings) {
    if (f.key.rule == rule) out.push_back(&f);
  }
  return out;
}

TEST(RulesBounds, FindingsBeyondTheCapFoldIntoOneThatCountsTheRest) {
  v1::Report r = testing::BasicReport("n", kT0, 1);
  testing::AddFilesystems(r, 200, 0.99);
  const Evaluation e = Evaluate(r);
  const auto full = Of(e, kRuleFilesystemFull);
  ASSERT_EQ(full.size(), Thresholds{}.max_alerts_per_rule + 1);
  const Finding& more = *full.back();
  EXPECT_EQ(more.key.subject, kMoreSubject);
  EXPECT_EQ(more.severity, Severity::kCritical);
  EXPECT_THAT(more.summary, HasSubstr("and 195 more filesystems nearly full on n: "));
  EXPECT_THAT(more.summary, HasSubstr(", …"));
  // The folded alert resolves like the others once the report shows no overflow.
  EXPECT_TRUE(e.evaluated.contains({kRuleFilesystemFull, kMoreSubject}));
}

TEST(RulesBounds, AtTheCapNothingIsFolded) {
  v1::Report r = testing::BasicReport("n", kT0, 1);
  testing::AddFilesystems(r, static_cast<int>(Thresholds{}.max_alerts_per_rule), 0.99);
  const Evaluation e = Evaluate(r);
  const auto full = Of(e, kRuleFilesystemFull);
  ASSERT_EQ(full.size(), Thresholds{}.max_alerts_per_rule);
  for (const Finding* f : full) EXPECT_NE(f->key.subject, kMoreSubject);
}

TEST(RulesBounds, RaisedAlertsKeepTheirPlaceUnderTheCap) {
  v1::Report r = testing::BasicReport("n", kT0, 1);
  testing::AddFilesystems(r, 50, 0.99);
  const Evaluation e = Evaluate(r, kT0, std::nullopt, [](const AlertKey& key) { return key.subject == "/srv/42"; });
  bool kept = false;
  for (const Finding* f : Of(e, kRuleFilesystemFull)) kept = kept || f->key.subject == "/srv/42";
  EXPECT_TRUE(kept);
}

TEST(RulesBounds, ReportDatedInTheFutureRaisesClockWrongAndItsDateIsNotUsed) {
  v1::Report r = testing::BasicReport("n", 4'102'444'800'000, 1);  // 2100-01-01
  testing::AddUncleanStart(r);
  r.set_uptime_seconds(60);
  const Evaluation e = Evaluate(r);
  const auto clock = Of(e, kRuleClockWrong);
  ASSERT_EQ(clock.size(), 1u);
  EXPECT_THAT(clock[0]->summary, HasSubstr("the clock of n is"));
  EXPECT_THAT(clock[0]->summary, HasSubstr("ahead"));
  const auto reboot = Of(e, kRuleUnexpectedReboot);
  ASSERT_EQ(reboot.size(), 1u);
  // Up again a minute before it arrived, by the collector's clock.
  EXPECT_THAT(reboot[0]->summary, HasSubstr("up again at " + FormatTime(kT0 - 60'000, kT0)));
}

TEST(RulesBounds, MeasuredSkewBehindRaisesClockWrongAndABacklogReportSaysNothing) {
  const v1::Report r = testing::BasicReport("n", kT0 - 2 * kDay, 1);
  const Evaluation fresh = Evaluate(r, kT0, -2 * kDay);
  ASSERT_EQ(Of(fresh, kRuleClockWrong).size(), 1u);
  EXPECT_THAT(Of(fresh, kRuleClockWrong)[0]->summary, HasSubstr("2 days behind"));
  const Evaluation backlog = Evaluate(r, kT0, std::nullopt);
  EXPECT_TRUE(Of(backlog, kRuleClockWrong).empty());
  EXPECT_FALSE(backlog.evaluated.contains({kRuleClockWrong, ""}));
  const Evaluation right = Evaluate(testing::BasicReport("n", kT0 + 1000, 1), kT0, 1000);
  EXPECT_TRUE(Of(right, kRuleClockWrong).empty());
  EXPECT_TRUE(right.evaluated.contains({kRuleClockWrong, ""}));
  // Unmeasured, a report dated about when it arrived shows the clock right again.
  const Evaluation current = Evaluate(testing::BasicReport("n", kT0 - 1000, 1), kT0, std::nullopt);
  EXPECT_TRUE(Of(current, kRuleClockWrong).empty());
  EXPECT_TRUE(current.evaluated.contains({kRuleClockWrong, ""}));
}

TEST(RulesBounds, ExtremeTimestampsSaturate) {
  for (const int64_t timestamp : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    v1::Report r = testing::BasicReport("n", timestamp, 1);
    testing::AddUncleanStart(r);
    const Evaluation e = Evaluate(r, kT0, std::nullopt);
    if (timestamp > 0) {
      ASSERT_EQ(Of(e, kRuleClockWrong).size(), 1u);
      EXPECT_THAT(Of(e, kRuleClockWrong)[0]->summary, HasSubstr("days ahead"));
    }
    ASSERT_EQ(Of(e, kRuleUnexpectedReboot).size(), 1u);
    EXPECT_THAT(Of(e, kRuleUnexpectedReboot)[0]->summary, HasSubstr("up again at " + FormatTime(kT0 - 3'600'000, kT0)));
  }
  const Evaluation measured = Evaluate(testing::BasicReport("n", kT0, 1), kT0, std::numeric_limits<int64_t>::min());
  ASSERT_EQ(Of(measured, kRuleClockWrong).size(), 1u);
  EXPECT_THAT(Of(measured, kRuleClockWrong)[0]->summary, HasSubstr("days behind"));
}

TEST(RulesBounds, UptimeThatIsNotAPlausibleNumberIsIgnored) {
  for (const double uptime : {1e300, -1.0, std::nan(""), std::numeric_limits<double>::infinity(), 4e9}) {
    v1::Report r = testing::BasicReport("n", kT0, 1);
    testing::AddUncleanStart(r);
    r.set_uptime_seconds(uptime);
    const Evaluation e = Evaluate(r);
    const auto reboot = Of(e, kRuleUnexpectedReboot);
    ASSERT_EQ(reboot.size(), 1u) << uptime;
    EXPECT_EQ(reboot[0]->summary, "n restarted without shutting down: power loss?") << uptime;
  }
}

Counter SeenAt(int64_t seen_ms) {
  Counter c;
  c.seen_ms = seen_ms;
  return c;
}

TEST(RulesBounds, CountersOfDisksNotSeenForAMonthExpire) {
  Counters counters{{"OLD/5", SeenAt(kT0 - kCounterExpiryMs)}, {"NEW/5", SeenAt(kT0 - kCounterExpiryMs + 1)},
                    {"LEGACY/5", SeenAt(0)}};
  EXPECT_THAT(ExpireCounters(counters, kT0), ::testing::ElementsAre("OLD/5"));
  EXPECT_EQ(counters.size(), 2u);
  EXPECT_EQ(counters.at("LEGACY/5").seen_ms, kT0);  // unknown: counted from now
}

TEST(RulesBounds, CountersBeyondTheBoundLoseTheLeastRecentlySeen) {
  Counters counters;
  for (size_t i = 0; i < kMaxCountersPerNode + 10; ++i) {
    counters.emplace(fmt::format("S{:05}/5", i), SeenAt(kT0 + static_cast<int64_t>(i)));
  }
  const std::vector<std::string> dropped = ExpireCounters(counters, kT0 + kDay);
  EXPECT_EQ(dropped.size(), 10u);
  EXPECT_EQ(counters.size(), kMaxCountersPerNode);
  EXPECT_FALSE(counters.contains("S00009/5"));
  EXPECT_TRUE(counters.contains("S00010/5"));
}

TEST(RulesBounds, ACounterThatDoesNotMoveIsSavedOnceADay) {
  v1::Report r = testing::BasicReport("n", kT0, 1);
  testing::AddAttribute(testing::AddAtaDisk(r, "sda", "S1"), 5, "Reallocated_Sector_Ct", 100, 10, 8);
  const Thresholds thresholds;
  const std::string node = "n", site = "s";
  Counters counters;
  const auto at = [&](int64_t ms) {
    return EvaluateReport(RuleInput{r, node, site, thresholds, ms}, counters, [](const AlertKey&) { return false; });
  };
  const Evaluation first = at(kT0);
  EXPECT_TRUE(first.counters_created);
  EXPECT_THAT(first.counters_changed, ::testing::ElementsAre("S1/5"));
  EXPECT_TRUE(at(kT0 + 60'000).counters_changed.empty());
  EXPECT_TRUE(at(kT0 + kDay - 1).counters_changed.empty());
  const Evaluation day_later = at(kT0 + kDay);
  EXPECT_FALSE(day_later.counters_created);
  EXPECT_THAT(day_later.counters_changed, ::testing::ElementsAre("S1/5"));
  EXPECT_EQ(counters.at("S1/5").seen_ms, kT0 + kDay);
  r.mutable_disks(0)->mutable_ata_attributes(0)->set_raw_decoded(9);
  EXPECT_THAT(at(kT0 + kDay + 1).counters_changed, ::testing::ElementsAre("S1/5"));
}

}  // namespace
}  // namespace vigie::alerting
