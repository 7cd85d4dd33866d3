// Every panel of the Grafana dashboards shows data: a real Prometheus scrapes a
// real collector fed with a recorded fleet, and each query of dashboards/*.json,
// taken from the JSON with the template variables substituted, must return at
// least one series; the variables' own label_values queries must return the
// fleet's sites and nodes.
//
// The fleet, two sites:
//   rennes-1  the sample hardware report (tests/testing/sample_reports.cc) with
//             the recorded vm-2core host's system part and a rapl source error;
//             pushed over HTTP, then rebooted (new boot id, uptime back to 40 s)
//   rennes-2  a real vigie-agent reading the recorded vm-2core host
//   lyon-1    the sample hardware, a healthy NVMe disk, a SATA disk with
//             pending, uncorrectable and CRC counts; pushed over HTTP, then
//             again with that disk asleep (not read, so no SMART readings)
//   lyon-2    configured, never reported: down
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/sources/system_source.h"
#include "collector/token.h"
#include "common/file_tree.h"
#include "tests/testing/http_client.h"
#include "tests/testing/process.h"
#include "tests/testing/sample_reports.h"
#include "tests/testing/testing.h"
#include "vigie.pb.h"

namespace vigie {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ChildProcess;

const std::string kAgent = std::string(VIGIE_BINARY_DIR) + "/agent/vigie-agent";
const std::string kCollector = std::string(VIGIE_BINARY_DIR) + "/collector/vigie-collector";

// THE ONE EXCEPTION. The "Power losses" annotation reads
// vigie_alerts_firing{rule="unexpected_reboot"}, but that rule's alert is a
// one-shot event: the engine fires it, tells it and forgets it in the same
// step (alerting/engine.cc, Advance), so /metrics never shows it firing and
// the annotation can never mark anything, here or in production. Issue 14
// (found while making the other alert panels real checks): the annotation
// needs a series that outlives the event. Until then it must still parse
// and run, and may be empty.
constexpr std::string_view kEmptyUntilRebootsAreExported = "rule=\"unexpected_reboot\"";

const std::vector<std::string> kSites = {"lyon", "rennes"};
const std::vector<std::string> kNodes = {"lyon-1", "lyon-2", "rennes-1", "rennes-2"};
// The node the Node dashboard is checked with: it carries every kind of reading.
const std::string kHardwareNode = "rennes-1";

std::string UrlEncode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '_' || c == '-' || c == '.' || c == '~') {
      out += c;
    } else {
      out += {'%', kHex[byte >> 4], kHex[byte & 0x0F]};
    }
  }
  return out;
}

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) text.replace(at, from.size(), to);
  return text;
}

// The template variables as Grafana substitutes them in a query: site and node
// are regexes (allValue ".*" for All).
std::string Substitute(std::string expr, const std::string& site, const std::string& node) {
  expr = Replace(expr, "${site}", site);
  expr = Replace(expr, "$site", site);
  expr = Replace(expr, "${node}", node);
  return Replace(expr, "$node", node);
}

json ReadDashboard(const std::string& name) {
  std::ifstream in(std::string(VIGIE_SOURCE_DIR) + "/dashboards/" + name + ".json");
  return json::parse(in);
}

// A query of a dashboard, where it sits and the variable values to check it with.
struct PanelQuery {
  std::string where;  // "fleet / Disks / C"
  std::string expr;   // substituted
};

// Every target of every panel; panels under a row repeated over the sites are
// checked once per site, the others with site = All.
std::vector<PanelQuery> PanelQueries(const std::string& name, const std::string& node) {
  const json board = ReadDashboard(name);
  std::vector<PanelQuery> queries;
  std::string repeat;
  const auto visit = [&](const json& panel) {
    const std::vector<std::string> sites = repeat == "site" ? kSites : std::vector<std::string>{".*"};
    for (const json& target : panel.value("targets", json::array())) {
      for (const std::string& site : sites) {
        queries.push_back({name + " / " + panel.value("title", "?") + " / " + target.value("refId", "?") +
                               (repeat == "site" ? " (site " + site + ")" : ""),
                           Substitute(target.at("expr").get<std::string>(), site, node)});
      }
    }
  };
  for (const json& panel : board.at("panels")) {
    if (panel.at("type") == "row") {
      repeat = panel.value("repeat", "");
      for (const json& inner : panel.value("panels", json::array())) visit(inner);
    } else {
      visit(panel);
    }
  }
  for (const json& annotation : board.at("annotations").at("list")) {
    if (annotation.contains("expr")) {
      queries.push_back({name + " / annotation " + annotation.value("name", "?"),
                         Substitute(annotation.at("expr").get<std::string>(), ".*", ".*")});
    }
  }
  return queries;
}

// Every panel and panel in a row, flattened.
std::vector<json> AllPanels(const json& board) {
  std::vector<json> panels;
  for (const json& panel : board.at("panels")) {
    panels.push_back(panel);
    for (const json& inner : panel.value("panels", json::array())) panels.push_back(inner);
  }
  return panels;
}

const char* const kDashboards[] = {"fleet", "node", "disks"};

// Imported from the UI, ${DS_PROMETHEUS} is the __inputs entry; provisioned
// from a file, it is the datasource variable of the same name.
TEST(DashboardJson, EveryQueryUsesThePrometheusInput) {
  for (const char* name : kDashboards) {
    const json board = ReadDashboard(name);
    ASSERT_EQ(board.at("__inputs").size(), 1u) << name;
    EXPECT_EQ(board.at("__inputs")[0].at("name"), "DS_PROMETHEUS") << name;
    EXPECT_EQ(board.at("templating").at("list")[0].at("name"), "DS_PROMETHEUS") << name;
    EXPECT_EQ(board.at("templating").at("list")[0].at("type"), "datasource") << name;
    for (const json& panel : AllPanels(board)) {
      if (panel.at("type") == "row") continue;
      EXPECT_EQ(panel.at("datasource").at("uid"), "${DS_PROMETHEUS}") << name << " / " << panel.at("title");
      for (const json& target : panel.at("targets")) {
        EXPECT_EQ(target.at("datasource").at("uid"), "${DS_PROMETHEUS}") << name << " / " << panel.at("title");
      }
    }
  }
}

TEST(DashboardJson, PanelsHaveUniqueIdsAndDoNotOverlap) {
  for (const char* name : kDashboards) {
    const std::vector<json> panels = AllPanels(ReadDashboard(name));
    std::set<int> ids;
    for (size_t i = 0; i < panels.size(); ++i) {
      const json& a = panels[i].at("gridPos");
      EXPECT_TRUE(ids.insert(panels[i].at("id").get<int>()).second) << name << ": id " << panels[i].at("id");
      EXPECT_LE(a.at("x").get<int>() + a.at("w").get<int>(), 24) << name << " / " << panels[i].at("title");
      for (size_t j = 0; j < i; ++j) {
        const json& b = panels[j].at("gridPos");
        const bool apart = a["x"].get<int>() >= b["x"].get<int>() + b["w"].get<int>() ||
                           b["x"].get<int>() >= a["x"].get<int>() + a["w"].get<int>() ||
                           a["y"].get<int>() >= b["y"].get<int>() + b["h"].get<int>() ||
                           b["y"].get<int>() >= a["y"].get<int>() + a["h"].get<int>();
        EXPECT_TRUE(apart) << name << ": " << panels[i].at("title") << " overlaps " << panels[j].at("title");
      }
    }
  }
}

// A table names its value columns "Value #<refId>": each must be one of its queries.
TEST(DashboardJson, TableColumnsNameTheirQueries) {
  for (const char* name : kDashboards) {
    for (const json& panel : AllPanels(ReadDashboard(name))) {
      if (panel.at("type") != "table") continue;
      std::set<std::string> refs;
      for (const json& target : panel.at("targets")) {
        refs.insert("Value #" + target.at("refId").get<std::string>());
        EXPECT_EQ(target.value("format", ""), "table") << name << " / " << panel.at("title");
        EXPECT_TRUE(target.value("instant", false)) << name << " / " << panel.at("title");
      }
      if (refs.size() == 1) refs = {"Value"};
      for (const json& step : panel.at("transformations")) {
        if (step.at("id") != "organize") continue;
        for (const auto& [field, shown] : step.at("options").at("renameByName").items()) {
          if (!field.starts_with("Value")) continue;
          EXPECT_TRUE(refs.contains(field)) << name << " / " << panel.at("title") << ": " << field << " (" << shown
                                            << ") names no query";
        }
      }
    }
  }
}

class DashboardsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists("/usr/bin/prometheus")) return;  // each test skips
    fleet_ = new Fleet();
    fleet_->Start();
  }
  static void TearDownTestSuite() {
    delete fleet_;
    fleet_ = nullptr;
  }

  void SetUp() override {
    if (fleet_ == nullptr) GTEST_SKIP() << "Debian's prometheus package is not installed";
    ASSERT_TRUE(fleet_->ready) << fleet_->failure;
  }

  // Prometheus' answer to an instant query: data.result, or the error.
  static json Query(const std::string& expr, std::string* error) {
    const testing::HttpReply reply = testing::HttpGet(fleet_->api + "/api/v1/query?query=" + UrlEncode(expr));
    const json body = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
    if (reply.status != 200 || body.is_discarded() || body.value("status", "") != "success") {
      *error = "HTTP " + std::to_string(reply.status) + " " + reply.error + " " + reply.body;
      return json::array();
    }
    return body.at("data").at("result");
  }

  static std::string OneValue(const std::string& expr) {
    std::string error;
    const json result = Query(expr, &error);
    if (result.size() != 1) return "";
    return result[0].at("value")[1].get<std::string>();
  }

  // What Grafana asks for label_values(SELECTOR, LABEL).
  static std::set<std::string> LabelValues(const std::string& definition) {
    const size_t open = definition.find('('), comma = definition.rfind(','), close = definition.rfind(')');
    EXPECT_EQ(definition.substr(0, open), "label_values") << definition;
    std::string selector = definition.substr(open + 1, comma - open - 1);
    std::string label = definition.substr(comma + 1, close - comma - 1);
    std::erase(label, ' ');
    const testing::HttpReply reply =
        testing::HttpGet(fleet_->api + "/api/v1/label/" + label + "/values?match[]=" + UrlEncode(selector));
    const json body = json::parse(reply.body, nullptr, false);
    if (body.is_discarded() || !body.contains("data")) return {};
    return body.at("data").get<std::set<std::string>>();
  }

  static void ExpectEveryQueryShowsData(const std::vector<PanelQuery>& queries) {
    ASSERT_FALSE(queries.empty());
    for (const PanelQuery& query : queries) {
      EXPECT_EQ(query.expr.find('$'), std::string::npos) << query.where << ": unsubstituted variable: " << query.expr;
      std::string error;
      const json result = Query(query.expr, &error);
      EXPECT_EQ(error, "") << query.where << ": " << query.expr;
      if (query.expr.find(kEmptyUntilRebootsAreExported) != std::string::npos) continue;
      EXPECT_FALSE(result.empty()) << query.where << " shows nothing: " << query.expr;
    }
  }

  struct Fleet {
    testing::TempDir dir;
    std::map<std::string, std::string> tokens;  // node -> token
    std::unique_ptr<ChildProcess> collector, agent, prometheus;
    std::string collector_url, api;
    bool ready = false;
    std::string failure;

    void Start() {
      std::string config = "listen = \"127.0.0.1:0\"\ndatabase = \"collector.db\"\noffline_after = \"5m\"\n";
      for (const std::string& node : kNodes) {
        tokens[node] = collector::NewToken();
        config += "[[node]]\nid = \"" + node + "\"\nsite = \"" + node.substr(0, node.find('-')) +
                  "\"\ntoken_sha256 = \"" + collector::Sha256Hex(tokens[node]) + "\"\n";
      }
      dir.Write("collector.toml", config);
      collector = std::make_unique<ChildProcess>(
          std::vector<std::string>{kCollector, "--config", (dir.path() / "collector.toml").string()});
      const std::optional<std::string> rest = collector->WaitForLine("listening on http://127.0.0.1:", 10s);
      if (!rest) return Fail("collector did not start: " + collector->stderr_text());
      const std::string port = rest->substr(0, rest->find(' '));
      collector_url = "http://127.0.0.1:" + port;

      if (!Push(HardwareNode("rennes-1", "boot-a", 5000, /*degraded_sata=*/false))) return;
      if (!Push(HardwareNode("lyon-1", "boot-c", 86400, /*degraded_sata=*/true))) return;
      dir.Write("rennes-2.token", tokens["rennes-2"] + "\n");
      dir.Write("rennes-2.toml", "node_id = \"rennes-2\"\nstate_directory = \"agent-state\"\nhost_root = \"" +
                                     testing::FixturePath("hosts/vm-2core").string() +
                                     "\"\n[collect]\nperiod = \"1s\"\n[[collector]]\nurl = \"" + collector_url +
                                     "\"\ntoken_file = \"rennes-2.token\"\n");
      agent = std::make_unique<ChildProcess>(
          std::vector<std::string>{kAgent, "--config", (dir.path() / "rennes-2.toml").string()});

      const std::string web = "127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
      const auto prometheus_config = dir.Write(
          "prometheus.yml", "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: vigie\n"
                            "    static_configs:\n      - targets: ['127.0.0.1:" + port + "']\n");
      prometheus = std::make_unique<ChildProcess>(std::vector<std::string>{
          "/usr/bin/prometheus", "--config.file=" + prometheus_config.string(),
          "--storage.tsdb.path=" + (dir.path() / "tsdb").string(), "--web.listen-address=" + web});
      api = "http://" + web;

      // Boot a scraped, then the reboot: uptime goes back to 40 s between two scrapes.
      if (!WaitFor("vigie_node_uptime_seconds{node=\"rennes-1\"}", "5000")) return;
      // lyon-1's SATA disk read once, then asleep (left alone, no readings).
      if (!WaitFor("vigie_disk_ata_attribute_raw{node=\"lyon-1\",id=\"197\"}", "8")) return;
      v1::Report asleep = HardwareNode("lyon-1", "boot-c", 86460, /*degraded_sata=*/true);
      asleep.set_seq(2);
      v1::Disk* sda = asleep.mutable_disks(0);
      sda->clear_ata_attributes();
      sda->clear_temperature_celsius();
      sda->clear_health();
      sda->set_status(v1::Disk::SKIPPED_ASLEEP);
      if (!Push(asleep)) return;
      if (!WaitFor("absent(vigie_disk_ata_attribute_raw{node=\"lyon-1\"})", "1")) return;
      if (!WaitFor("sum(vigie_node_up{node=\"rennes-2\"})", "1")) return;
      if (!Push(HardwareNode("rennes-1", "boot-b", 40, /*degraded_sata=*/false))) return;
      if (!WaitFor("vigie_node_uptime_seconds{node=\"rennes-1\"}", "40")) return;
      // The alert panels read what the fleet's faults fire: wait until
      // rennes-1 (the Node dashboard's node) and the lyon site have some.
      if (!WaitFor("sum(vigie_alerts_firing{node=\"rennes-1\"}) > bool 0", "1")) return;
      if (!WaitFor("sum(vigie_alerts_firing{site=\"lyon\"}) > bool 0", "1")) return;
      ready = true;
    }

    void Fail(const std::string& why) { failure = why; }

    bool WaitFor(const std::string& expr, const std::string& value) {
      std::string seen;
      for (auto deadline = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < deadline;) {
        seen = OneValueFrom(expr);
        if (seen == value) return true;
        std::this_thread::sleep_for(200ms);
      }
      Fail(expr + " is '" + seen + "', not " + value + "\n" + prometheus->stderr_text());
      return false;
    }

    std::string OneValueFrom(const std::string& expr) {
      const testing::HttpReply reply = testing::HttpGet(api + "/api/v1/query?query=" + UrlEncode(expr));
      const json body = json::parse(reply.body, nullptr, false);
      if (body.is_discarded() || !body.contains("data") || body["data"]["result"].size() != 1) return "";
      return body["data"]["result"][0]["value"][1].get<std::string>();
    }

    // The sample hardware with the recorded vm-2core host's system part.
    v1::Report HardwareNode(const std::string& node, const std::string& boot_id, double uptime, bool degraded_sata) {
      v1::Report report = testing::SampleHardwareReport();
      const FileTree host(testing::FixturePath("hosts/vm-2core"));
      agent::SystemSource system(host, agent::MakeFilesystemUsageReader(host));
      system.Collect(agent::CollectContext{1'795'600'000'000, 1}, report);
      report.set_node_id(node);
      report.set_boot_id(boot_id);
      report.set_seq(1);
      report.set_timestamp_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
      report.set_uptime_seconds(uptime);
      report.mutable_disks(0)->set_capacity_bytes(500'107'862'016);
      if (!degraded_sata) {
        v1::SourceError* error = report.add_source_errors();
        error->set_source("rapl");
        error->set_code(v1::SourceError::PERMISSION_DENIED);
        error->set_message("/sys/class/powercap/intel-rapl:0/energy_uj: Permission denied");
        return report;
      }
      report.mutable_sensors(0)->set_value(52);
      v1::Disk* hdd = report.mutable_disks(0);
      hdd->set_serial("Z1D4");
      for (const auto& [id, name, raw] : {std::tuple{197u, "Current_Pending_Sector", 8},
                                          std::tuple{198u, "Offline_Uncorrectable", 2},
                                          std::tuple{199u, "UDMA_CRC_Error_Count", 3}}) {
        v1::AtaAttribute* attribute = hdd->add_ata_attributes();
        attribute->set_id(id);
        attribute->set_name(name);
        attribute->set_value(100);
        attribute->set_worst(100);
        attribute->set_raw_decoded(raw);
      }
      v1::NvmeHealth* nvme = report.mutable_disks(1)->mutable_nvme();
      report.mutable_disks(1)->set_serial("cafe");
      nvme->set_critical_warning(0);
      nvme->set_available_spare_percent(100);
      nvme->set_available_spare_threshold_percent(10);
      nvme->set_percentage_used(50);
      return report;
    }

    bool Push(const v1::Report& report) {
      v1::Batch batch;
      *batch.add_reports() = report;
      const testing::HttpReply pushed = testing::HttpPost(
          collector_url + "/v1/push",
          {"Content-Type: application/x-protobuf", "Authorization: Bearer " + tokens[report.node_id()]},
          batch.SerializeAsString());
      if (pushed.status != 200) Fail("push of " + report.node_id() + ": " + pushed.error + pushed.body);
      return pushed.status == 200;
    }
  };

  static Fleet* fleet_;
};

DashboardsTest::Fleet* DashboardsTest::fleet_ = nullptr;

TEST_F(DashboardsTest, SiteVariableListsEverySite) {
  for (const std::string name : {"fleet", "node", "disks"}) {
    const json board = ReadDashboard(name);
    for (const json& variable : board.at("templating").at("list")) {
      if (variable.at("name") != "site") continue;
      EXPECT_EQ(variable.at("definition"), variable.at("query"));
      EXPECT_EQ(LabelValues(variable.at("query")), std::set<std::string>(kSites.begin(), kSites.end())) << name;
    }
  }
}

TEST_F(DashboardsTest, NodeVariableListsTheNodesOfTheChosenSites) {
  for (const std::string name : {"fleet", "node", "disks"}) {
    const json board = ReadDashboard(name);
    for (const json& variable : board.at("templating").at("list")) {
      if (variable.at("name") != "node") continue;
      const std::string definition = variable.at("query");
      EXPECT_EQ(LabelValues(Substitute(definition, ".*", "")), std::set<std::string>(kNodes.begin(), kNodes.end()))
          << name;
      EXPECT_EQ(LabelValues(Substitute(definition, "lyon", "")), (std::set<std::string>{"lyon-1", "lyon-2"})) << name;
    }
  }
}

TEST_F(DashboardsTest, EveryFleetPanelShowsDataForEverySite) { ExpectEveryQueryShowsData(PanelQueries("fleet", ".*")); }

TEST_F(DashboardsTest, EveryNodePanelShowsData) { ExpectEveryQueryShowsData(PanelQueries("node", kHardwareNode)); }

TEST_F(DashboardsTest, EveryDisksColumnShowsData) { ExpectEveryQueryShowsData(PanelQueries("disks", ".*")); }

TEST_F(DashboardsTest, FleetCountsTheDownNodeOfItsSite) {
  const json board = ReadDashboard("fleet");
  for (const json& panel : board.at("panels")) {
    if (panel.value("title", "") != "Nodes down") continue;
    const std::string expr = panel.at("targets")[0].at("expr");
    EXPECT_EQ(OneValue(Substitute(expr, "lyon", ".*")), "1");
    EXPECT_EQ(OneValue(Substitute(expr, "rennes", ".*")), "0");
    return;
  }
  ADD_FAILURE() << "no Nodes down panel";
}

TEST_F(DashboardsTest, RebootAnnotationMarksTheRebootedNodeOnly) {
  const json board = ReadDashboard("fleet");
  for (const json& annotation : board.at("annotations").at("list")) {
    if (annotation.value("name", "") != "Reboots") continue;
    std::string error;
    const json result = Query(Substitute(annotation.at("expr"), ".*", ".*"), &error);
    ASSERT_EQ(result.size(), 1u) << error << result.dump();
    EXPECT_EQ(result[0].at("metric").at("node"), "rennes-1");
    return;
  }
  ADD_FAILURE() << "no Reboots annotation";
}

// The Disks table's Attention column puts the disk with an NVMe critical
// warning first (1000 + 75 % endurance used), then the SATA disks by their
// sector counts: lyon-1's sda (304 reallocated + 8 pending + 2 uncorrectable
// + 3 CRC, from its last full read: it is asleep now) before rennes-1's (304
// reallocated).
TEST_F(DashboardsTest, DisksAttentionRanksTheWorstFirst) {
  const json board = ReadDashboard("disks");
  const std::string expr = Substitute(board.at("panels")[0].at("targets")[0].at("expr"), ".*", ".*");
  std::string error;
  std::map<std::string, std::string> attention;
  for (const json& series : Query(expr, &error)) {
    attention[series.at("metric").at("node").get<std::string>() + "/" + series.at("metric").at("disk").get<std::string>()] =
        series.at("value")[1];
  }
  EXPECT_EQ(error, "");
  EXPECT_EQ(attention, (std::map<std::string, std::string>{{"lyon-1/nvme0n1", "50"},
                                                           {"lyon-1/sda", "317"},
                                                           {"lyon-1/sdb", "0"},
                                                           {"rennes-1/nvme0n1", "1075"},
                                                           {"rennes-1/sda", "304"},
                                                           {"rennes-1/sdb", "0"}}));
}

}  // namespace
}  // namespace vigie
