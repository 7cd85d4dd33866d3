// agent_footprint: what vigie-agent costs a small machine (issue 4, items 4
// and 6), for the agent fed a recorded host:
//   hwmon      tests/fixtures/hosts/desktop-nct6775, overlaid on /sys by
//              tests/hwmon/run_in_fake_sys.sh (libsensors reads the live /sys)
//   host_root  a scratch folder: sys/ from that fixture (RAPL, power_supply),
//              proc/ and statvfs.tsv from tests/fixtures/hosts/vm-2core
//   disks      replayed: tests/fixtures/smart/qemu_ahci/sda and qemu_nvme/nvme0n1
//
// Usage (as root, inside the overlay):
//   tests/hwmon/run_in_fake_sys.sh tests/fixtures/hosts/desktop-nct6775
//     build/bench/agent_footprint/agent_footprint [FLAGS]   (one line)
//
//   --cycles N            in-process cycles per run (default 1000)
//   --runs N              in-process runs; the median is printed (default 3)
//   --backlog-seconds S   how long the backlog agent fills its spool at
//                         period 100 ms (default 110: 1 000 reports and more)
//   --idle-seconds S      the idle window, counted once with
//                         /proc/PID/status and once under strace (default 60)
//   --idle-period-ms MS   the idle agent's period (default 10000)
//   --write-seconds S     the healthy agent's /proc/PID/io window (default 60)
//   --write-period-ms MS  the healthy agent's period (default 1000)
//   --skip-agent          only the in-process figures
//   --agent PATH          the vigie-agent to run (default: this build's)
//
// Six real vigie-agent processes run at the same time: two whose collector
// is a closed loopback port (backlog, RSS; one writes its spool every 30 s,
// one never), one idle against a healthy in-process collector (wake-ups),
// one against the same collector (disk writes), and over https (a second
// in-process collector with a throwaway openssl certificate, trusted through
// ca_file): one with a backlog (a closed port) and one healthy. The two
// backlog agents that wrote a spool file at SIGTERM are then restarted with
// it (RSS after reading it back). In-process, the bench builds the agent's own sources
// (MakeAgentSources) and Agent, and times Agent::Collect plus the
// serialization the agent does, on the agent's schedule (disks once per 30
// cycles). The floor replays the exact file list of one sensors cycle and one
// disk cycle, found by running one of each under strace in a child.
//
// Exit status 0, 1 when a step failed, 2 on a bad flag.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "agent/agent.h"
#include "agent/agent_config.h"
#include "agent/agent_sources.h"
#include "agent/smart/recorded_device_io.h"
#include "agent/spool.h"
#include "agent/spool_file.h"
#include "collector/collector.h"
#include "collector/token.h"
#include "common/file_tree.h"

namespace vigie::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kSource = VIGIE_SOURCE_DIR;
constexpr std::string_view kMarkerPrefix = "/vigie-footprint-marker/";
constexpr int64_t kSimulatedPeriodNs = 60'000'000'000;  // the default period: disks every 30 cycles

int64_t ClockNs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
int64_t CpuNs() { return ClockNs(CLOCK_PROCESS_CPUTIME_ID); }

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

// The recorded host and disks, in a scratch folder of symlinks.
struct Scratch {
  fs::path dir;
  fs::path host;
  fs::path disks;
};

Scratch MakeScratch() {
  char pattern[] = "/tmp/vigie-footprint.XXXXXX";
  Scratch s;
  s.dir = mkdtemp(pattern);
  s.host = s.dir / "host";
  s.disks = s.dir / "disks";
  fs::create_directories(s.host);
  fs::create_directories(s.disks);
  // The overlay's scratch copy has the kernel's file modes; fall back to the fixture.
  const char* fake_sys = std::getenv("VIGIE_FAKE_SYS");
  fs::create_directory_symlink(fake_sys ? fs::path(fake_sys) : kSource / "tests/fixtures/hosts/desktop-nct6775/sys",
                               s.host / "sys");
  fs::create_directory_symlink(kSource / "tests/fixtures/hosts/vm-2core/proc", s.host / "proc");
  fs::create_symlink(kSource / "tests/fixtures/hosts/vm-2core/statvfs.tsv", s.host / "statvfs.tsv");
  fs::create_directory_symlink(kSource / "tests/fixtures/smart/qemu_ahci/sda", s.disks / "sda");
  fs::create_directory_symlink(kSource / "tests/fixtures/smart/qemu_nvme/nvme0n1", s.disks / "nvme0n1");
  return s;
}

// The agent as main.cc builds it, without collectors, in this process.
struct InProcessAgent {
  AgentConfig config;
  std::unique_ptr<FileTree> host;  // the sources keep a reference
  std::unique_ptr<smart::DeviceIo> disk_io;
  std::unique_ptr<Agent> agent;
  int64_t monotonic_ns = kSimulatedPeriodNs;

  explicit InProcessAgent(const Scratch& scratch) {
    config.node_id = "footprint";
    config.host_root = scratch.host;
    host = std::make_unique<FileTree>(config.host_root);
    disk_io = smart::MakeRecordedDeviceIo(scratch.disks);
    agent = std::make_unique<Agent>(config, MakeAgentSources(config, *host, *disk_io, RecordedDiskLister(scratch.disks)),
                                    "00000000-0000-0000-0000-000000000000", 1);
  }

  // One cycle on the agent's schedule (time advances by one default period),
  // serialized as CollectAndQueue does.
  std::string Cycle(bool all_sources = false) {
    const CollectContext context{1'764'000'000'000 + monotonic_ns / 1'000'000, monotonic_ns};
    monotonic_ns += kSimulatedPeriodNs;
    return agent->Collect(context, all_sources).SerializeAsString();
  }
};

struct CycleFiles;
void ReadAll(const CycleFiles& files);

struct CycleCost {
  double scheduled_cpu_us = 0;   // mean over the schedule (disks 1 in 30)
  double scheduled_wall_us = 0;
  double sensors_cpu_us = 0;     // mean of the cycles without disks
  double disk_cpu_us = 0;        // mean of the cycles with disks
  double full_cpu_us = 0;        // every source, every cycle
  double full_wall_us = 0;
  size_t sensors_report_bytes = 0;
  size_t disk_report_bytes = 0;
  // Paired: each agent cycle followed at once by the floor of the same
  // cycle, so that both see the same load on a shared machine.
  double paired_floor_us = 0;        // mean over the schedule
  double paired_ratio = 0;           // agent / floor, schedule
  double paired_sensors_ratio = 0;
  double paired_disk_ratio = 0;
};

CycleCost MeasureAgent(const Scratch& scratch, int cycles, const CycleFiles& sensors_files,
                       const CycleFiles& disk_files) {
  InProcessAgent a(scratch);
  for (int i = 0; i < 30; ++i) a.Cycle();  // warm-up: libsensors, caches, one disk cycle
  CycleCost cost;
  int64_t sensors_ns = 0, disk_ns = 0, floor_sensors_ns = 0, floor_disk_ns = 0;
  int sensors_n = 0, disk_n = 0;
  const int64_t wall0 = ClockNs(CLOCK_MONOTONIC);
  for (int i = 0; i < cycles; ++i) {
    const int64_t t0 = CpuNs();
    const std::string report = a.Cycle();
    const int64_t dt = CpuNs() - t0;
    // A disk report is far larger than a sensors one (SMART attributes).
    v1::Report parsed;
    parsed.ParseFromString(report);
    const bool disk_cycle = parsed.disks_size() > 0;
    const int64_t f0 = CpuNs();
    ReadAll(disk_cycle ? disk_files : sensors_files);
    const int64_t floor_dt = CpuNs() - f0;
    if (disk_cycle) {
      disk_ns += dt;
      floor_disk_ns += floor_dt;
      ++disk_n;
      cost.disk_report_bytes = report.size();
    } else {
      sensors_ns += dt;
      floor_sensors_ns += floor_dt;
      ++sensors_n;
      cost.sensors_report_bytes = report.size();
    }
  }
  cost.paired_floor_us = static_cast<double>(floor_sensors_ns + floor_disk_ns) / 1e3 / cycles;
  cost.paired_ratio = static_cast<double>(sensors_ns + disk_ns) / static_cast<double>(floor_sensors_ns + floor_disk_ns);
  cost.paired_sensors_ratio = static_cast<double>(sensors_ns) / static_cast<double>(std::max<int64_t>(floor_sensors_ns, 1));
  cost.paired_disk_ratio = static_cast<double>(disk_ns) / static_cast<double>(std::max<int64_t>(floor_disk_ns, 1));
  cost.scheduled_wall_us = static_cast<double>(ClockNs(CLOCK_MONOTONIC) - wall0) / 1e3 / cycles;
  cost.scheduled_cpu_us = static_cast<double>(sensors_ns + disk_ns) / 1e3 / cycles;
  cost.sensors_cpu_us = sensors_n ? static_cast<double>(sensors_ns) / 1e3 / sensors_n : 0;
  cost.disk_cpu_us = disk_n ? static_cast<double>(disk_ns) / 1e3 / disk_n : 0;
  const int64_t full_wall0 = ClockNs(CLOCK_MONOTONIC);
  const int64_t full_cpu0 = CpuNs();
  for (int i = 0; i < cycles; ++i) a.Cycle(/*all_sources=*/true);
  cost.full_cpu_us = static_cast<double>(CpuNs() - full_cpu0) / 1e3 / cycles;
  cost.full_wall_us = static_cast<double>(ClockNs(CLOCK_MONOTONIC) - full_wall0) / 1e3 / cycles;
  return cost;
}

// CPU of each source's Collect alone, every cycle (disks included), in us.
std::vector<std::pair<std::string, double>> PerSourceCpuUs(const Scratch& scratch, int cycles) {
  AgentConfig config;
  config.host_root = scratch.host;
  const FileTree host(config.host_root);
  const std::unique_ptr<smart::DeviceIo> io = smart::MakeRecordedDeviceIo(scratch.disks);
  std::vector<ScheduledSource> sources = MakeAgentSources(config, host, *io, RecordedDiskLister(scratch.disks));
  std::vector<std::pair<std::string, double>> costs;
  int64_t t = kSimulatedPeriodNs;
  for (ScheduledSource& s : sources) {
    v1::Report report;
    for (int i = 0; i < 10; ++i) {
      report.Clear();
      s.source->Collect(CollectContext{0, t += kSimulatedPeriodNs}, report);
    }
    const int64_t t0 = CpuNs();
    for (int i = 0; i < cycles; ++i) {
      report.Clear();
      s.source->Collect(CollectContext{0, t += kSimulatedPeriodNs}, report);
    }
    costs.emplace_back(std::string(s.source->name()), static_cast<double>(CpuNs() - t0) / 1e3 / cycles);
  }
  return costs;
}

// ---- the floor -------------------------------------------------------------

void Marker(std::string_view name) {
  // An openat strace records and the parser looks for; it fails, harmlessly.
  const std::string path = std::string(kMarkerPrefix) + std::string(name);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) ::close(fd);
}

// Child mode under strace: a warm-up, then one sensors cycle and one disk
// cycle between markers.
int TraceCycles(const Scratch& scratch) {
  InProcessAgent a(scratch);
  for (int i = 0; i < 31; ++i) a.Cycle();  // the disk cycle fell due at 30; the next at 60
  Marker("sensors");
  a.Cycle();
  Marker("disks");
  a.Cycle(/*all_sources=*/true);
  Marker("end");
  return 0;
}

struct FileRead {
  std::string path;
  bool directory = false;
  bool fails = false;  // ENOENT and the like: the path walk still costs
};

struct CycleFiles {
  std::vector<FileRead> opens;     // successful opens, in order
  int failed_opens = 0;
  std::vector<std::string> statfs; // statfs(2) calls
  int stats = 0;                   // stat-family calls (not in the floor)
  int ioctls = 0;                  // real ioctls (none when disks are replayed)
  int reads = 0;
};

// Parses `strace -e trace=...` lines between two markers.
std::map<std::string, CycleFiles> ParseTrace(const fs::path& trace) {
  std::map<std::string, CycleFiles> cycles;
  std::ifstream in(trace);
  std::string line, current;
  while (std::getline(in, line)) {
    const size_t quote = line.find('"');
    const std::string_view call = std::string_view(line).substr(0, line.find('('));
    std::string path;
    if (quote != std::string::npos) {
      const size_t end = line.find('"', quote + 1);
      path = line.substr(quote + 1, end - quote - 1);
    }
    if (path.starts_with(kMarkerPrefix)) {
      current = path.substr(kMarkerPrefix.size());
      continue;
    }
    if (current.empty() || current == "end") continue;
    CycleFiles& files = cycles[current];
    const bool failed = line.find(") = -1") != std::string::npos;
    if (call == "openat" || call == "open") {
      if (failed) ++files.failed_opens;
      files.opens.push_back({path, line.find("O_DIRECTORY") != std::string::npos, failed});
    } else if (call == "statfs") {
      files.statfs.push_back(path);
    } else if (call == "ioctl") {
      ++files.ioctls;
    } else if (call == "read" || call == "pread64") {
      ++files.reads;
    } else if (call == "newfstatat" || call == "statx" || call == "stat" || call == "lstat") {
      ++files.stats;
    }
  }
  return cycles;
}

// The bare loop: open, read to the end, close; a directory is listed.
void ReadAll(const CycleFiles& files) {
  char buffer[4096];
  for (const FileRead& f : files.opens) {
    if (f.directory) {
      if (DIR* d = ::opendir(f.path.c_str())) {
        while (::readdir(d) != nullptr) {
        }
        ::closedir(d);
      }
      continue;
    }
    const int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    while (::read(fd, buffer, sizeof buffer) > 0) {
    }
    ::close(fd);
  }
  for (const std::string& path : files.statfs) {
    struct statfs st{};
    ::statfs(path.c_str(), &st);
  }
}

// The floor of the same schedule: 29 sensors cycles, then a disk cycle.
double FloorCpuUs(const CycleFiles& sensors, const CycleFiles& disks, int cycles) {
  for (int i = 0; i < 30; ++i) ReadAll(i == 0 ? disks : sensors);
  const int64_t t0 = CpuNs();
  for (int i = 0; i < cycles; ++i) ReadAll(i % 30 == 0 ? disks : sensors);
  return static_cast<double>(CpuNs() - t0) / 1e3 / cycles;
}

double FloorOneCpuUs(const CycleFiles& files, int cycles) {
  for (int i = 0; i < 10; ++i) ReadAll(files);
  const int64_t t0 = CpuNs();
  for (int i = 0; i < cycles; ++i) ReadAll(files);
  return static_cast<double>(CpuNs() - t0) / 1e3 / cycles;
}

// The lower bound the issue quotes: the regular files kept open, re-read with pread.
double KeptOpenCpuUs(const CycleFiles& files, int cycles) {
  std::vector<int> fds;
  for (const FileRead& f : files.opens) {
    if (f.directory || f.fails) continue;
    const int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) fds.push_back(fd);
  }
  char buffer[4096];
  const int64_t t0 = CpuNs();
  for (int i = 0; i < cycles; ++i) {
    for (int fd : fds) {
      off_t off = 0;
      ssize_t n;
      while ((n = ::pread(fd, buffer, sizeof buffer, off)) > 0) off += n;
    }
  }
  const double us = static_cast<double>(CpuNs() - t0) / 1e3 / cycles;
  for (int fd : fds) ::close(fd);
  return us;
}

// ---- real agents -------------------------------------------------------------

pid_t Spawn(const std::vector<std::string>& argv, const fs::path& stderr_path) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_RDWR);
    const int err_fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    dup2(err_fd >= 0 ? err_fd : null_fd, 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int StopAndWait(pid_t pid) {
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

// A field of /proc/PID/status or /proc/PID/io ("VmHWM:   2480 kB" -> 2480).
int64_t ProcField(pid_t pid, const std::string& file, const std::string& key) {
  std::ifstream in(fmt::format("/proc/{}/{}", pid, file));
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(key + ":")) return std::strtoll(line.c_str() + key.size() + 1, nullptr, 10);
  }
  return -1;
}

std::string ReadWhole(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Rss and Anonymous per mapping name, largest first (/proc/PID/smaps).
std::string TopMappings(pid_t pid, size_t top) {
  std::ifstream in(fmt::format("/proc/{}/smaps", pid));
  std::map<std::string, std::pair<int64_t, int64_t>> by_name;  // rss, anon (kB)
  std::string line, name;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    // A mapping's header ("addr-addr perms offset dev inode [name]"); its
    // fields' lines start with a "Key:" token.
    const std::string first = line.substr(0, line.find(' '));
    if (!first.ends_with(':')) {
      std::istringstream fields(line);
      std::string range, perms, offset, dev, inode;
      fields >> range >> perms >> offset >> dev >> inode;
      std::getline(fields, name);
      name.erase(0, std::min(name.size(), name.find_first_not_of(' ')));
      if (name.empty()) name = "[anon]";
      if (name.front() != '[') name = fs::path(name).filename().string();
    } else if (line.starts_with("Rss:")) {
      by_name[name].first += std::strtoll(line.c_str() + 4, nullptr, 10);
    } else if (line.starts_with("Anonymous:")) {
      by_name[name].second += std::strtoll(line.c_str() + 10, nullptr, 10);
    }
  }
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> rows(by_name.begin(), by_name.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  std::string out;
  for (size_t i = 0; i < rows.size() && i < top; ++i) {
    out += fmt::format("      {:<28} Rss {:5} kB  Anonymous {:5} kB\n", rows[i].first, rows[i].second.first,
                       rows[i].second.second);
  }
  return out;
}

// CPU time the process has run, in ns: the first field of /proc/PID/schedstat.
int64_t CpuNs(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/schedstat", pid));
  int64_t ns = 0;
  in >> ns;
  return ns;
}

uint16_t ClosedLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);  // never listened: connections are refused
  return ntohs(addr.sin_port);
}

fs::path WriteAgentConfig(const Scratch& s, const std::string& node, int64_t period_ms, const std::string& url,
                          const std::string& spool_write_after, const fs::path& ca_file) {
  const fs::path path = s.dir / (node + ".toml");
  std::ofstream out(path);
  out << "node_id = \"" << node << "\"\n"
      << "state_directory = \"" << (s.dir / ("state-" + node)).string() << "\"\n"
      << "host_root = \"" << s.host.string() << "\"\n"
      << "[collect]\nperiod = \"" << period_ms << "ms\"\nspool_max_reports = 1000\n"
      << "spool_write_after = \"" << spool_write_after << "\"\n"
      // the agent's ratio: disks once per 30 periods
      << "[disks]\nperiod = \"" << period_ms * 30 << "ms\"\n"
      << "[[collector]]\nurl = \"" << url << "\"\ntoken_file = \"" << (s.dir / "token").string()
      << "\"\ntimeout = \"5s\"\n";
  if (!ca_file.empty()) out << "ca_file = \"" << ca_file.string() << "\"\n";
  return path;
}

struct Flags {
  int cycles = 1000;
  int runs = 3;
  int backlog_seconds = 110;
  int idle_seconds = 60;
  int idle_period_ms = 10'000;
  int write_seconds = 60;
  int write_period_ms = 1000;
  bool skip_agent = false;
  std::string agent = std::string(VIGIE_BINARY_DIR) + "/agent/vigie-agent";
};

int RealAgents(const Flags& flags, const Scratch& s) {
  const std::string token = collector::NewToken();
  std::ofstream(s.dir / "token") << token;
  collector::CollectorConfig cc;
  cc.listen_port = 0;
  cc.database = s.dir / "collector.db";
  cc.max_pushes_per_minute = 1e6;
  for (const char* node : {"footprint-idle", "footprint-write"}) {
    cc.nodes[node] = collector::NodeEntry{node, "bench", collector::Sha256Hex(token)};
  }
  collector::Collector collector(cc);
  if (Result<void> started = collector.Start(); !started) {
    fmt::print(stderr, "collector: {}\n", started.error().message);
    return 1;
  }
  const std::string healthy = fmt::format("http://127.0.0.1:{}", collector.port());
  const std::string down = fmt::format("http://127.0.0.1:{}", ClosedLoopbackPort());

  // The same over https: a second collector serving a throwaway certificate
  // for 127.0.0.1, which the https agents trust through ca_file.
  const fs::path ca_file = s.dir / "collector.crt";
  const pid_t openssl = Spawn({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                               "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                               (s.dir / "collector.key").string(), "-out", ca_file.string()},
                              s.dir / "openssl.stderr");
  int openssl_status = 0;
  waitpid(openssl, &openssl_status, 0);
  if (!WIFEXITED(openssl_status) || WEXITSTATUS(openssl_status) != 0) {
    fmt::print(stderr, "openssl req failed; see {}\n", (s.dir / "openssl.stderr").string());
    return 1;
  }
  collector::CollectorConfig tls_config = cc;
  tls_config.database = s.dir / "collector-tls.db";
  tls_config.tls_cert_pem = ReadWhole(ca_file);
  tls_config.tls_key_pem = ReadWhole(s.dir / "collector.key");
  tls_config.nodes["footprint-https"] = collector::NodeEntry{"footprint-https", "bench", collector::Sha256Hex(token)};
  collector::Collector tls_collector(tls_config);
  if (Result<void> started = tls_collector.Start(); !started) {
    fmt::print(stderr, "https collector: {}\n", started.error().message);
    return 1;
  }
  const std::string healthy_tls = fmt::format("https://127.0.0.1:{}", tls_collector.port());
  const std::string down_tls = fmt::format("https://127.0.0.1:{}", ClosedLoopbackPort());

  // A backlog goes to disk every spool_write_after (default 15 min): "30s"
  // makes the peak include writing a full spool; "1h" keeps it in RAM only.
  const auto start = [&](const std::string& node, int64_t period_ms, const std::string& url,
                         const std::string& write_after = "30s", const fs::path& ca = {}) {
    return Spawn({flags.agent, "--config", WriteAgentConfig(s, node, period_ms, url, write_after, ca).string(),
                  "--replay-disks",
                  s.disks.string()},
                 s.dir / (node + ".stderr"));
  };
  const auto stored = [&](const std::string& node) {
    auto reports = collector.store().ListReports(node);
    return reports ? reports->size() : 0;
  };
  const auto wait_stored = [&](const std::string& node, size_t count) {
    for (int i = 0; i < 300 && stored(node) < count; ++i) std::this_thread::sleep_for(100ms);
    return stored(node) >= count;
  };

  fmt::print("real vigie-agent processes ({}), load average at start {}\n", flags.agent, LoadAverage());
  const pid_t backlog = start("footprint-backlog", 100, down);
  const pid_t backlog_ram = start("footprint-backlog-ram", 100, down, "1h");
  const pid_t idle = start("footprint-idle", flags.idle_period_ms, healthy);
  const pid_t writer = start("footprint-write", flags.write_period_ms, healthy);
  const pid_t backlog_tls = start("footprint-backlog-https", 100, down_tls, "1h", ca_file);
  const pid_t idle_tls = start("footprint-https", flags.idle_period_ms, healthy_tls, "30s", ca_file);
  const auto t0 = std::chrono::steady_clock::now();
  if (!wait_stored("footprint-idle", 1) || !wait_stored("footprint-write", 1)) {
    fmt::print(stderr, "the healthy agents delivered nothing; see {}\n", s.dir.string());
    return 1;
  }
  // Past start-up: the first report (and its push) is delivered.
  std::this_thread::sleep_for(1s);
  const auto write_start = std::chrono::steady_clock::now();
  const int64_t write_cpu0_ns = CpuNs(writer);
  const int64_t write0 = ProcField(writer, "io", "write_bytes");
  const int64_t wchar0 = ProcField(writer, "io", "wchar");
  const size_t write_reports0 = stored("footprint-write");

  // Idle, method 1: context switches from /proc/PID/status over the window.
  const int64_t vol0 = ProcField(idle, "status", "voluntary_ctxt_switches");
  const int64_t invol0 = ProcField(idle, "status", "nonvoluntary_ctxt_switches");
  const size_t idle_reports0 = stored("footprint-idle");
  std::this_thread::sleep_for(std::chrono::seconds(flags.idle_seconds));
  const int64_t vol = ProcField(idle, "status", "voluntary_ctxt_switches") - vol0;
  const int64_t invol = ProcField(idle, "status", "nonvoluntary_ctxt_switches") - invol0;
  const size_t idle_reports = stored("footprint-idle") - idle_reports0;
  const double minutes = flags.idle_seconds / 60.0;
  fmt::print("  idle (period {} ms, healthy collector, {} s, load {}):\n", flags.idle_period_ms, flags.idle_seconds,
             LoadAverage());
  fmt::print("    threads {}; reports delivered in the window {}\n", ProcField(idle, "status", "Threads"),
             idle_reports);
  fmt::print("    /proc/PID/status: {:.1f} voluntary + {:.1f} involuntary context switches per minute "
             "({:.2f} voluntary per period)\n",
             vol / minutes, invol / minutes, idle_reports ? static_cast<double>(vol) / idle_reports : 0.0);

  // Idle, method 2: strace -c over a window of the same length: which calls block.
  const fs::path strace_out = s.dir / "idle.strace";
  const pid_t tracer = Spawn({"/usr/bin/strace", "-qq", "-f", "-c", "-o", strace_out.string(), "-p",
                              std::to_string(idle)},
                             s.dir / "strace.stderr");
  std::this_thread::sleep_for(std::chrono::seconds(flags.idle_seconds));
  kill(tracer, SIGINT);
  waitpid(tracer, nullptr, 0);
  fmt::print("    strace -c -f -p PID over {} s:\n", flags.idle_seconds);
  std::istringstream summary(ReadWhole(strace_out));
  for (std::string line; std::getline(summary, line);) fmt::print("      {}\n", line);

  // Backlog: a full spool (1 000 reports) held while the collector is down.
  const auto backlog_end = t0 + std::chrono::seconds(flags.backlog_seconds);
  std::this_thread::sleep_until(backlog_end);
  fmt::print("  backlog (period 100 ms, collector a closed port, after {} s, load {}):\n", flags.backlog_seconds,
             LoadAverage());
  fmt::print("    VmHWM {} kB  VmRSS {} kB  RssAnon {} kB  RssFile {} kB  threads {}\n",
             ProcField(backlog, "status", "VmHWM"), ProcField(backlog, "status", "VmRSS"),
             ProcField(backlog, "status", "RssAnon"), ProcField(backlog, "status", "RssFile"),
             ProcField(backlog, "status", "Threads"));
  fmt::print("    smaps_rollup: Rss {} kB  Pss {} kB  Private_Dirty {} kB  Anonymous {} kB\n",
             ProcField(backlog, "smaps_rollup", "Rss"), ProcField(backlog, "smaps_rollup", "Pss"),
             ProcField(backlog, "smaps_rollup", "Private_Dirty"), ProcField(backlog, "smaps_rollup", "Anonymous"));
  fmt::print("    largest mappings:\n{}", TopMappings(backlog, 12));
  fmt::print("    the same, never written to disk (spool_write_after 1h): VmHWM {} kB  VmRSS {} kB  RssAnon {} kB  "
             "[heap] in largest mappings:\n{}",
             ProcField(backlog_ram, "status", "VmHWM"), ProcField(backlog_ram, "status", "VmRSS"),
             ProcField(backlog_ram, "status", "RssAnon"), TopMappings(backlog_ram, 2));
  fmt::print("    the same with an https:// collector (a closed port; TLS configured, CA file read): VmHWM {} kB  "
             "VmRSS {} kB  RssAnon {} kB\n{}",
             ProcField(backlog_tls, "status", "VmHWM"), ProcField(backlog_tls, "status", "VmRSS"),
             ProcField(backlog_tls, "status", "RssAnon"), TopMappings(backlog_tls, 6));
  fmt::print("  https (period {} ms, healthy https collector, {} reports stored): VmHWM {} kB  VmRSS {} kB  "
             "RssAnon {} kB\n{}",
             flags.idle_period_ms, [&] {
               auto reports = tls_collector.store().ListReports("footprint-https");
               return reports ? reports->size() : 0;
             }(),
             ProcField(idle_tls, "status", "VmHWM"), ProcField(idle_tls, "status", "VmRSS"),
             ProcField(idle_tls, "status", "RssAnon"), TopMappings(idle_tls, 6));
  StopAndWait(idle_tls);
  StopAndWait(backlog_tls);
  StopAndWait(backlog_ram);
  StopAndWait(backlog);
  const SpoolFileRead spool = ReadSpoolFile(s.dir / "state-footprint-backlog" / "spool");
  size_t spool_bytes = 0;
  for (const std::string& r : spool.contents.reports) spool_bytes += r.size();
  fmt::print("    spool at SIGTERM: {} reports, {} bytes serialized ({:.0f} B/report){}\n",
             spool.contents.reports.size(), spool_bytes,
             spool.contents.reports.empty() ? 0.0 : static_cast<double>(spool_bytes) / spool.contents.reports.size(),
             spool.contents.reports.size() >= 1000 ? "" : "  (NOT full: raise --backlog-seconds)");
  // The same backlog read back from the spool file at start.
  const pid_t restarted = start("footprint-backlog", 100, down);
  std::this_thread::sleep_for(3s);
  const pid_t restarted_tls = start("footprint-backlog-https", 100, down_tls, "1h", ca_file);
  std::this_thread::sleep_for(3s);
  fmt::print("    restarted with that spool file: VmHWM {} kB  RssAnon {} kB\n",
             ProcField(restarted, "status", "VmHWM"), ProcField(restarted, "status", "RssAnon"));
  fmt::print("    the https agent restarted with its own: VmHWM {} kB  RssAnon {} kB\n",
             ProcField(restarted_tls, "status", "VmHWM"), ProcField(restarted_tls, "status", "RssAnon"));
  StopAndWait(restarted_tls);
  StopAndWait(restarted);

  // Disk writes while the collector answers.
  std::this_thread::sleep_until(write_start + std::chrono::seconds(flags.write_seconds));
  const int64_t write_cpu_ns = CpuNs(writer) - write_cpu0_ns;
  const int64_t written = ProcField(writer, "io", "write_bytes") - write0;
  const int64_t wchar = ProcField(writer, "io", "wchar") - wchar0;
  const size_t write_reports = stored("footprint-write") - write_reports0;
  const double write_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count();
  fmt::print("  healthy (period {} ms, {:.0f} s, load {}): /proc/PID/io write_bytes +{} (wchar +{}), "
             "{} reports delivered\n",
             flags.write_period_ms, write_seconds, LoadAverage(), written, wchar, write_reports);
  if (write_reports > 0) {
    fmt::print("    its CPU per period (collect, serialize, spool, push, answer), /proc/PID/schedstat: {:.0f} us\n",
               static_cast<double>(write_cpu_ns) / 1000.0 / static_cast<double>(write_reports));
  }
  StopAndWait(idle);
  StopAndWait(writer);
  return 0;
}

int Main(int argc, char** argv) {
  Flags flags;
  bool trace = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto number = [&](int* out) {
      if (i + 1 >= argc) return false;
      *out = std::atoi(argv[++i]);
      return *out > 0;
    };
    bool ok = true;
    if (arg == "--cycles") ok = number(&flags.cycles);
    else if (arg == "--runs") ok = number(&flags.runs);
    else if (arg == "--backlog-seconds") ok = number(&flags.backlog_seconds);
    else if (arg == "--idle-seconds") ok = number(&flags.idle_seconds);
    else if (arg == "--idle-period-ms") ok = number(&flags.idle_period_ms);
    else if (arg == "--write-seconds") ok = number(&flags.write_seconds);
    else if (arg == "--write-period-ms") ok = number(&flags.write_period_ms);
    else if (arg == "--skip-agent") flags.skip_agent = true;
    else if (arg == "--agent" && i + 1 < argc) flags.agent = argv[++i];
    else if (arg == "--trace-cycles") trace = true;
    else ok = false;
    if (!ok) {
      fmt::print(stderr, "{}: bad flag '{}' (see the header of agent_footprint_main.cc)\n", argv[0], arg);
      return 2;
    }
  }
  const Scratch scratch = MakeScratch();
  int status = 0;
  if (trace) {
    status = TraceCycles(scratch);
    fs::remove_all(scratch.dir);
    return status;
  }
  if (std::getenv("VIGIE_FAKE_SYS") == nullptr) {
    fmt::print("WARNING: not inside tests/hwmon/run_in_fake_sys.sh: libsensors reads this machine's /sys\n");
  }

  // The exact files of one sensors cycle and one disk cycle.
  const fs::path trace_file = scratch.dir / "cycle.strace";
  std::string self(4096, '\0');
  self.resize(static_cast<size_t>(std::max<ssize_t>(0, readlink("/proc/self/exe", self.data(), self.size()))));
  const pid_t tracer = Spawn({"/usr/bin/strace", "-qq", "-e",
                              "trace=openat,open,statfs,ioctl,read,pread64,newfstatat,statx", "-o",
                              trace_file.string(), self, "--trace-cycles"},
                             scratch.dir / "trace.stderr");
  waitpid(tracer, nullptr, 0);
  std::map<std::string, CycleFiles> cycles = ParseTrace(trace_file);
  const CycleFiles& sensors = cycles["sensors"];
  const CycleFiles& disks = cycles["disks"];
  if (sensors.opens.empty() || disks.opens.empty()) {
    fmt::print(stderr, "no file list from strace; see {}\n", scratch.dir.string());
    return 1;
  }

  std::vector<double> sched, sched_wall, sens, disk, full, full_wall, floor_sched, floor_sens, floor_disk, kept;
  std::vector<double> paired_floor, paired_ratio, paired_sensors_ratio, paired_disk_ratio;
  CycleCost last;
  for (int run = 0; run < flags.runs; ++run) {
    last = MeasureAgent(scratch, flags.cycles, sensors, disks);
    paired_floor.push_back(last.paired_floor_us);
    paired_ratio.push_back(last.paired_ratio);
    paired_sensors_ratio.push_back(last.paired_sensors_ratio);
    paired_disk_ratio.push_back(last.paired_disk_ratio);
    sched.push_back(last.scheduled_cpu_us);
    sched_wall.push_back(last.scheduled_wall_us);
    sens.push_back(last.sensors_cpu_us);
    disk.push_back(last.disk_cpu_us);
    full.push_back(last.full_cpu_us);
    full_wall.push_back(last.full_wall_us);
    floor_sched.push_back(FloorCpuUs(sensors, disks, flags.cycles));
    floor_sens.push_back(FloorOneCpuUs(sensors, flags.cycles));
    floor_disk.push_back(FloorOneCpuUs(disks, flags.cycles));
    kept.push_back(KeptOpenCpuUs(sensors, flags.cycles));
  }

  std::map<std::string, std::vector<double>> per_source;
  for (int run = 0; run < flags.runs; ++run) {
    for (const auto& [name, us] : PerSourceCpuUs(scratch, flags.cycles)) per_source[name].push_back(us);
  }

  // Wire bytes: the reports as the spool frames them into a Batch.
  InProcessAgent a(scratch);
  std::string disk_report = a.Cycle();  // the first cycle has every source due
  std::vector<std::string> sensors_reports;
  for (int i = 0; i < 29; ++i) sensors_reports.push_back(a.Cycle());
  ReportSpool spool({"http://bench"}, 1000);
  size_t count = 0;
  spool.Append(sensors_reports.back(), 0);
  const size_t one_sensors_batch = spool.NextBatch(0, 1, &count).size();
  spool.Acknowledge(0, 1);
  spool.Append(disk_report, 0);
  const size_t one_disk_batch = spool.NextBatch(0, 1, &count).size();
  spool.Acknowledge(0, 1);
  spool.Append(disk_report, 0);
  for (const std::string& r : sensors_reports) spool.Append(r, 0);
  const size_t batch30 = spool.NextBatch(0, 100, &count).size();
  // What 1 000 reports of the agent's schedule take in the spool's RAM.
  ReportSpool backlog({"http://bench"}, 1000);
  size_t backlog_raw = 0;
  for (int i = 0; i < 1000; ++i) {
    std::string report = a.Cycle();
    backlog_raw += report.size();
    backlog.Append(std::move(report), 0);
  }

  fmt::print("agent_footprint: recorded host desktop-nct6775 (hwmon overlay, RAPL, power_supply) + vm-2core "
             "(/proc, statvfs) + replayed disks qemu_ahci/sda, qemu_nvme/nvme0n1\n");
  fmt::print("in-process, {} cycles per run, median of {} runs, load average now {}\n", flags.cycles, flags.runs,
             LoadAverage());
  fmt::print("  CPU per cycle, agent's schedule (disks 1 in 30): {:8.1f} us  (wall {:.1f} us)\n", Median(sched),
             Median(sched_wall));
  fmt::print("    sensors-only cycle:                          {:8.1f} us\n", Median(sens));
  fmt::print("    disk cycle:                                  {:8.1f} us\n", Median(disk));
  fmt::print("  CPU per full cycle (all sources):              {:8.1f} us  (wall {:.1f} us)\n", Median(full),
             Median(full_wall));
  fmt::print("  CPU per Collect of each source alone (every cycle):\n");
  for (const auto& [name, values] : per_source) fmt::print("    {:<13} {:8.1f} us\n", name, Median(values));
  fmt::print("  floor (open, read to EOF, close the same files, failed opens included; statfs):\n");
  fmt::print("    one sensors cycle: {} opens ({} directories, {} failing), {} statfs, {} reads; agent also "
             "{} stat calls, {} ioctls\n",
             sensors.opens.size(),
             std::count_if(sensors.opens.begin(), sensors.opens.end(), [](const FileRead& f) { return f.directory; }),
             sensors.failed_opens, sensors.statfs.size(), sensors.reads, sensors.stats, sensors.ioctls);
  fmt::print("    one disk cycle:    {} opens ({} directories, {} failing), {} statfs, {} reads; agent also "
             "{} stat calls, {} ioctls\n",
             disks.opens.size(),
             std::count_if(disks.opens.begin(), disks.opens.end(), [](const FileRead& f) { return f.directory; }),
             disks.failed_opens, disks.statfs.size(), disks.reads, disks.stats, disks.ioctls);
  fmt::print("    paired (each agent cycle, then its floor), agent's schedule: floor {:.1f} us, agent/floor {:.2f}x "
             "(target <= 1.5x); sensors cycles {:.2f}x, disk cycles {:.2f}x\n",
             Median(paired_floor), Median(paired_ratio), Median(paired_sensors_ratio), Median(paired_disk_ratio));
  fmt::print("    unpaired (the floor's own loop), schedule:   {:8.1f} us  -> agent/floor {:.2f}x\n",
             Median(floor_sched), Median(sched) / Median(floor_sched));
  fmt::print("    floor, sensors-only cycle:                   {:8.1f} us  -> agent/floor {:.2f}x\n",
             Median(floor_sens), Median(sens) / Median(floor_sens));
  fmt::print("    floor, disk cycle:                           {:8.1f} us  -> agent/floor {:.2f}x\n",
             Median(floor_disk), Median(disk) / Median(floor_disk));
  fmt::print("    sensors files kept open, pread:              {:8.1f} us\n", Median(kept));
  fmt::print("  bytes on the wire (protobuf, before HTTP):\n");
  fmt::print("    sensors-only Report {} B, in a Batch of one {} B\n", sensors_reports.back().size(),
             one_sensors_batch);
  fmt::print("    disk-cycle Report   {} B, in a Batch of one {} B\n", disk_report.size(), one_disk_batch);
  fmt::print("    30 periods (1 disk + 29 sensors reports) in one Batch: {} B, {:.0f} B/report\n", batch30,
             batch30 / 30.0);
  fmt::print("  spool holding 1 000 reports of that schedule: {} B serialized, {} B stored ({:.1f}%)\n",
             backlog_raw, backlog.stored_bytes(), 100.0 * static_cast<double>(backlog.stored_bytes()) / backlog_raw);
  std::fflush(stdout);

  if (!flags.skip_agent) status = RealAgents(flags, scratch);
  fs::remove_all(scratch.dir);
  return status;
}

}  // namespace
}  // namespace vigie::agent

int main(int argc, char** argv) { return vigie::agent::Main(argc, argv); }
