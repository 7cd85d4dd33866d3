// vigie-ingest-bench: N simulated nodes push realistic reports to a real
// vigie-collector over keep-alive connections (loopback only, bounded in time);
// prints reports/s, samples/s, p50/p99 acknowledgement latency, the collector's
// RSS per node and the time and size of GET /metrics. Then the same bodies, in
// the Prometheus text format, go to Debian's prometheus-pushgateway as the
// reference (skipped with a message when it is not installed).
//
// One process: a libcurl multi handle drives --connections easy handles, each
// on its own keep-alive connection. Children it starts are stopped on exit.
// See BENCHMARKS.md, "Collector ingest (bench/ingest)".
#include <curl/curl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "collector/metrics_page.h"
#include "collector/token.h"
#include "tests/testing/sample_reports.h"
#include "vigie.pb.h"

namespace vigie::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
  fs::path collector = fs::path(VIGIE_BINARY_DIR) / "collector/vigie-collector";
  fs::path pushgateway = "/usr/bin/prometheus-pushgateway";
  fs::path fixture = fs::path(VIGIE_SOURCE_DIR) / "tests/fixtures/hosts/vm-2core";
  fs::path workdir = "/var/tmp";  // on disk, not tmpfs: the fsyncs must be real
  std::vector<int> nodes = {1000, 10000};
  double seconds = 10;
  int connections = 32;
  int http_threads = 4;  // the collector's default; [ingest] http_threads
  double rate = 0;       // steady phase: pushes/s offered (open loop); 0: as fast as acknowledged
  bool consistency_check = false;
  fs::path dump_dir;  // when set, each /metrics page is saved there
  bool render_only = false;
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "vigie-ingest-bench: %s\n", message.c_str());
  std::exit(1);
}

// ---------------------------------------------------------------- child processes

// A child whose stdout and stderr go to `log`; SIGTERM and reaped on destruction.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const fs::path& log) {
    pid_ = fork();
    if (pid_ < 0) Die("fork failed");
    if (pid_ == 0) {
      // Dies with the bench even when the bench is killed before its destructors run.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      std::vector<char*> args;
      for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Child() { Stop(); }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  bool Alive() const { return waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

// VmRSS of a process, in KiB.
int64_t RssKiB(pid_t pid) {
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stoll(line.substr(6));
  }
  return -1;
}

// User plus system CPU time of a process, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th (proc(5)).
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A counter's value on a metrics page; -1 when absent.
double CounterOnPage(const std::string& page, const std::string& name) {
  const size_t at = page.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(page.substr(at + name.size() + 2));
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

uint16_t FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    Die("cannot find a free loopback port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

// ---------------------------------------------------------------- the reports

std::map<std::string, uint64_t> ReadMeminfoBytes(const fs::path& file) {
  std::map<std::string, uint64_t> values;
  std::ifstream in(file);
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib) {
    std::getline(in, unit);
    key.pop_back();  // ':'
    values[key] = kib * 1024;
  }
  return values;
}

// One node's report: the sample hardware report, completed to a typical home
// server's readings, and the system part of the recorded vm-2core host.
v1::Report BuildReport(const fs::path& fixture, int node_index) {
  v1::Report report = testing::SampleHardwareReport();
  report.set_node_id(fmt::format("bench-{:05d}", node_index));
  report.set_boot_id(fmt::format("6f1c2a9e-0000-4000-8000-{:012d}", node_index));
  report.set_agent_version("0.1.0");
  report.set_disks_read(true);
  report.set_uptime_seconds(350.43 + node_index);

  // Sensors: the sample's three, plus per-core temperatures, fans and voltages.
  for (int core = 0; core < 4; ++core) {
    v1::Sensor* s = report.add_sensors();
    s->set_chip("coretemp-isa-0000");
    s->set_label(fmt::format("Core {}", core));
    s->set_kind(v1::Sensor::TEMPERATURE);
    s->set_value(40 + core + node_index % 7);
    s->set_max(80);
    s->set_crit(100);
  }
  for (int fan = 1; fan <= 3; fan += 2) {
    v1::Sensor* s = report.add_sensors();
    s->set_chip("nct6775-isa-0290");
    s->set_label(fmt::format("fan{}", fan));
    s->set_kind(v1::Sensor::FAN);
    s->set_value(900 + 37 * fan);
    s->set_min(300);
  }
  const char* const voltages[] = {"Vcore", "in1", "AVCC", "+3.3V", "in4", "3VSB", "Vbat"};
  for (int i = 0; i < 7; ++i) {
    v1::Sensor* s = report.add_sensors();
    s->set_chip("nct6775-isa-0290");
    s->set_label(voltages[i]);
    s->set_kind(v1::Sensor::VOLTAGE);
    s->set_value(1.0 + 0.3 * i);
  }
  v1::Sensor* nvme_temp = report.add_sensors();
  nvme_temp->set_chip("nvme-pci-0100");
  nvme_temp->set_label("Composite");
  nvme_temp->set_kind(v1::Sensor::TEMPERATURE);
  nvme_temp->set_value(38.85);

  // The HDD's usual attribute set (smartctl -A of a desktop drive).
  v1::Disk* hdd = report.mutable_disks(0);
  hdd->set_serial(fmt::format("9VM1{:05d}", node_index));
  const std::pair<int, const char*> attributes[] = {
      {1, "Raw_Read_Error_Rate"},  {3, "Spin_Up_Time"},           {4, "Start_Stop_Count"},
      {7, "Seek_Error_Rate"},      {10, "Spin_Retry_Count"},       {12, "Power_Cycle_Count"},
      {187, "Reported_Uncorrect"}, {194, "Temperature_Celsius"},   {197, "Current_Pending_Sector"},
      {198, "Offline_Uncorrectable"}, {199, "UDMA_CRC_Error_Count"}};
  for (const auto& [id, name] : attributes) {
    v1::AtaAttribute* a = hdd->add_ata_attributes();
    a->set_id(static_cast<uint32_t>(id));
    a->set_name(name);
    a->set_value(100);
    a->set_worst(99);
    a->set_threshold(id == 1 ? 6 : 0);
    a->set_raw_decoded(id == 194 ? 36 : id * 3);
  }
  v1::NvmeHealth* nvme = report.mutable_disks(1)->mutable_nvme();
  nvme->set_composite_temperature_celsius(38.85);
  nvme->set_data_units_written(123456);
  nvme->set_power_cycles(42);
  nvme->set_unsafe_shutdowns(3);
  nvme->set_media_errors(0);
  report.mutable_disks(1)->set_serial(fmt::format("deadbeef{:05d}", node_index));

  // The recorded host's load, memory and root filesystem; two more mounts
  // alongside it, as on a typical server.
  v1::System* system = report.mutable_system();
  std::ifstream loadavg(fixture / "proc/loadavg");
  double load1 = 0, load5 = 0, load15 = 0;
  loadavg >> load1 >> load5 >> load15;
  system->set_load1(load1);
  system->set_load5(load5);
  system->set_load15(load15);
  const std::map<std::string, uint64_t> meminfo = ReadMeminfoBytes(fixture / "proc/meminfo");
  const auto mem = [&](const char* key) { return meminfo.contains(key) ? meminfo.at(key) : 0; };
  system->set_memory_total_bytes(mem("MemTotal"));
  system->set_memory_available_bytes(mem("MemAvailable"));
  system->set_swap_total_bytes(mem("SwapTotal"));
  system->set_swap_free_bytes(mem("SwapFree"));
  std::ifstream statvfs(fixture / "statvfs.tsv");
  std::string mountpoint;
  uint64_t block = 0, blocks = 0, bfree = 0, bavail = 0, files = 0, ffree = 0;
  statvfs >> mountpoint >> block >> blocks >> bfree >> bavail >> files >> ffree;
  const struct {
    const char* mountpoint;
    const char* device;
    const char* fstype;
    uint64_t divisor;
  } mounts[] = {{"/", "/dev/vda", "ext4", 1}, {"/boot", "/dev/vda1", "ext4", 256}, {"/srv", "/dev/sda1", "xfs", 1}};
  for (const auto& m : mounts) {
    v1::Filesystem* f = system->add_filesystems();
    f->set_mountpoint(mountpoint == "/" ? m.mountpoint : mountpoint + m.mountpoint);
    f->set_device(m.device);
    f->set_fstype(m.fstype);
    f->set_size_bytes(block * blocks / m.divisor);
    f->set_free_bytes(block * bfree / m.divisor);
    f->set_avail_bytes(block * bavail / m.divisor);
    f->set_files(files / m.divisor);
    f->set_files_free(ffree / m.divisor);
  }
  return report;
}

struct Sample {
  std::string name;
  std::string labels;  // without the node's
  double value;
};

std::string Quote(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c == '\n' ? 'n' : c);
  }
  return out;
}

// The report's readings as Prometheus samples: what the pushgateway gets, and
// how the bench counts a report's readings.
std::vector<Sample> Samples(const v1::Report& report) {
  std::vector<Sample> out;
  const char* const kinds[] = {"unspecified", "temperature", "fan", "voltage", "current",
                               "power",       "energy",      "intrusion", "humidity"};
  for (const v1::Sensor& s : report.sensors()) {
    out.push_back({fmt::format("vigie_sensor_{}", kinds[s.kind()]),
                   fmt::format("chip=\"{}\",sensor=\"{}\"", Quote(s.chip()), Quote(s.label())), s.value()});
  }
  for (const v1::Disk& d : report.disks()) {
    const std::string labels = fmt::format("device=\"{}\",model=\"{}\",serial=\"{}\"", Quote(d.device()),
                                           Quote(d.model()), Quote(d.serial()));
    if (d.has_temperature_celsius()) out.push_back({"vigie_disk_temperature_celsius", labels, d.temperature_celsius()});
    for (const v1::AtaAttribute& a : d.ata_attributes()) {
      out.push_back({"vigie_disk_ata_attribute_raw",
                     labels + fmt::format(",id=\"{}\",attribute=\"{}\"", a.id(), Quote(a.name())),
                     static_cast<double>(a.raw_decoded())});
    }
    if (d.kind() == v1::Disk::NVME) {
      const v1::NvmeHealth& n = d.nvme();
      out.push_back({"vigie_nvme_critical_warning", labels, static_cast<double>(n.critical_warning())});
      out.push_back({"vigie_nvme_temperature_celsius", labels, n.composite_temperature_celsius()});
      out.push_back({"vigie_nvme_available_spare_ratio", labels, n.available_spare_percent() / 100.0});
      out.push_back({"vigie_nvme_percentage_used_ratio", labels, n.percentage_used() / 100.0});
      out.push_back({"vigie_nvme_data_units_written_total", labels, static_cast<double>(n.data_units_written())});
      out.push_back({"vigie_nvme_power_cycles_total", labels, static_cast<double>(n.power_cycles())});
      out.push_back({"vigie_nvme_unsafe_shutdowns_total", labels, static_cast<double>(n.unsafe_shutdowns())});
      out.push_back({"vigie_nvme_media_errors_total", labels, static_cast<double>(n.media_errors())});
    }
  }
  for (const v1::RaplZone& z : report.power().rapl()) {
    out.push_back({"vigie_rapl_power_watts", fmt::format("zone=\"{}\"", Quote(z.name())), z.watts()});
  }
  const v1::System& s = report.system();
  out.push_back({"vigie_node_uptime_seconds", "", report.uptime_seconds()});
  out.push_back({"vigie_node_load1", "", s.load1()});
  out.push_back({"vigie_node_load5", "", s.load5()});
  out.push_back({"vigie_node_load15", "", s.load15()});
  out.push_back({"vigie_node_memory_total_bytes", "", static_cast<double>(s.memory_total_bytes())});
  out.push_back({"vigie_node_memory_available_bytes", "", static_cast<double>(s.memory_available_bytes())});
  for (const v1::Filesystem& f : s.filesystems()) {
    const std::string labels = fmt::format("mountpoint=\"{}\",device=\"{}\",fstype=\"{}\"", Quote(f.mountpoint()),
                                           Quote(f.device()), Quote(f.fstype()));
    out.push_back({"vigie_filesystem_size_bytes", labels, static_cast<double>(f.size_bytes())});
    out.push_back({"vigie_filesystem_free_bytes", labels, static_cast<double>(f.free_bytes())});
    out.push_back({"vigie_filesystem_avail_bytes", labels, static_cast<double>(f.avail_bytes())});
    out.push_back({"vigie_filesystem_files", labels, static_cast<double>(f.files())});
    out.push_back({"vigie_filesystem_files_free", labels, static_cast<double>(f.files_free())});
  }
  // The text format wants a family's samples together, each label set once
  // (the sample report repeats one sensor on purpose: the first one counts).
  std::stable_sort(out.begin(), out.end(), [](const Sample& a, const Sample& b) { return a.name < b.name; });
  const auto same = [](const Sample& a, const Sample& b) { return a.name == b.name && a.labels == b.labels; };
  out.erase(std::unique(out.begin(), out.end(), same), out.end());
  return out;
}

// The text format, one TYPE line per family (samples of a family are adjacent).
std::string TextBody(const std::vector<Sample>& samples) {
  std::string out;
  std::string family;
  for (const Sample& s : samples) {
    if (s.name != family) {
      family = s.name;
      out += fmt::format("# TYPE {} gauge\n", s.name);
    }
    out += s.labels.empty() ? fmt::format("{} {}\n", s.name, s.value)
                            : fmt::format("{}{{{}}} {}\n", s.name, s.labels, s.value);
  }
  return out;
}

// ---------------------------------------------------------------- HTTP load

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct CurlDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct CurlMultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
using Slist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

size_t Discard(char*, size_t size, size_t count, void* bytes) {
  *static_cast<size_t*>(bytes) += size * count;
  return size * count;
}

// What one request needs; the target fills it for the next push of a node.
struct Request {
  std::string url;
  std::string body;
  curl_slist* headers = nullptr;  // owned by the target
  bool put = false;
};

class Target {
 public:
  virtual ~Target() = default;
  virtual void Next(int node, Request& request) = 0;
};

struct LoadResult {
  uint64_t ok = 0;
  uint64_t failed = 0;
  std::map<long, uint64_t> failures;  // HTTP status (negative: minus the CURLcode of a transport error) -> count
  double seconds = 0;
  std::vector<double> latencies_ms;
};

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  const size_t k = std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(k), values.end());
  return values[k];
}

// Pushes with `connections` keep-alive connections, nodes in round-robin
// order starting at node 0: `count` pushes when count > 0, else for `seconds`.
// `rate` 0: each connection sends its next push as soon as the last one is
// acknowledged (closed loop: the latency then follows from the throughput).
// `rate` > 0: pushes are due every 1/rate s (open loop) and a push's latency
// counts from when it was due, so that a stalled server is not excused.
LoadResult RunLoad(Target& target, int nodes, int connections, uint64_t count, double seconds, double rate = 0) {
  std::unique_ptr<CURLM, CurlMultiDeleter> multi(curl_multi_init());
  curl_multi_setopt(multi.get(), CURLMOPT_MAXCONNECTS, static_cast<long>(connections * 2));
  struct Slot {
    std::unique_ptr<CURL, CurlDeleter> easy;
    Request request;
    Clock::time_point started;
    size_t received = 0;
  };
  std::vector<Slot> slots(static_cast<size_t>(connections));
  std::vector<Slot*> idle;
  LoadResult result;
  uint64_t issued = 0;
  int next_node = 0;
  const Clock::time_point begin = Clock::now();
  const Clock::time_point deadline = begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  const auto due = [&] {
    return begin + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(static_cast<double>(issued) / rate));
  };
  const auto more = [&] { return count > 0 ? issued < count : (rate > 0 ? due() : Clock::now()) < deadline; };
  const auto issue = [&](Slot& slot) {
    slot.started = rate > 0 ? due() : Clock::now();
    target.Next(next_node, slot.request);
    next_node = (next_node + 1) % nodes;
    ++issued;
    CURL* easy = slot.easy.get();
    curl_easy_setopt(easy, CURLOPT_URL, slot.request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, slot.request.body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(slot.request.body.size()));
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, slot.request.put ? "PUT" : nullptr);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, slot.request.headers);
    slot.received = 0;
    curl_multi_add_handle(multi.get(), easy);
  };
  for (Slot& slot : slots) {
    slot.easy.reset(curl_easy_init());
    curl_easy_setopt(slot.easy.get(), CURLOPT_WRITEFUNCTION, &Discard);
    curl_easy_setopt(slot.easy.get(), CURLOPT_WRITEDATA, &slot.received);
    curl_easy_setopt(slot.easy.get(), CURLOPT_PRIVATE, &slot);
    curl_easy_setopt(slot.easy.get(), CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(slot.easy.get(), CURLOPT_NOSIGNAL, 1L);
    idle.push_back(&slot);
  }
  int running = 0;
  while (true) {
    // Start what is due on the idle connections.
    while (!idle.empty() && more() && (rate == 0 || due() <= Clock::now())) {
      issue(*idle.back());
      idle.pop_back();
    }
    curl_multi_perform(multi.get(), &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi.get(), &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      Slot* slot = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &slot);
      long status = 0;
      curl_easy_getinfo(message->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - slot->started).count();
      if (message->data.result == CURLE_OK && status >= 200 && status < 300) {
        ++result.ok;
        result.latencies_ms.push_back(ms);
      } else {
        ++result.failed;
        // A transport error counts under minus its CURLcode.
        ++result.failures[message->data.result == CURLE_OK ? status : -static_cast<long>(message->data.result)];
      }
      curl_multi_remove_handle(multi.get(), message->easy_handle);
      idle.push_back(slot);
    }
    const bool busy = idle.size() < slots.size();
    if (!busy && !more()) break;
    int wait_ms = 100;
    if (rate > 0 && more() && !idle.empty()) {
      wait_ms = static_cast<int>(std::clamp<int64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(due() - Clock::now()).count(), 0, 100));
    } else if (!busy) {
      wait_ms = 0;
    }
    curl_multi_poll(multi.get(), nullptr, 0, wait_ms, nullptr);
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  return result;
}

struct Fetched {
  long status = 0;
  double ms = 0;
  size_t bytes = 0;
};

std::string GetPage(const std::string& url) {
  std::unique_ptr<CURL, CurlDeleter> easy(curl_easy_init());
  std::string page;
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
  });
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &page);
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT, 60L);
  if (curl_easy_perform(easy.get()) != CURLE_OK) page.clear();
  return page;
}

// GET `url` three times on one connection; the median time.
Fetched MedianGet(const std::string& url, const fs::path& dump = {}) {
  std::unique_ptr<CURL, CurlDeleter> easy(curl_easy_init());
  std::vector<Fetched> runs;
  for (int i = 0; i < 3; ++i) {
    Fetched f;
    curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, &Discard);
    curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &f.bytes);
    curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT, 60L);
    const Clock::time_point start = Clock::now();
    if (curl_easy_perform(easy.get()) == CURLE_OK) curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &f.status);
    f.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    runs.push_back(f);
  }
  std::sort(runs.begin(), runs.end(), [](const Fetched& a, const Fetched& b) { return a.ms < b.ms; });
  if (!dump.empty()) {
    std::string page;
    curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t count, void* out) {
      static_cast<std::string*>(out)->append(data, size * count);
      return size * count;
    });
    curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &page);
    if (curl_easy_perform(easy.get()) == CURLE_OK) std::ofstream(dump, std::ios::binary) << page;
  }
  return runs[1];
}

bool WaitForHttp(const std::string& url, const Child& child, double seconds) {
  const Clock::time_point deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::unique_ptr<CURL, CurlDeleter> easy(curl_easy_init());
  size_t ignored = 0;
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, &Discard);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &ignored);
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT, 2L);
  while (Clock::now() < deadline && child.Alive()) {
    long status = 0;
    if (curl_easy_perform(easy.get()) == CURLE_OK) curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
    if (status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void PrintLoad(const char* what, const LoadResult& r, size_t samples_per_report) {
  const double rate = static_cast<double>(r.ok) / r.seconds;
  std::printf("  %-9s %8.0f pushes/s  %10.0f samples/s  p50 %6.2f ms  p99 %6.2f ms  (%llu ok, %llu failed in %.1f s)\n",
              what, rate, rate * static_cast<double>(samples_per_report), Percentile(r.latencies_ms, 0.50),
              Percentile(r.latencies_ms, 0.99), static_cast<unsigned long long>(r.ok),
              static_cast<unsigned long long>(r.failed), r.seconds);
  for (const auto& [status, n] : r.failures) {
    std::printf("    failures: %llu with %s\n", static_cast<unsigned long long>(n),
                status < 0 ? fmt::format("a transport error ({})", curl_easy_strerror(static_cast<CURLcode>(-status))).c_str()
                           : fmt::format("HTTP {}", status).c_str());
  }
}

// ---------------------------------------------------------------- the collector

struct FleetNode {
  v1::Report report;
  Slist headers;
};

class CollectorTarget : public Target {
 public:
  CollectorTarget(std::string url, std::vector<FleetNode>& fleet) : url_(std::move(url)), fleet_(fleet) {}
  void Next(int node, Request& request) override {
    v1::Report& report = fleet_[static_cast<size_t>(node)].report;
    report.set_seq(report.seq() + 1);
    report.set_timestamp_unix_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    // A batch of one report, as an agent without a backlog sends it.
    batch_.clear_reports();
    *batch_.add_reports() = report;
    request.url = url_;
    request.body = batch_.SerializeAsString();
    request.headers = fleet_[static_cast<size_t>(node)].headers.get();
  }

 private:
  std::string url_;
  std::vector<FleetNode>& fleet_;
  v1::Batch batch_;
};

// Starts the collector on 127.0.0.1:0 with the config in `dir`; the port from its log.
std::unique_ptr<Child> StartCollector(const Options& options, const fs::path& dir, uint16_t* port) {
  auto child = std::make_unique<Child>(
      std::vector<std::string>{options.collector.string(), "--config", (dir / "collector.toml").string()},
      dir / "collector.log");
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(60);
  constexpr std::string_view kListening = "listening on http://127.0.0.1:";
  while (Clock::now() < deadline && child->Alive()) {
    std::ifstream log(dir / "collector.log");
    std::string line;
    while (std::getline(log, line)) {
      if (const size_t at = line.find(kListening); at != std::string::npos) {
        *port = static_cast<uint16_t>(std::stoi(line.substr(at + kListening.size())));
        return child;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  child->Stop();
  Die(fmt::format("the collector did not start; see {}", (dir / "collector.log").string()));
}

void WriteCollectorConfig(const Options& options, const fs::path& dir, std::vector<FleetNode>& fleet) {
  std::ofstream toml(dir / "collector.toml");
  toml << "listen = \"127.0.0.1:0\"\n"
       << "database = \"" << (dir / "collector.db").string() << "\"\n"
       << "[ingest]\n"
       // The bench pushes each node far more often than once a minute.
       << "max_pushes_per_minute = 1000000\n"
       << "http_threads = " << options.http_threads << "\n"
       // Every simulated node connects from 127.0.0.1: one address. Twice the
       // connections: curl may open a new one before the server has seen the
       // old one close.
       << "max_connections_per_address = " << std::max(64, 2 * options.connections) << "\n";
  for (size_t i = 0; i < fleet.size(); ++i) {
    const std::string token = collector::NewToken();
    toml << "[[node]]\nid = \"" << fleet[i].report.node_id() << "\"\nsite = \"site-" << i % 100
         << "\"\ntoken_sha256 = \"" << collector::Sha256Hex(token) << "\"\n";
    curl_slist* headers = curl_slist_append(nullptr, ("Authorization: Bearer " + token).c_str());
    headers = curl_slist_append(headers, "Content-Type: application/x-protobuf");
    headers = curl_slist_append(headers, "Expect:");
    fleet[i].headers.reset(headers);
  }
}

fs::path FreshDir(const Options& options, const std::string& name) {
  const fs::path dir = options.workdir / fmt::format("vigie-ingest-bench-{}", getpid()) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

int64_t BaselineRssKiB(const Options& options) {
  const fs::path dir = FreshDir(options, "baseline");
  std::vector<FleetNode> none;
  WriteCollectorConfig(options, dir, none);
  uint16_t port = 0;
  std::unique_ptr<Child> collector = StartCollector(options, dir, &port);
  // One /metrics so that the page's code paths are in memory, as they will be.
  MedianGet(fmt::format("http://127.0.0.1:{}/metrics", port));
  return RssKiB(collector->pid());
}

void BenchCollector(const Options& options, int nodes, int64_t baseline_kib) {
  const fs::path dir = FreshDir(options, fmt::format("collector-{}", nodes));
  std::vector<FleetNode> fleet(static_cast<size_t>(nodes));
  for (int i = 0; i < nodes; ++i) fleet[static_cast<size_t>(i)].report = BuildReport(options.fixture, i);
  const size_t samples = Samples(fleet[0].report).size();
  WriteCollectorConfig(options, dir, fleet);
  uint16_t port = 0;
  std::unique_ptr<Child> collector = StartCollector(options, dir, &port);
  CollectorTarget target(fmt::format("http://127.0.0.1:{}/v1/push", port), fleet);

  std::printf("collector, %d nodes (%zu readings, %zu-byte batch per report; %d connections, http_threads %d, "
              "steady %s; load %s)\n",
              nodes, samples, [&] { v1::Batch b; *b.add_reports() = fleet[0].report; return b.ByteSizeLong(); }(),
              options.connections, options.http_threads,
              options.rate > 0 ? fmt::format("{:.0f} pushes/s offered", options.rate).c_str() : "closed loop",
              LoadAverage().c_str());
  const LoadResult first = RunLoad(target, nodes, options.connections, static_cast<uint64_t>(nodes), 0);
  PrintLoad("first", first, samples);
  const int64_t loaded_kib = RssKiB(collector->pid());
  const double cpu_before = CpuSeconds(collector->pid());
  const double own_cpu_before = CpuSeconds(getpid());
  const LoadResult steady = RunLoad(target, nodes, options.connections, 0, options.seconds, options.rate);
  const double cpu_seconds = CpuSeconds(collector->pid()) - cpu_before;
  const double own_cpu_seconds = CpuSeconds(getpid()) - own_cpu_before;
  PrintLoad("steady", steady, samples);
  const int64_t after_kib = RssKiB(collector->pid());
  // Timing inside: the group committer's own counters, over both phases.
  const std::string counters = GetPage(fmt::format("http://127.0.0.1:{}/metrics", port));
  const double commits = CounterOnPage(counters, "vigie_collector_commits_total");
  const double carried = CounterOnPage(counters, "vigie_collector_committed_pushes_total");
  const double commit_seconds = CounterOnPage(counters, "vigie_collector_commit_seconds_total");
  std::printf("  inside    %.0f commits, %.1f pushes per commit, %.2f ms per commit (mean); collector CPU %.0f us "
              "per push in the steady phase (%.2f cores), the bench's %.0f us\n",
              commits, carried / commits, 1000 * commit_seconds / commits,
              1e6 * cpu_seconds / static_cast<double>(steady.ok), cpu_seconds / steady.seconds,
              1e6 * own_cpu_seconds / static_cast<double>(steady.ok));
  std::printf("  RSS       %.1f MiB after one push per node (baseline %.1f MiB with 0 nodes): %.1f KiB per node; "
              "%.1f MiB after the steady phase\n",
              static_cast<double>(loaded_kib) / 1024, static_cast<double>(baseline_kib) / 1024,
              static_cast<double>(loaded_kib - baseline_kib) / nodes, static_cast<double>(after_kib) / 1024);
  const Fetched page = MedianGet(fmt::format("http://127.0.0.1:{}/metrics", port),
                                 options.dump_dir.empty() ? fs::path() : options.dump_dir / fmt::format("collector-{}.txt", nodes));
  std::printf("  /metrics  %.1f ms (median of 3), %.2f MiB, HTTP %ld; RSS %.1f MiB after it\n", page.ms,
              static_cast<double>(page.bytes) / (1 << 20), page.status,
              static_cast<double>(RssKiB(collector->pid())) / 1024);
  std::fflush(stdout);
}

double ThreadCpuMs() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

// Timing inside, without HTTP nor the other processes of a shared machine:
// RenderMetrics in this process, on this thread's CPU clock, from the
// NodeSeries the fleet state keeps (built here as each push builds one).
void BenchRender(const Options& options, int nodes) {
  collector::CollectorConfig config;
  std::vector<collector::NodeMetrics> state;
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<v1::Report> built;
  for (int i = 0; i < nodes; ++i) {
    built.push_back(BuildReport(options.fixture, i));
    built.back().set_timestamp_unix_ms(now_ms);
    config.nodes[built.back().node_id()] = collector::NodeEntry{built.back().node_id(), fmt::format("site-{}", i % 100), ""};
  }
  std::vector<double> build_ms;
  for (int run = 0; run < 3; ++run) {
    state.clear();
    const double start_ms = ThreadCpuMs();
    for (const v1::Report& report : built) {
      state.push_back({report.node_id(), now_ms, {}, std::make_shared<const collector::NodeSeries>(report)});
    }
    build_ms.push_back(ThreadCpuMs() - start_ms);
  }
  std::sort(build_ms.begin(), build_ms.end());
  size_t series_bytes = 0;
  for (const collector::NodeMetrics& node : state) series_bytes += node.series->HeapBytes();
  built.clear();
  std::printf("NodeSeries: %.1f us of CPU per node to build, as each push does (median of 3), %.1f KiB of heap "
              "per node\n",
              build_ms[1] * 1e3 / nodes, static_cast<double>(series_bytes) / 1024 / nodes);
  const collector::IngestCounters counters;
  // Whole: one string for the page. Streamed: 256 KiB pieces handed on and
  // dropped, as /metrics renders (without the socket).
  const auto median_ms = [&](const std::function<size_t()>& render) {
    std::vector<double> cpu_ms;
    size_t bytes = 0;
    for (int run = 0; run < 3; ++run) {
      const double start_ms = ThreadCpuMs();
      bytes = render();
      cpu_ms.push_back(ThreadCpuMs() - start_ms);
    }
    std::sort(cpu_ms.begin(), cpu_ms.end());
    std::printf("RenderMetrics, %d nodes: %.1f ms of CPU (median of 3), %.2f MiB, %.1f ns per byte", nodes, cpu_ms[1],
                static_cast<double>(bytes) / (1 << 20), cpu_ms[1] * 1e6 / static_cast<double>(bytes));
  };
  median_ms([&] { return collector::RenderMetrics(config, state, counters, {}, now_ms).size(); });
  std::printf(", whole page\n");
  median_ms([&] {
    size_t bytes = 0;
    collector::Exposition page([&](std::string& piece) {
      bytes += piece.size();
      return true;
    });
    collector::RenderMetrics(config, state, counters, {}, now_ms, page);
    return bytes + page.Take().size();
  });
  std::printf(", streamed\n");
  std::fflush(stdout);
}

// ---------------------------------------------------------------- the reference

class PushgatewayTarget : public Target {
 public:
  PushgatewayTarget(uint16_t port, const std::vector<std::string>& bodies) : port_(port), bodies_(bodies) {
    headers_.reset(curl_slist_append(curl_slist_append(nullptr, "Content-Type: text/plain; version=0.0.4"), "Expect:"));
  }
  void Next(int node, Request& request) override {
    request.url = fmt::format("http://127.0.0.1:{}/metrics/job/vigie/node/bench-{:05d}", port_, node);
    request.body = bodies_[static_cast<size_t>(node)];
    request.headers = headers_.get();
    request.put = true;  // replaces the node's group, as a report replaces the last one
  }

 private:
  uint16_t port_;
  const std::vector<std::string>& bodies_;
  Slist headers_;
};

void BenchPushgateway(const Options& options, int nodes) {
  const fs::path dir = FreshDir(options, fmt::format("pushgateway-{}", nodes));
  const uint16_t port = FreeLoopbackPort();
  std::vector<std::string> argv = {options.pushgateway.string(), fmt::format("--web.listen-address=127.0.0.1:{}", port),
                                   "--persistence.file="};
  if (!options.consistency_check) argv.push_back("--push.disable-consistency-check");
  Child gateway(argv, dir / "pushgateway.log");
  if (!WaitForHttp(fmt::format("http://127.0.0.1:{}/-/ready", port), gateway, 30)) {
    gateway.Stop();
    Die(fmt::format("the pushgateway did not start; see {}", (dir / "pushgateway.log").string()));
  }
  std::vector<std::string> bodies;
  for (int i = 0; i < nodes; ++i) bodies.push_back(TextBody(Samples(BuildReport(options.fixture, i))));
  const size_t samples = Samples(BuildReport(options.fixture, 0)).size();
  PushgatewayTarget target(port, bodies);
  std::printf("pushgateway, %d groups (%zu samples, %zu-byte text body; consistency check %s; load %s)\n", nodes,
              samples, bodies[0].size(), options.consistency_check ? "on" : "off", LoadAverage().c_str());
  const LoadResult first = RunLoad(target, nodes, options.connections, static_cast<uint64_t>(nodes), 0);
  PrintLoad("first", first, samples);
  const int64_t loaded_kib = RssKiB(gateway.pid());
  const double cpu_before = CpuSeconds(gateway.pid());
  const LoadResult steady = RunLoad(target, nodes, options.connections, 0, options.seconds);
  const double cpu_seconds = CpuSeconds(gateway.pid()) - cpu_before;
  PrintLoad("steady", steady, samples);
  std::printf("  inside    pushgateway CPU %.0f us per push in the steady phase (%.2f cores)\n",
              1e6 * cpu_seconds / static_cast<double>(std::max<uint64_t>(steady.ok, 1)), cpu_seconds / steady.seconds);
  std::printf("  RSS       %.1f MiB after one push per group; %.1f MiB after the steady phase\n",
              static_cast<double>(loaded_kib) / 1024, static_cast<double>(RssKiB(gateway.pid())) / 1024);
  const Fetched page = MedianGet(fmt::format("http://127.0.0.1:{}/metrics", port),
                                 options.dump_dir.empty() ? fs::path() : options.dump_dir / fmt::format("pushgateway-{}.txt", nodes));
  std::printf("  /metrics  %.1f ms (median of 3), %.2f MiB, HTTP %ld\n", page.ms,
              static_cast<double>(page.bytes) / (1 << 20), page.status);
  std::fflush(stdout);
}

constexpr const char* kUsage = R"(Usage: vigie-ingest-bench [OPTIONS]

Starts build/collector/vigie-collector on 127.0.0.1:0 and pushes to it from N
simulated nodes, then does the same against prometheus-pushgateway (Debian's
package; skipped when it is not installed). Loopback only; each phase is
bounded by --seconds.

Options:
  --collector PATH     vigie-collector binary (default: this build's)
  --pushgateway PATH   reference (default /usr/bin/prometheus-pushgateway; "" to skip)
  --nodes N[,N...]     fleet sizes (default 1000,10000)
  --seconds S          length of each steady phase (default 10)
  --connections C      keep-alive connections (default 32)
  --rate R             collector's steady phase: R pushes/s offered at fixed times,
                       latency counted from when each was due (default 0: each
                       connection pushes again as soon as it is acknowledged)
  --http-threads T     the collector's [ingest] http_threads (default 4, its default)
  --consistency-check  leave the pushgateway's consistency check on
  --render-only        time RenderMetrics in this process (CPU clock) and exit
  --dump-metrics DIR   save each /metrics page there (collector-N.txt, pushgateway-N.txt)
  --workdir DIR        where the databases go; on disk, not tmpfs (default /var/tmp)
)";

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(fmt::format("{} needs a value", arg));
      return argv[++i];
    };
    if (arg == "--collector") {
      options.collector = value();
    } else if (arg == "--pushgateway") {
      options.pushgateway = value();
    } else if (arg == "--nodes") {
      options.nodes.clear();
      std::stringstream list(value());
      for (std::string n; std::getline(list, n, ',');) options.nodes.push_back(std::stoi(n));
    } else if (arg == "--seconds") {
      options.seconds = std::stod(value());
    } else if (arg == "--connections") {
      options.connections = std::stoi(value());
    } else if (arg == "--http-threads") {
      options.http_threads = std::stoi(value());
    } else if (arg == "--rate") {
      options.rate = std::stod(value());
    } else if (arg == "--consistency-check") {
      options.consistency_check = true;
    } else if (arg == "--render-only") {
      options.render_only = true;
    } else if (arg == "--dump-metrics") {
      options.dump_dir = value();
    } else if (arg == "--workdir") {
      options.workdir = value();
    } else if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      Die(fmt::format("unknown option '{}'; see --help", arg));
    }
  }
  if (options.seconds <= 0 || options.seconds > 600) Die("--seconds must be in (0, 600]");
  if (options.connections < 1 || options.connections > 1024) Die("--connections must be in [1, 1024]");
  for (int n : options.nodes) {
    if (n < 1 || n > 100'000) Die("--nodes: each size must be in [1, 100000]");
  }
  return options;
}

}  // namespace
}  // namespace vigie::bench

int main(int argc, char** argv) {
  using namespace vigie::bench;
  const Options options = ParseOptions(argc, argv);
  if (!fs::exists(options.collector)) Die(fmt::format("no collector binary at {}; build it first", options.collector.string()));
  if (options.render_only) {
    for (int nodes : options.nodes) BenchRender(options, nodes);
    return 0;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::printf("vigie-ingest-bench: %u cores, load average %s\n", std::thread::hardware_concurrency(),
              LoadAverage().c_str());
  const int64_t baseline_kib = BaselineRssKiB(options);
  for (int nodes : options.nodes) BenchCollector(options, nodes, baseline_kib);
  if (options.pushgateway.empty()) {
    std::printf("pushgateway: skipped (--pushgateway \"\")\n");
  } else if (access(options.pushgateway.c_str(), X_OK) != 0) {
    std::printf("pushgateway: not installed, reference skipped (apt-get install prometheus-pushgateway)\n");
  } else {
    for (int nodes : options.nodes) BenchPushgateway(options, nodes);
  }
  fs::remove_all(options.workdir / fmt::format("vigie-ingest-bench-{}", getpid()));
  curl_global_cleanup();
  return 0;
}
