// The fleet in a box (issue 8): what the members of three homes actually
// receive, by Matrix and e-mail, when one home loses its power, another its
// internet, the collector crashes, a disk starts to die, a node overheats and
// Matrix misbehaves. Real agents in network namespaces, a real collector,
// real SMTP and Matrix servers: see fleet.h. Each test prints the timeline as
// it goes; a failure prints it again with the collector's log.
//
// Root only (namespaces, overlay mounts): skipped otherwise.
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/alerting/peers.h"
#include "tests/fleet/fleet.h"
#include "tests/integration/helpers.h"

namespace vigie::fleet {
namespace {

using ::testing::HasSubstr;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double Seconds(std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

// The messages whose text holds every one of `parts`.
std::vector<Received> With(const std::vector<Received>& messages, const std::vector<std::string>& parts) {
  std::vector<Received> out;
  for (const Received& m : messages) {
    bool all = true;
    for (const std::string& part : parts) all = all && m.text.find(part) != std::string::npos;
    if (all) out.push_back(m);
  }
  return out;
}

// True when `recipient` got exactly one message holding `parts` on each channel since `since_s`.
bool OnePerChannel(Fleet& fleet, const std::string& recipient, double since_s, const std::vector<std::string>& parts) {
  for (const char* channel : {"matrix", "email"}) {
    if (With(fleet.inbox().To(recipient, since_s, channel), parts).size() != 1) return false;
  }
  return true;
}

std::string Texts(const std::vector<Received>& messages) {
  std::string out;
  for (const Received& m : messages) out += FormatReceived(m) + "\n";
  return out;
}

class FleetInABox : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: network namespaces, overlay mounts on /sys";
    ASSERT_TRUE(testing::NeedPackages({"iproute2", "python3", "python3-aiosmtpd", "lm-sensors", "attr"}));
    fleet_ = std::make_unique<Fleet>();
    ASSERT_TRUE(fleet_->Start());
  }
  void TearDown() override {
    if (fleet_ && HasFailure()) std::printf("%s\n", fleet_->Story().c_str());
  }

  std::unique_ptr<Fleet> fleet_;
};

// Scenarios 1 (a home loses power; a home loses its internet: one message
// each, then one resolved, and a reboot message only where machines
// rebooted), 2 (the reports of an internet outage all arrive, in order, once)
// and 5 (the collector killed twice during it: no alert lost, none sent
// twice, no acknowledged report lost).
TEST_F(FleetInABox, PowerCutAndInternetOutageThroughCollectorCrashes) {
  Fleet& fleet = *fleet_;
  const Home& rennes = fleet.home("rennes");
  const Home& nantes = fleet.home("nantes");
  const Home& brest = fleet.home("brest");

  const double cut_s = fleet.inbox().now_s();
  const auto cut_time = std::chrono::steady_clock::now();
  const int64_t cut_ms = WallMs();
  fleet.Note("rennes loses power (its links cut, its machines off); nantes loses its internet (machines on)");
  ASSERT_TRUE(fleet.PowerCut("rennes"));
  ASSERT_TRUE(fleet.SetInternet("nantes", false));

  // Scenario 5, first crash: while the homes are dark, before their alerts are due.
  std::map<std::string, size_t> acknowledged;
  ASSERT_TRUE(fleet.WaitForReports(brest.nodes[0], 2, 10s));
  for (const std::string& node : brest.nodes) acknowledged[node] = fleet.Reports(node).size();
  fleet.Note("the collector is killed (kill -9) and started again");
  ASSERT_TRUE(fleet.CrashCollector());
  ASSERT_TRUE(fleet.StartCollector());

  // One message per dark home, to its member, naming the site and its three nodes.
  const std::chrono::milliseconds due = kOfflineAfter + kPeriod + kDeliverySlack;
  const auto site_dark = [](const Home& home) {
    return std::vector<std::string>{"every machine at home " + home.site, home.nodes[0], home.nodes[1], home.nodes[2]};
  };
  ASSERT_TRUE(fleet.WaitUntil([&] {
    return OnePerChannel(fleet, rennes.member, cut_s, site_dark(rennes)) &&
           OnePerChannel(fleet, nantes.member, cut_s, site_dark(nantes));
  }, due + 5s));
  for (const Home* home : {&rennes, &nantes}) {
    for (const Received& m : With(fleet.inbox().To(home->member, cut_s), site_dark(*home))) {
      EXPECT_LE(m.at_s - cut_s, Seconds(due)) << home->site << ": later than offline_after + one period\n"
                                              << FormatReceived(m);
    }
  }

  // Scenario 5, second crash: after the messages went out.
  fleet.Note("the collector is killed (kill -9) again, and started again");
  ASSERT_TRUE(fleet.CrashCollector());
  ASSERT_TRUE(fleet.StartCollector());
  // The nodes' own offline alerts fall due offline_after + group window after
  // their last report: the site message stands in for them.
  fleet.WatchUntil(cut_time + kOfflineAfter + kGroupWindow + kDeliverySlack);

  const double back_s = fleet.inbox().now_s();
  const int64_t back_ms = WallMs();
  fleet.Note("power returns at rennes: its machines boot (new boot ids); nantes' internet returns");
  ASSERT_TRUE(fleet.SetInternet("nantes", true));
  ASSERT_TRUE(fleet.PowerBack("rennes"));

  const std::vector<std::string> rebooted{"restarted without shutting down", rennes.nodes[0], rennes.nodes[1],
                                          rennes.nodes[2]};
  ASSERT_TRUE(fleet.WaitUntil([&] {
    return OnePerChannel(fleet, rennes.member, back_s, {"RESOLVED site rennes offline"}) &&
           OnePerChannel(fleet, nantes.member, back_s, {"RESOLVED site nantes offline"}) &&
           OnePerChannel(fleet, rennes.member, back_s, rebooted);
  }, kPeriod * 3 + kGroupWindow + kDeliverySlack + 5s));
  // Whatever else would come (a second reboot message, nantes' reboots) has had its time.
  fleet.WatchUntil(std::chrono::steady_clock::now() + kGroupWindow + kDeliverySlack);

  // Exactly that since the fleet started, and nobody else heard of it
  // (warnings: the admins neither).
  for (const char* channel : {"matrix", "email"}) {
    EXPECT_EQ(fleet.inbox().To(rennes.member, 0, channel).size(), 3u)
        << "rennes: the site dark, its return, its reboots\n" << Texts(fleet.inbox().To(rennes.member, 0, channel));
    EXPECT_EQ(fleet.inbox().To(nantes.member, 0, channel).size(), 2u)
        << "nantes: the site dark, its return; no reboot\n" << Texts(fleet.inbox().To(nantes.member, 0, channel));
  }
  EXPECT_TRUE(With(fleet.inbox().To(nantes.member, 0), {"restarted"}).empty());
  EXPECT_TRUE(fleet.inbox().NotTo({rennes.member, nantes.member}, 0).empty())
      << Texts(fleet.inbox().NotTo({rennes.member, nantes.member}, 0));

  // Scenario 2: every report nantes made through its outage reached the
  // store, in order, once: one run of consecutive numbers, a report a period.
  for (const std::string& node : nantes.nodes) {
    ASSERT_TRUE(fleet.WaitUntil([&] {
      const auto reports = fleet.Reports(node);
      return !reports.empty() && reports.back().report.timestamp_unix_ms() > back_ms;
    }, 10s)) << node;
    const auto reports = fleet.Reports(node);
    EXPECT_EQ(testing::Runs(reports).size(), 1u) << node << ": a gap, a duplicate or a reordering";
    // Made once the link was surely down (a second after the cut began) and before it came back.
    size_t during = 0;
    for (const auto& stored : reports) {
      const int64_t t = stored.report.timestamp_unix_ms();
      if (t <= cut_ms + 1'000 || t >= back_ms) continue;
      ++during;
      EXPECT_GE(stored.received_ms, back_ms) << node << ": a report of the outage arrived during it";
    }
    const auto outage_periods = static_cast<size_t>((back_ms - cut_ms - 1'000) / std::chrono::milliseconds(kPeriod).count());
    // About one a period: the agent's one loop waits in each push attempt up to
    // its timeout (800 ms here) and collects once per wake-up, so on a loaded
    // machine a period may now and then pass without a report.
    EXPECT_GE(during * 5, outage_periods * 4) << node << ": " << during << " reports stored for an outage of "
                                              << outage_periods << " periods";
  }

  // Scenario 5: what the collector acknowledged before it was killed is still
  // stored, and the nodes it kept hearing from have no gap across the crashes.
  for (const std::string& node : brest.nodes) {
    const auto reports = fleet.Reports(node);
    EXPECT_GE(reports.size(), acknowledged[node]);
    EXPECT_EQ(testing::Runs(reports).size(), 1u) << node << ": a gap across the collector's crashes";
  }
  // rennes: the reports of its first boot up to the power cut, then the second boot's.
  for (const std::string& node : rennes.nodes) {
    EXPECT_EQ(testing::Runs(fleet.Reports(node)).size(), 2u) << node;
  }
}

// Scenarios 3 (a disk starts to die: one message with the delta, then an
// update, to its host only), 4 (a node overheats: one message; no flapping
// while the temperature wavers around its limit; resolved when it cools) and
// 6 (Matrix answers 429, 500 and drops connections meanwhile: every message
// arrives exactly once, and the e-mails are not held up).
TEST_F(FleetInABox, DyingDiskAndOverheatingNodeWhileMatrixMisbehaves) {
  Fleet& fleet = *fleet_;
  const Home& brest = fleet.home("brest");
  const Home& nantes = fleet.home("nantes");
  const std::string& disk_node = brest.nodes[0];
  const std::string& hot_node = nantes.nodes[1];

  const double disk_s = fleet.inbox().now_s();
  fleet.Note(disk_node + "'s disk starts to die: 8 reallocated sectors");
  ASSERT_TRUE(fleet.SetDiskCount(disk_node, 5, 8));
  ASSERT_TRUE(fleet.WaitUntil([&] {
    return OnePerChannel(fleet, brest.member, disk_s, {"is wearing out: 8 reallocated sectors (+8 in the last"});
  }, kPeriod * 2 + kDeliverySlack + 5s));

  fleet.Note(disk_node + "'s disk: now also 3 sectors waiting to be reallocated");
  ASSERT_TRUE(fleet.SetDiskCount(disk_node, 197, 3));
  const std::vector<std::string> update{"UPDATE " + disk_node + " disk sda degrading",
                                        "3 sectors waiting to be reallocated (+3 in the last"};
  ASSERT_TRUE(fleet.WaitUntil([&] { return OnePerChannel(fleet, brest.member, disk_s, update); },
                              kPeriod * 2 + kDeliverySlack + 5s));

  // Scenario 6 sets in, and scenario 4 runs through it.
  fleet.Note("Matrix misbehaves: a 429, 500s, dropped connections, one per request");
  const std::vector<std::string> faults{"429", "500", "drop", "drop_before", "500", "drop"};
  ASSERT_TRUE(fleet.InjectMatrixFaults(faults, 1'000));

  const double hot_s = fleet.inbox().now_s();
  const std::string coretemp = "devices/platform/coretemp.0/hwmon/hwmon0/temp1_input";
  const std::string fan = "devices/platform/nct6775.656/hwmon/hwmon1/fan1_input";
  // Sets the CPU package temperature and waits until the collector stored a report with it.
  const auto heat = [&](int celsius) {
    fleet.Note(hot_node + "'s CPU at " + std::to_string(celsius) + " °C (its max: 80 °C)");
    EXPECT_TRUE(fleet.SetSys(hot_node, coretemp, std::to_string(celsius * 1000)));
    return fleet.WaitUntil([&] {
      const auto reports = fleet.Reports(hot_node);
      if (reports.empty()) return false;
      for (const v1::Sensor& s : reports.back().report.sensors()) {
        if (s.label() == "Package id 0") return s.value() == celsius;
      }
      return false;
    }, 10s);
  };
  fleet.Note(hot_node + "'s CPU fan stops");
  ASSERT_TRUE(fleet.SetSys(hot_node, fan, "0"));
  ASSERT_TRUE(heat(70));
  ASSERT_TRUE(heat(86));
  const std::vector<std::string> hot{"Package id 0 is at 86 °C, over its limit (80 °C)"};
  // The e-mail is not held up by Matrix's troubles.
  ASSERT_TRUE(fleet.WaitUntil([&] { return With(fleet.inbox().To(nantes.member, hot_s, "email"), hot).size() == 1; },
                              kTemperatureFor + kPeriod + kDeliverySlack));
  // Matrix gets it too, once, after the faults.
  ASSERT_TRUE(fleet.WaitUntil([&] {
    return With(fleet.inbox().To(nantes.member, hot_s, "matrix"), hot).size() == 1 && fleet.MatrixFaultsLeft() == 0;
  }, 30s));
  EXPECT_LE(With(fleet.inbox().To(nantes.member, hot_s, "email"), hot)[0].at_s,
            With(fleet.inbox().To(nantes.member, hot_s, "matrix"), hot)[0].at_s);

  // Around the limit, within the hysteresis (5 °C): no resolved, no new message.
  for (int celsius : {79, 82, 77, 81}) {
    ASSERT_TRUE(heat(celsius));
    ASSERT_TRUE(fleet.WaitForReports(hot_node, 2, 10s));
  }
  EXPECT_EQ(fleet.inbox().To(nantes.member, hot_s).size(), 2u)
      << "the wavering temperature made messages\n" << Texts(fleet.inbox().To(nantes.member, hot_s));

  fleet.Note(hot_node + "'s fan turns again");
  ASSERT_TRUE(fleet.SetSys(hot_node, fan, "1200"));
  ASSERT_TRUE(heat(50));
  const std::vector<std::string> cool{"RESOLVED " + hot_node + " too hot"};
  ASSERT_TRUE(fleet.WaitUntil([&] { return OnePerChannel(fleet, nantes.member, hot_s, cool); }, kDeliverySlack + 5s));
  // A last SMART cycle and sensors period or two, for anything owed to come.
  fleet.WatchUntil(std::chrono::steady_clock::now() + kPeriod * 2 + kDeliverySlack);

  // Exactly that since the fleet started, and nobody else heard of it
  // (warnings: the admins neither).
  for (const char* channel : {"matrix", "email"}) {
    EXPECT_EQ(fleet.inbox().To(brest.member, 0, channel).size(), 2u)
        << "the disk: one message, one update\n" << Texts(fleet.inbox().To(brest.member, 0, channel));
    EXPECT_EQ(fleet.inbox().To(nantes.member, 0, channel).size(), 2u)
        << "the heat: one message, one resolved\n" << Texts(fleet.inbox().To(nantes.member, 0, channel));
  }
  EXPECT_TRUE(fleet.inbox().NotTo({brest.member, nantes.member}, 0).empty())
      << Texts(fleet.inbox().NotTo({brest.member, nantes.member}, 0));
}

}  // namespace
}  // namespace vigie::fleet
