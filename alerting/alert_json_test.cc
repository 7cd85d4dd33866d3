#include "alerting/alert_json.h"

#include <gtest/gtest.h>

namespace vigie::alerting {
namespace {

TEST(AlertJson, WritesEveryFieldOfAnAlert) {
  Alert a;
  a.id = 3;
  a.key = AlertKey{kRuleNodeOffline, "rennes", "rennes-2", ""};
  a.state = AlertState::kFiring;
  a.summary = "rennes-2 has sent nothing since 14:02";
  a.started_ms = 1000;
  a.fired_ms = 2000;
  EXPECT_EQ(AlertsJson({a}),
            R"([{"id":3,"rule":"node_offline","site":"rennes","node":"rennes-2","subject":"","severity":"warning",)"
            R"("state":"firing","summary":"rennes-2 has sent nothing since 14:02","started_ms":1000,"fired_ms":2000,)"
            R"("resolved_ms":0,"acked_by":"","acked_ms":0,"escalated":false}])");
}

TEST(AlertJson, WritesASilence) {
  EXPECT_EQ(SilencesJson({Silence{1, "", "", "rennes-1", 5000, "moving \"house\"", "ops", 100}}),
            R"([{"id":1,"rule":"","site":"","node":"rennes-1","until_ms":5000,"reason":"moving \"house\"",)"
            R"("created_by":"ops","created_ms":100}])");
}

}  // namespace
}  // namespace vigie::alerting
