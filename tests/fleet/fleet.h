// The fleet in a box: a collector host and three homes of three nodes each,
// every node a real vigie-agent process in its own network and mount
// namespace (netns.h), with its own recorded hardware: a /proc tree of its
// own (tests/fixtures/hosts/vm-2core, with its own boot id), a hwmon tree
// overlaid on its /sys (tests/fixtures/hosts/desktop-nct6775, through
// tests/hwmon/run_in_fake_sys.sh) and a replayed disk
// (tests/fixtures/smart/qemu_ahci, through --replay-disks, with the pending
// and uncorrectable sector counts of a real hard disk added). The collector,
// a real SMTP server (tests/alerting/smtp_sink.py, python3-aiosmtpd) and the
// Matrix test homeserver (tests/matrix/fake_homeserver.py) run in the
// collector's namespace; the agents reach the collector over veth links.
//
// Each home has a member with a Matrix ID of their own (the collector opens a
// direct room with it) and an e-mail address; an admin, a Matrix room and an
// address, gets what is critical. Periods are short (kPeriod stands in for the agents' minute),
// so that a whole story takes a minute or two.
//
// The test's thread drives everything; WaitUntil polls what the people
// received (inbox.h) and drains the processes' logs while it waits.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "collector/store.h"
#include "tests/fleet/inbox.h"
#include "tests/fleet/netns.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace vigie::fleet {

using namespace std::chrono_literals;

// The agents' period, for every source (SMART included).
constexpr auto kPeriod = 1s;
// The collector's offline_after: the smallest the configuration accepts.
constexpr auto kOfflineAfter = 10s;
// Offline and reboot alerts wait this long to come as one message per home.
constexpr auto kGroupWindow = 3s;
// How long a temperature stays over its limit before it fires.
constexpr auto kTemperatureFor = 1s;
// From a condition the collector saw to the message in the peers' hands:
// an alerting tick (200 ms), the delivery, the test's polling; generous, for
// the sanitizers and a loaded CI machine.
constexpr auto kDeliverySlack = 3s;

struct Home {
  std::string site;
  std::string member;  // also the name the timeline shows
  std::vector<std::string> nodes;
};

class Fleet {
 public:
  static constexpr const char* kAdmin = "Ops";

  Fleet();
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // Builds the namespaces, starts the peers, the collector and the nine
  // agents, and waits until every node has a report stored.
  ::testing::AssertionResult Start();

  const std::vector<Home>& homes() const { return homes_; }
  const Home& home(const std::string& site) const;
  Inbox& inbox() { return *inbox_; }
  void Note(const std::string& what) { inbox_->Note(what); }

  // Polls every 100 ms until `done` returns true (true) or `timeout` passes (false).
  bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);
  // Polls (and prints) what arrives until `until`, for an assertion that
  // nothing more comes once all that was due had its time.
  void WatchUntil(std::chrono::steady_clock::time_point until);
  // Waits until `node` has `count` more reports stored than now.
  bool WaitForReports(const std::string& node, size_t count, std::chrono::milliseconds timeout);

  // The collector: kill -9, and a start on the same store.
  ::testing::AssertionResult CrashCollector();
  ::testing::AssertionResult StartCollector();
  // A node's stored reports, read from the collector's store (read-only).
  std::vector<collector::Store::StoredReport> Reports(const std::string& node);

  // A home's internet box loses (or regains) its uplink: the bridge side of
  // its links; the agents keep running and keep their reports.
  ::testing::AssertionResult SetInternet(const std::string& site, bool up);
  // A home loses power: its links go down at once and its agents die
  // (SIGKILL: no clean shutdown).
  ::testing::AssertionResult PowerCut(const std::string& site);
  // Power returns: each machine boots (a new boot id), its link comes up,
  // its agent starts on the same state directory.
  ::testing::AssertionResult PowerBack(const std::string& site);

  // Writes `value` IN PLACE into the node's fake /sys (e.g.
  // "devices/platform/coretemp.0/hwmon/hwmon0/temp1_input").
  ::testing::AssertionResult SetSys(const std::string& node, const std::string& relative, const std::string& value);
  // Sets the raw count of ATA attribute `id` (5: reallocated, 197: pending...)
  // in the replayed disk "sda" of `node`, whose next SMART cycle reads it
  // (the replay reads its files at every command, recorded_device_io.h). An
  // attribute the recording lacks takes a free entry.
  ::testing::AssertionResult SetDiskCount(const std::string& node, uint8_t id, uint64_t raw);

  // Queues faults in the Matrix homeserver ("429", "500", "drop", "drop_before"),
  // one per send request; the 429s ask the client to wait `retry_after_ms`.
  ::testing::AssertionResult InjectMatrixFaults(const std::vector<std::string>& faults, int retry_after_ms);
  // How many injected faults no request has met yet (-1: cannot tell).
  int MatrixFaultsLeft();

  // The timeline and the collector's log, for a failure message.
  std::string Story();

 private:
  struct Node {
    std::string id;
    std::string site;
    std::string address;
    std::filesystem::path dir;
    int boots = 0;
    std::unique_ptr<testing::ChildProcess> agent;
  };

  ::testing::AssertionResult StartPeers();
  ::testing::AssertionResult PrepareNode(Node& node);
  // Starts the agents of `ids` (a new boot each) and waits until each runs.
  ::testing::AssertionResult StartAgents(const std::vector<std::string>& ids);
  void WriteCollectorConfig();
  std::filesystem::path SysDir(const Node& node) const;
  void DrainLogs();

  testing::TempDir scratch_;
  std::string prefix_;
  std::vector<Home> homes_;
  std::map<std::string, Node> nodes_;
  std::unique_ptr<NetnsLab> lab_;
  std::unique_ptr<testing::ChildProcess> smtp_;
  std::unique_ptr<testing::ChildProcess> matrix_;
  std::unique_ptr<testing::ChildProcess> collector_;
  std::string collector_log_;  // of the instances killed before the running one
  size_t collector_scanned_ = 0;  // the running one's log, read up to here
  std::string matrix_url_;
  std::string smtp_url_;
  std::unique_ptr<Inbox> inbox_;
};

}  // namespace vigie::fleet
