#include "tests/fleet/fleet.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "collector/token.h"
#include "tests/testing/http_client.h"

namespace vigie::fleet {
namespace {

const std::string kSource = VIGIE_SOURCE_DIR;
const std::string kAgent = std::string(VIGIE_BINARY_DIR) + "/agent/vigie-agent";
const std::string kCollector = std::string(VIGIE_BINARY_DIR) + "/collector/vigie-collector";
const std::string kPython = "/usr/bin/python3";
const std::string kCollectorAddress = "10.77.0.1";
const std::string kCollectorUrl = "http://" + kCollectorAddress + ":9470";
const std::string kMatrixToken = "fleet-matrix-token";

std::string RoomOf(const std::string& name) { return "!" + name + ":fleet.test"; }
std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}
// A member's own Matrix ID; the collector opens a direct room with it.
std::string MatrixIdOf(const std::string& member) { return fmt::format("@{}:fleet.test", Lower(member)); }
std::string AddressOf(const std::string& member) { return Lower(member) + "@fleet.test"; }

std::string Ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + "ms"; }

// A fresh UUID from the kernel, as a boot id looks.
std::string NewBootId() {
  std::ifstream in("/proc/sys/kernel/random/uuid");
  std::string id;
  std::getline(in, id);
  return id;
}

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace

Fleet::Fleet() : prefix_("vf" + std::to_string(getpid())) {
  homes_ = {{"rennes", "Alice", {}}, {"nantes", "Bruno", {}}, {"brest", "Chloe", {}}};
  int address = 10;
  for (Home& home : homes_) {
    for (int i = 1; i <= 3; ++i) {
      const std::string id = fmt::format("{}-{}", home.site, i);
      home.nodes.push_back(id);
      nodes_[id] = Node{id, home.site, fmt::format("10.77.0.{}", address++), scratch_.path() / "nodes" / id, 0, nullptr};
    }
  }
}

Fleet::~Fleet() {
  // Children first, then their namespaces; the scratch folder last.
  for (auto& [id, node] : nodes_) node.agent.reset();
  collector_.reset();
  matrix_.reset();
  smtp_.reset();
  lab_.reset();
}

const Home& Fleet::home(const std::string& site) const {
  for (const Home& h : homes_) {
    if (h.site == site) return h;
  }
  ADD_FAILURE() << "no home " << site;
  return homes_.front();
}

::testing::AssertionResult Fleet::Start() {
  lab_ = std::make_unique<NetnsLab>(prefix_, scratch_.path());
  if (auto r = lab_->Create(); !r) return r;
  if (auto r = lab_->AddHost("collector", kCollectorAddress); !r) return r;
  for (auto& [id, node] : nodes_) {
    if (auto r = lab_->AddHost(id, node.address); !r) return r;
  }
  if (auto r = StartPeers(); !r) return r;
  std::map<std::string, std::string> matrix{{RoomOf("ops"), kAdmin}};
  std::map<std::string, std::string> addresses{{AddressOf(kAdmin), kAdmin}};
  for (const Home& home : homes_) {
    matrix[MatrixIdOf(home.member)] = home.member;
    addresses[AddressOf(home.member)] = home.member;
  }
  inbox_ = std::make_unique<Inbox>(lab_->Namespace("collector"), matrix_url_, matrix, scratch_.path() / "mail",
                                   addresses);
  for (auto& [id, node] : nodes_) {
    if (auto r = PrepareNode(node); !r) return r;
  }
  WriteCollectorConfig();
  if (auto r = StartCollector(); !r) return r;
  std::vector<std::string> all;
  for (const Home& home : homes_) all.insert(all.end(), home.nodes.begin(), home.nodes.end());
  if (auto r = StartAgents(all); !r) return r;
  for (const auto& [id, node] : nodes_) {
    if (!WaitUntil([&] { return !Reports(id).empty(); }, 20s)) {
      return ::testing::AssertionFailure() << id << " has no report stored after 20 s\n" << node.agent->stderr_text();
    }
  }
  Note("the fleet is up: 3 homes of 3 nodes report to the collector every " + Ms(kPeriod));
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Fleet::StartPeers() {
  std::filesystem::create_directories(scratch_.path() / "mail");
  std::vector<std::string> argv = lab_->Exec("collector");
  for (const std::string& a : {kPython, kSource + "/tests/alerting/smtp_sink.py", std::string("--out"),
                               (scratch_.path() / "mail").string()}) {
    argv.push_back(a);
  }
  smtp_ = std::make_unique<testing::ChildProcess>(argv);
  const std::optional<std::string> smtp_port = smtp_->WaitForLine("listening on 127.0.0.1:", 20s);
  if (!smtp_port) return ::testing::AssertionFailure() << "SMTP server: " << smtp_->stderr_text();
  smtp_url_ = "smtp://127.0.0.1:" + *smtp_port;

  argv = lab_->Exec("collector");
  for (const std::string& a : {kPython, kSource + "/tests/matrix/fake_homeserver.py", std::string("--token"), kMatrixToken,
                               std::string("--room"), RoomOf("ops")}) {
    argv.push_back(a);
  }
  matrix_ = std::make_unique<testing::ChildProcess>(argv);
  const std::optional<std::string> matrix_port = matrix_->WaitForLine("listening on http://127.0.0.1:", 20s);
  if (!matrix_port) return ::testing::AssertionFailure() << "Matrix homeserver: " << matrix_->stderr_text();
  matrix_url_ = "http://127.0.0.1:" + *matrix_port;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Fleet::PrepareNode(Node& node) {
  const auto copy = std::filesystem::copy_options::recursive;
  std::error_code error;
  std::filesystem::create_directories(node.dir, error);
  if (!error) std::filesystem::copy(testing::FixturePath("hosts/vm-2core"), node.dir / "host", copy, error);
  if (!error) std::filesystem::copy(testing::FixturePath("smart/qemu_ahci"), node.dir / "disks", copy, error);
  if (error) return ::testing::AssertionFailure() << "cannot copy the fixtures for " << node.id << ": " << error.message();
  WriteFile(node.dir / "host/proc/sys/kernel/random/boot_id", NewBootId() + "\n");
  // QEMU's disk counts reallocated sectors (5) but, unlike a real hard disk,
  // has no pending (197) or uncorrectable (198) sectors: they start at 0.
  for (const uint8_t id : {197, 198}) {
    if (auto r = SetDiskCount(node.id, id, 0); !r) return r;
  }
  WriteFile(node.dir / "agent.token", collector::NewToken() + "\n");
  WriteFile(node.dir / "agent.toml",
            fmt::format("node_id = \"{}\"\nstate_directory = \"state\"\nhost_root = \"host\"\n"
                        "[collect]\nperiod = \"{}\"\nretry_initial = \"{}\"\nretry_max = \"{}\"\n"
                        "spool_write_after = \"1h\"\n"
                        "[disks]\nperiod = \"{}\"\n"
                        "[[collector]]\nurl = \"{}\"\ntoken_file = \"agent.token\"\ntimeout = \"800ms\"\n",
                        node.id, Ms(kPeriod), Ms(kPeriod), Ms(2 * kPeriod), Ms(kPeriod), kCollectorUrl));
  return ::testing::AssertionSuccess();
}

void Fleet::WriteCollectorConfig() {
  const std::filesystem::path dir = scratch_.path() / "collector";
  WriteFile(dir / "matrix.token", kMatrixToken + "\n");
  std::string toml = fmt::format(
      "listen = \"{}:9470\"\ndatabase = \"collector.db\"\noffline_after = \"{}\"\n"
      "[ingest]\nmax_pushes_per_minute = 600\n"
      "[alerting]\ntick = \"200ms\"\ngroup_window = \"{}\"\ntemperature_for = \"{}\"\n"
      "outbox_retry_initial = \"500ms\"\noutbox_retry_max = \"2s\"\n"
      "[matrix]\nhomeserver_url = \"{}\"\naccess_token_file = \"matrix.token\"\nmessages_per_second = 100\nburst = 100\n"
      "[smtp]\nurl = \"{}\"\nfrom = \"vigie@fleet.test\"\ntls = \"none\"\n"
      "[[admin]]\nname = \"{}\"\nmatrix_room = \"{}\"\nemail = \"{}\"\n",
      kCollectorAddress, Ms(kOfflineAfter), Ms(kGroupWindow), Ms(kTemperatureFor), matrix_url_, smtp_url_, kAdmin,
      RoomOf("ops"), AddressOf(kAdmin));
  for (const Home& home : homes_) {
    toml += fmt::format("[[site]]\nname = \"{}\"\nmembers = [{{ name = \"{}\", matrix_user = \"{}\", email = \"{}\" }}]\n",
                        home.site, home.member, MatrixIdOf(home.member), AddressOf(home.member));
  }
  for (const auto& [id, node] : nodes_) {
    std::ifstream in(node.dir / "agent.token");
    std::string token;
    std::getline(in, token);
    toml += fmt::format("[[node]]\nid = \"{}\"\nsite = \"{}\"\ntoken_sha256 = \"{}\"\n", id, node.site,
                        collector::Sha256Hex(token));
  }
  WriteFile(dir / "collector.toml", toml);
}

::testing::AssertionResult Fleet::StartCollector() {
  if (collector_) collector_log_ += collector_->stderr_text();
  std::vector<std::string> argv = lab_->Exec("collector");
  argv.push_back(kCollector);
  argv.push_back("--config");
  argv.push_back((scratch_.path() / "collector" / "collector.toml").string());
  collector_ = std::make_unique<testing::ChildProcess>(argv);
  collector_scanned_ = 0;
  if (!collector_->WaitForLine("listening on http://" + kCollectorAddress, 20s)) {
    return ::testing::AssertionFailure() << "the collector did not start:\n" << collector_->stderr_text();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Fleet::CrashCollector() {
  const int status = collector_->Stop(SIGKILL);
  collector_log_ += collector_->stderr_text() + "--- kill -9\n";
  collector_.reset();
  if (!WIFSIGNALED(status)) return ::testing::AssertionFailure() << "the collector had exited already: " << status;
  return ::testing::AssertionSuccess();
}

std::filesystem::path Fleet::SysDir(const Node& node) const { return node.dir / fmt::format("sys-{}", node.boots); }

::testing::AssertionResult Fleet::StartAgents(const std::vector<std::string>& ids) {
  // All at once, then each awaited: machines that come back together start together.
  for (const std::string& id : ids) {
    Node& node = nodes_.at(id);
    ++node.boots;
    std::vector<std::string> argv = lab_->Exec(node.id);
    for (const std::string& a :
         {std::string("/usr/bin/env"), "VIGIE_FAKE_SYS_SCRATCH=" + SysDir(node).string(),
          kSource + "/tests/hwmon/run_in_fake_sys.sh", testing::FixturePath("hosts/desktop-nct6775").string(), kAgent,
          std::string("--config"), (node.dir / "agent.toml").string(), std::string("--replay-disks"),
          (node.dir / "disks").string()}) {
      argv.push_back(a);
    }
    node.agent = std::make_unique<testing::ChildProcess>(argv);
  }
  for (const std::string& id : ids) {
    Node& node = nodes_.at(id);
    if (!node.agent->WaitForLine("running as node", 20s)) {
      return ::testing::AssertionFailure() << node.id << " did not start:\n" << node.agent->stderr_text();
    }
  }
  return ::testing::AssertionSuccess();
}

bool Fleet::WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    inbox_->Poll();
    DrainLogs();
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
}

void Fleet::WatchUntil(std::chrono::steady_clock::time_point until) {
  const auto left = until - std::chrono::steady_clock::now();
  WaitUntil([] { return false; }, std::chrono::duration_cast<std::chrono::milliseconds>(left));
}

bool Fleet::WaitForReports(const std::string& node, size_t count, std::chrono::milliseconds timeout) {
  const size_t target = Reports(node).size() + count;
  return WaitUntil([&] { return Reports(node).size() >= target; }, timeout);
}

void Fleet::DrainLogs() {
  // Read the pipes, so that no child ever blocks on a full one.
  if (collector_) {
    // The collector's word on its deliveries goes into the timeline.
    const std::string log = collector_->stderr_text();
    for (size_t end; (end = log.find('\n', collector_scanned_)) != std::string::npos; collector_scanned_ = end + 1) {
      const std::string line = log.substr(collector_scanned_, end - collector_scanned_);
      if (const size_t at = line.find("alerting: "); at != std::string::npos) Note("collector: " + line.substr(at + 10));
    }
  }
  if (smtp_) smtp_->stderr_text();
  if (matrix_) matrix_->stderr_text();
  for (auto& [id, node] : nodes_) {
    if (node.agent) node.agent->stderr_text();
  }
}

std::vector<collector::Store::StoredReport> Fleet::Reports(const std::string& node) {
  auto store = collector::Store::Open(scratch_.path() / "collector" / "collector.db", collector::Store::Mode::kReadOnly);
  if (!store) return {};
  auto reports = (*store)->ListReports(node);
  return reports ? std::move(*reports) : std::vector<collector::Store::StoredReport>{};
}

::testing::AssertionResult Fleet::SetInternet(const std::string& site, bool up) {
  for (const std::string& id : home(site).nodes) {
    if (auto r = lab_->SetLink(id, NetnsLab::Side::kBridge, up); !r) return r;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Fleet::PowerCut(const std::string& site) {
  for (const std::string& id : home(site).nodes) {
    if (auto r = lab_->SetLink(id, NetnsLab::Side::kHost, false); !r) return r;
  }
  for (const std::string& id : home(site).nodes) {
    Node& node = nodes_.at(id);
    const int status = node.agent->Stop(SIGKILL);
    if (!WIFSIGNALED(status)) return ::testing::AssertionFailure() << id << "'s agent had exited: " << status;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Fleet::PowerBack(const std::string& site) {
  for (const std::string& id : home(site).nodes) {
    Node& node = nodes_.at(id);
    WriteFile(node.dir / "host/proc/sys/kernel/random/boot_id", NewBootId() + "\n");
    WriteFile(node.dir / "host/proc/uptime", "4.20 7.31\n");  // seconds since boot, idle seconds
    if (auto r = lab_->SetLink(id, NetnsLab::Side::kHost, true); !r) return r;
  }
  return StartAgents(home(site).nodes);
}

::testing::AssertionResult Fleet::SetSys(const std::string& node, const std::string& relative,
                                         const std::string& value) {
  const std::filesystem::path path = SysDir(nodes_.at(node)) / "sys" / relative;
  if (!std::filesystem::exists(path)) return ::testing::AssertionFailure() << "no " << path;
  // In place: the overlay shows the same inode's new contents, never a new file.
  std::ofstream out(path);
  out << value << '\n';
  if (!out.flush()) return ::testing::AssertionFailure() << "cannot write " << path;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Fleet::SetDiskCount(const std::string& node, uint8_t id, uint64_t raw) {
  const std::filesystem::path path = nodes_.at(node).dir / "disks" / "sda" / "smart_data.bin";
  std::ifstream in(path, std::ios::binary);
  std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (page.size() != 512) return ::testing::AssertionFailure() << path << ": not a 512-byte page";
  // SMART READ DATA (ATA8-ACS table 62): 30 entries of 12 bytes from byte 2,
  // each (SFF-8035i) id, flags (2), value, worst, raw (6, little-endian),
  // reserved; byte 511 makes the page sum to 0 mod 256.
  size_t entry = 0;
  for (size_t at = 2; at < 2 + 30 * 12 && entry == 0; at += 12) {
    if (static_cast<uint8_t>(page[at]) == id) entry = at;
  }
  for (size_t at = 2; at < 2 + 30 * 12 && entry == 0; at += 12) {
    if (page[at] == 0) {
      entry = at;
      // flags 0x0032: online, event count, self-preserving; value and worst 100.
      page[at] = static_cast<char>(id);
      page[at + 1] = 0x32;
      page[at + 2] = 0;
      page[at + 3] = page[at + 4] = 100;
    }
  }
  if (entry == 0) return ::testing::AssertionFailure() << path << ": no free attribute entry";
  for (size_t i = 0; i < 6; ++i) page[entry + 5 + i] = static_cast<char>((raw >> (8 * i)) & 0xff);
  uint8_t sum = 0;
  for (size_t i = 0; i < 511; ++i) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(page[i]));
  page[511] = static_cast<char>(static_cast<uint8_t>(-sum));
  // Whole or not at all: the agent may read it at any moment.
  const std::filesystem::path temporary = path.string() + ".new";
  WriteFile(temporary, page);
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) return ::testing::AssertionFailure() << "cannot replace " << path << ": " << error.message();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Fleet::InjectMatrixFaults(const std::vector<std::string>& faults, int retry_after_ms) {
  std::string body = "{\"faults\": [";
  for (size_t i = 0; i < faults.size(); ++i) body += (i ? ", \"" : "\"") + faults[i] + "\"";
  body += fmt::format("], \"retry_after_ms\": {}}}", retry_after_ms);
  InNetns in(lab_->Namespace("collector"));
  const testing::HttpReply reply = testing::HttpPost(matrix_url_ + "/_test/faults", {"Content-Type: application/json"}, body);
  if (reply.status != 200) return ::testing::AssertionFailure() << "POST /_test/faults: " << reply.status << reply.error;
  return ::testing::AssertionSuccess();
}

int Fleet::MatrixFaultsLeft() {
  InNetns in(lab_->Namespace("collector"));
  const testing::HttpReply reply = testing::HttpGet(matrix_url_ + "/_test/faults");
  if (reply.status != 200) return -1;
  const nlohmann::json json = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("faults")) return -1;
  return static_cast<int>(json["faults"].size());
}

std::string Fleet::Story() {
  std::string story = "\n===== what each member received (time since start, channel, recipient, text)\n";
  story += inbox_ ? inbox_->Timeline() : "";
  story += "===== the collector's log\n" + collector_log_ + (collector_ ? collector_->stderr_text() : "");
  return story;
}

}  // namespace vigie::fleet
