// The collector's front under hostile input (issue 14, items 3, 6, 7 and the
// report caps): a real vigie-collector on 127.0.0.1 (ephemeral port) held
// by idle connections from many addresses, a header trickled a byte a
// second, an unknown token with a large body, a report over each of its
// limits, strings that are not printable UTF-8, and absurd timestamps. Each
// case asserts the status, that nothing was stored where nothing should be,
// that /healthz answers within 100 ms during and after, and that the
// collector's resident memory stays bounded.
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "collector/store.h"
#include "collector/token.h"
#include "common/report_limits.h"
#include "tests/integration/helpers.h"
#include "tests/testing/http_client.h"
#include "tests/testing/process.h"
#include "tests/testing/raw_connection.h"
#include "tests/testing/testing.h"
#include "vigie.pb.h"

namespace vigie {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::RawConnection;
using ::testing::HasSubstr;

const std::string kCollector = std::string(VIGIE_BINARY_DIR) + "/collector/vigie-collector";
const std::string kBootId = "6ef63991-7ee5-4c0b-81a3-e6c91f946998";
const std::string kNodeLabels = "{node=\"node-a\",site=\"rennes\"}";

// Under AddressSanitizer freed memory waits in a quarantine instead of being
// reused, so RSS says nothing about what a request leaves behind.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
// What one case may add to the collector's resident memory.
constexpr int64_t kRssGrowthKib = 64 * 1024;

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

v1::Report SaneReport(uint64_t seq) {
  v1::Report report;
  report.set_node_id("node-a");
  report.set_boot_id(kBootId);
  report.set_seq(seq);
  report.set_timestamp_unix_ms(NowUnixMs());
  report.mutable_system()->set_load1(0.5);
  return report;
}

std::string Varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
  return out;
}

// A Batch holding one report given as its bytes (which protobuf itself
// might refuse to serialize).
std::string BatchOfReportBytes(const std::string& report) { return "\x0a" + Varint(report.size()) + report; }

std::string BatchOf(const v1::Report& report) { return BatchOfReportBytes(report.SerializeAsString()); }

class HostileFrontTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The test's own end of a thousand connections.
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  void SetUp() override { token_ = collector::NewToken(); }

  // `ingest`: lines added to [ingest]. The rate limit is lifted so that
  // only the input decides.
  void StartCollector(const std::string& ingest = "") {
    database_ = dir_.path() / "collector.db";
    const auto config = dir_.Write(
        "collector.toml", "listen = \"127.0.0.1:0\"\ndatabase = \"" + database_.string() +
                              "\"\n[ingest]\nmax_pushes_per_minute = 1000000\nhttp_threads = 2\n" + ingest +
                              "[[node]]\nid = \"node-a\"\nsite = \"rennes\"\ntoken_sha256 = \"" +
                              collector::Sha256Hex(token_) + "\"\n");
    collector_ = std::make_unique<testing::ChildProcess>(std::vector<std::string>{kCollector, "--config", config});
    const std::optional<std::string> rest = collector_->WaitForLine("listening on http://127.0.0.1:", 10s);
    ASSERT_TRUE(rest) << collector_->stderr_text();
    port_ = static_cast<uint16_t>(std::stoi(rest->substr(0, rest->find(' '))));
    base_url_ = "http://127.0.0.1:" + std::to_string(port_);
    ExpectHealthzFast("at start");
    rss_at_start_kib_ = testing::RssKib(collector_->pid());
  }

  testing::HttpReply Push(const std::string& body, const std::string& token = "") {
    return testing::HttpPost(
        base_url_ + "/v1/push",
        {"Content-Type: application/x-protobuf", "Authorization: Bearer " + (token.empty() ? token_ : token), "Expect:"},
        body);
  }

  // /healthz on a new connection, answered 200 "ok" within 100 ms.
  void ExpectHealthzFast(const std::string& when) {
    const auto asked = Clock::now();
    const testing::HttpReply reply = testing::HttpGet(base_url_ + "/healthz");
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - asked);
    EXPECT_EQ(reply.status, 200) << when << ": " << reply.error;
    EXPECT_EQ(reply.body, "ok\n") << when;
    EXPECT_LT(took, 100ms) << when;
  }

  void ExpectRssBounded(const std::string& when) {
    if (kAddressSanitizer) return;
    EXPECT_LT(testing::RssKib(collector_->pid()), rss_at_start_kib_ + kRssGrowthKib) << when;
  }

  std::map<std::string, std::string> Metrics() {
    const testing::HttpReply reply = testing::HttpGet(base_url_ + "/metrics");
    EXPECT_EQ(reply.status, 200) << reply.error;
    return testing::ParseMetrics(reply.body);
  }

  double Metric(const std::string& name) {
    const std::map<std::string, std::string> metrics = Metrics();
    const auto found = metrics.find(name);
    return found != metrics.end() ? std::stod(found->second) : -1;
  }

  // Polls /metrics until `name` satisfies `done` or 10 s passed.
  bool WaitForMetric(const std::string& name, const std::function<bool(double)>& done) {
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
      if (done(Metric(name))) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  size_t Stored() {
    auto store = collector::Store::Open(database_, collector::Store::Mode::kReadOnly);
    EXPECT_TRUE(store) << store.error().message;
    if (!store) return 0;
    auto reports = (*store)->ListReports("node-a");
    EXPECT_TRUE(reports) << reports.error().message;
    return reports ? reports->size() : 0;
  }

  // `per_address` idle connections (no byte sent) from each of `addresses`
  // loopback addresses, 127.0.0.10 on.
  std::vector<std::unique_ptr<RawConnection>> HoldIdle(int addresses, int per_address) {
    std::vector<std::unique_ptr<RawConnection>> held;
    for (int a = 0; a < addresses; ++a) {
      const std::string source = fmt::format("127.0.0.{}", 10 + a);
      for (int i = 0; i < per_address; ++i) held.push_back(std::make_unique<RawConnection>(port_, source.c_str()));
    }
    return held;
  }

  testing::TempDir dir_;
  std::string token_;
  std::filesystem::path database_;
  std::unique_ptr<testing::ChildProcess> collector_;
  uint16_t port_ = 0;
  std::string base_url_;
  int64_t rss_at_start_kib_ = 0;
};

TEST_F(HostileFrontTest, EighteenAddressesHoldingSixtyFourIdleConnectionsEachLeaveHealthzFast) {
  StartCollector();
  std::vector<std::unique_ptr<RawConnection>> held = HoldIdle(18, 64);
  for (const auto& connection : held) ASSERT_TRUE(connection->connected());
  ASSERT_TRUE(WaitForMetric("vigie_collector_connections_open", [](double open) { return open >= 18 * 64; }));
  ExpectHealthzFast("while 1152 idle connections are held");
  // A 65th from one of them is refused at once, and counted.
  RawConnection over(port_, "127.0.0.10");
  EXPECT_TRUE(over.WaitForClose(2s));
  EXPECT_EQ(Metric("vigie_collector_connections_dropped_total{reason=\"per_address_limit\"}"), 1);
  ExpectHealthzFast("after a refusal");
  ExpectRssBounded("with 1152 idle connections");
  EXPECT_EQ(Push(BatchOf(SaneReport(1))).status, 200);
  held.clear();
  EXPECT_TRUE(WaitForMetric("vigie_collector_connections_open", [](double open) { return open <= 2; }));
  ExpectHealthzFast("after the flood");
  EXPECT_EQ(Stored(), 1u);
}

TEST_F(HostileFrontTest, AFloodOverTheConnectionLimitMakesRoomForHealthz) {
  StartCollector("max_connections = 256\n");
  std::vector<std::unique_ptr<RawConnection>> held = HoldIdle(18, 64);
  ASSERT_TRUE(WaitForMetric("vigie_collector_connections_dropped_total{reason=\"evicted\"}",
                            [](double evicted) { return evicted >= 18 * 64 - 256; }));
  ExpectHealthzFast("while 1152 idle connections press on a limit of 256");
  EXPECT_LE(Metric("vigie_collector_connections_open"), 256);
  EXPECT_EQ(Metric("vigie_collector_connections_limit"), 256);
  EXPECT_EQ(Push(BatchOf(SaneReport(1))).status, 200);
  ExpectRssBounded("under the flood");
  held.clear();
  ExpectHealthzFast("after the flood");
  EXPECT_EQ(Stored(), 1u);
}

TEST_F(HostileFrontTest, AHeaderTrickledAByteASecondIsCutAtTheHeaderDeadline) {
  StartCollector("header_timeout = \"2s\"\nconnection_timeout = \"30s\"\n");
  RawConnection slow(port_);
  ASSERT_TRUE(slow.connected());
  const std::string request = "POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token_ + "\r\n";
  const auto started = Clock::now();
  bool cut = false;
  for (size_t i = 0; i < request.size() && !cut; ++i) {
    cut = !slow.Send(request.substr(i, 1)) || slow.WaitForClose(1s);
    if (!cut) ExpectHealthzFast(fmt::format("while byte {} trickles", i));
  }
  const auto held = Clock::now() - started;
  EXPECT_TRUE(cut) << "a trickled header is never cut";
  EXPECT_GE(held, 1900ms);
  EXPECT_LT(held, 3500ms);
  EXPECT_EQ(Metric("vigie_collector_connections_dropped_total{reason=\"header_timeout\"}"), 1);
  ExpectHealthzFast("after the cut");
  EXPECT_EQ(Stored(), 0u);
}

TEST_F(HostileFrontTest, AnUnknownTokenWithALargeBodyIs401WithoutTheBodyBeingParsed) {
  StartCollector();
  const std::string body(800 * 1024, '\x0a');
  const testing::HttpReply reply = Push(body, collector::NewToken());
  EXPECT_EQ(reply.status, 401) << reply.error;
  EXPECT_EQ(reply.body, "unknown token\n");
  EXPECT_EQ(Metric("vigie_collector_pushes_total{result=\"unauthorized\"}"), 1);
  EXPECT_EQ(Metric("vigie_collector_received_bytes_total"), 0) << "the body reached ingest";
  ExpectHealthzFast("after the 401");
  ExpectRssBounded("after the 401");
  EXPECT_EQ(Stored(), 0u);
}

TEST_F(HostileFrontTest, AReportOverEachOfItsLimitsIs400NamingItAndNothingIsStored) {
  StartCollector();
  const ReportLimits limits;
  struct Case {
    std::string expected;  // in the answer
    std::function<void(v1::Report&)> make;
  };
  const std::vector<Case> cases = {
      {"1025 sensors, over the limit of 1024",
       [&](v1::Report& r) { for (size_t i = 0; i <= limits.max_sensors; ++i) r.add_sensors()->set_label("temp1"); }},
      {"257 disks, over the limit of 256",
       [&](v1::Report& r) { for (size_t i = 0; i <= limits.max_disks; ++i) r.add_disks()->set_device("sda"); }},
      {"disks[0].ata_attributes, over the limit of 256",
       [&](v1::Report& r) {
         v1::Disk* disk = r.add_disks();
         for (size_t i = 0; i <= limits.max_attributes_per_disk; ++i) disk->add_ata_attributes()->set_id(5);
       }},
      {"disks[0].nvme.temperature_sensors, over the limit of 16",
       [&](v1::Report& r) {
         v1::NvmeHealth* nvme = r.add_disks()->mutable_nvme();
         for (size_t i = 0; i <= limits.max_nvme_temperature_sensors; ++i) nvme->add_temperature_sensors();
       }},
      {"257 system.filesystems, over the limit of 256",
       [&](v1::Report& r) {
         for (size_t i = 0; i <= limits.max_filesystems; ++i) r.mutable_system()->add_filesystems()->set_mountpoint("/");
       }},
      {"65 power.rapl, over the limit of 64",
       [&](v1::Report& r) { for (size_t i = 0; i <= limits.max_rapl_zones; ++i) r.mutable_power()->add_rapl(); }},
      {"17 power.batteries, over the limit of 16",
       [&](v1::Report& r) { for (size_t i = 0; i <= limits.max_batteries; ++i) r.mutable_power()->add_batteries(); }},
      {"65 events, over the limit of 64",
       [&](v1::Report& r) { for (size_t i = 0; i <= limits.max_events; ++i) r.add_events(); }},
      {"257 source_errors, over the limit of 256",
       [&](v1::Report& r) { for (size_t i = 0; i <= limits.max_source_errors; ++i) r.add_source_errors(); }},
      {"sensors[0].label is over 256 bytes",
       [&](v1::Report& r) { r.add_sensors()->set_label(std::string(limits.max_name_bytes + 1, 'a')); }},
      {"source_errors[0].message is over 1024 bytes",
       [&](v1::Report& r) { r.add_source_errors()->set_message(std::string(limits.max_message_bytes + 1, 'a')); }},
      {"disks[0].serial is not printable UTF-8", [](v1::Report& r) { r.add_disks()->set_serial("WD-\x1b]0;x\x07"); }},
  };
  for (const Case& c : cases) {
    v1::Report report = SaneReport(1);
    c.make(report);
    const testing::HttpReply reply = Push(BatchOf(report));
    EXPECT_EQ(reply.status, 400) << c.expected << ": " << reply.error;
    EXPECT_THAT(reply.body, HasSubstr(c.expected));
    EXPECT_THAT(reply.body, HasSubstr("report 0 (seq 1): "));
  }
  // Unknown fields (a newer agent's, or padding) count in the report's bytes.
  const std::string padded = SaneReport(1).SerializeAsString() + "\x9a\x06" + Varint(300 * 1024) +
                             std::string(300 * 1024, 'x');
  const testing::HttpReply over_bytes = Push(BatchOfReportBytes(padded));
  EXPECT_EQ(over_bytes.status, 400);
  EXPECT_THAT(over_bytes.body, HasSubstr("over the limit of 262144"));
  EXPECT_EQ(Metric("vigie_collector_pushes_over_limits_total"), static_cast<double>(cases.size() + 1));
  ExpectHealthzFast("after the over-limit reports");
  ExpectRssBounded("after the over-limit reports");
  EXPECT_EQ(Stored(), 0u);
  // And the node is not refused for having tried.
  EXPECT_EQ(Push(BatchOf(SaneReport(1))).status, 200);
  EXPECT_EQ(Stored(), 1u);
}

TEST_F(HostileFrontTest, AStringThatIsNotUtf8Is400AndNothingIsStored) {
  StartCollector();
  const std::string serial = "WD-\xff\xfe";
  // Disk (field 11) holding serial (field 4), written by hand: protobuf would not serialize it.
  const std::string disk = "\x22" + Varint(serial.size()) + serial;
  const testing::HttpReply reply =
      Push(BatchOfReportBytes(SaneReport(1).SerializeAsString() + "\x5a" + Varint(disk.size()) + disk));
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(reply.body, HasSubstr("not UTF-8"));
  ExpectHealthzFast("after a string that is not UTF-8");
  EXPECT_EQ(Stored(), 0u);
}

TEST_F(HostileFrontTest, AbsurdTimestampsAreStoredFlaggedAndDoNotFreezeTheNode) {
  StartCollector();
  const std::vector<int64_t> timestamps = {4'102'444'800'000,  // 2100-01-01
                                           std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  uint64_t seq = 0;
  for (const int64_t timestamp : timestamps) {
    v1::Report report = SaneReport(++seq);
    report.set_timestamp_unix_ms(timestamp);
    const testing::HttpReply reply = Push(BatchOf(report));
    EXPECT_EQ(reply.status, 200) << timestamp << ": " << reply.error << reply.body;
    EXPECT_EQ(Metric("vigie_node_clock_wrong" + kNodeLabels), 1) << timestamp;
    const double skew = Metric("vigie_node_clock_skew_seconds" + kNodeLabels);
    EXPECT_EQ(skew > 0, timestamp > 0) << timestamp << ": a skew of " << skew << " s";
    ExpectHealthzFast(fmt::format("after a report dated {}", timestamp));
  }
  // The clock is set right: its next report is the node's state, whatever
  // the dates before it said.
  const v1::Report sane = SaneReport(++seq);
  ASSERT_EQ(Push(BatchOf(sane)).status, 200);
  EXPECT_EQ(Metric("vigie_node_clock_wrong" + kNodeLabels), 0);
  EXPECT_DOUBLE_EQ(Metric("vigie_node_report_timestamp_seconds" + kNodeLabels),
                   static_cast<double>(sane.timestamp_unix_ms()) / 1000.0);
  EXPECT_EQ(Stored(), timestamps.size() + 1);
  ExpectRssBounded("after the absurd timestamps");
}

}  // namespace
}  // namespace vigie
