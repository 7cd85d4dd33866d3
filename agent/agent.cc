#include "agent/agent.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "common/config.h"
#include "common/file_tree.h"
#include "common/log.h"
#include "common/systemd_notify.h"

namespace vigie::agent {
namespace {

int64_t ClockNs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Written on SIGTERM, read and removed at start: its presence proves the last
// run ended cleanly. It holds the boot id of that run.
constexpr const char* kCleanShutdownMarker = "clean-shutdown";
// The boot id of the last run, rewritten at start when the boot id changed.
constexpr const char* kBootIdFile = "boot-id";
constexpr const char* kSpoolFile = "spool";

std::vector<std::string> UrlsOf(const AgentConfig& config) {
  std::vector<std::string> urls;
  for (const CollectorTarget& target : config.collectors) urls.push_back(target.url);
  return urls;
}

itimerspec Every(int64_t interval_ns) {
  itimerspec spec{};
  spec.it_interval.tv_sec = interval_ns / 1'000'000'000;
  spec.it_interval.tv_nsec = interval_ns % 1'000'000'000;
  spec.it_value = spec.it_interval;
  return spec;
}

// Arms a one-shot timer at absolute monotonic time `at_ns`, or disarms it for 0.
void ArmAt(int timer_fd, int64_t at_ns) {
  itimerspec spec{};
  if (at_ns > 0) {
    spec.it_value.tv_sec = at_ns / 1'000'000'000;
    spec.it_value.tv_nsec = at_ns % 1'000'000'000;
  }
  timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &spec, nullptr);
}

std::string FirstLine(const std::filesystem::path& path) {
  constexpr size_t kMaxStateFileBytes = 4096;
  const Result<std::string> text = ReadFile(path, kMaxStateFileBytes);
  if (!text) return {};
  return text->substr(0, text->find('\n'));
}

bool WriteLine(const std::filesystem::path& path, const std::string& line) {
  std::error_code ignored;
  std::filesystem::create_directories(path.parent_path(), ignored);
  const std::string text = line + '\n';
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool written = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (fd >= 0) written = ::close(fd) == 0 && written;
  if (written) return true;
  LogError("cannot write {}: {}", path.string(), std::strerror(errno));
  return false;
}

// The node_id of a serialized v1::Report, read from the wire rather than
// parsed: parsing would page in the whole parser at every start (RSS). The
// serializer writes fields in number order, so node_id (field 1, wire type
// 2: key 0x0A) comes first, then its varint length (protobuf encoding).
std::string_view WireNodeId(std::string_view report) {
  if (report.empty() || report[0] != 0x0A) return {};
  uint64_t length = 0;
  for (size_t at = 1, shift = 0; at < report.size() && shift < 64; ++at, shift += 7) {
    const auto byte = static_cast<uint8_t>(report[at]);
    length |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      return length <= report.size() - at - 1 ? report.substr(at + 1, length) : std::string_view();
    }
  }
  return {};
}

bool Expired(int timer_fd) {
  uint64_t expirations = 0;
  return read(timer_fd, &expirations, sizeof expirations) == sizeof expirations;
}

}  // namespace

v1::Event StartedEvent(const std::filesystem::path& state_directory, const std::string& boot_id,
                       int64_t wall_unix_ms) {
  v1::Event event;
  event.set_kind(v1::Event::AGENT_STARTED);
  event.set_timestamp_unix_ms(wall_unix_ms);
  event.set_message("vigie-agent " VIGIE_VERSION " started");
  const std::filesystem::path marker = state_directory / kCleanShutdownMarker;
  const std::filesystem::path boot_id_file = state_directory / kBootIdFile;
  const std::string last_boot_id = FirstLine(boot_id_file);
  if (std::filesystem::exists(marker)) {
    event.set_previous_shutdown_clean(true);
    event.set_previous_boot_id(ReportName(FirstLine(marker)));
  } else {
    event.set_previous_boot_id(ReportName(last_boot_id));
  }
  std::error_code ignored;
  std::filesystem::remove(marker, ignored);
  if (last_boot_id != boot_id) WriteLine(boot_id_file, boot_id);
  return event;
}

void WriteCleanShutdownMarker(const std::filesystem::path& state_directory, const std::string& boot_id) {
  WriteLine(state_directory / kCleanShutdownMarker, boot_id);
}

SpoolRestore RestoreSpoolFile(const std::filesystem::path& path, const std::string& node_id, ReportSpool& spool,
                              int64_t now_ns) {
  // Report by report into the spool: the file is never in RAM whole.
  std::vector<SpoolCollectorState> saved_collectors;
  std::vector<uint64_t> removed;  // positions in the file, increasing
  SpoolRestore restored;
  spool.StartRestore();
  const std::string warning = ReadSpoolFile(path, saved_collectors, [&](std::string bytes) {
    const size_t position = restored.read++;
    if (WireNodeId(bytes) != node_id) {
      removed.push_back(position);
      return;
    }
    spool.Append(std::move(bytes), now_ns);
  });
  // A collector's progress counts reports of the file: each one removed
  // before its cursor moves the cursor back by one.
  for (SpoolCollectorState& collector : saved_collectors) {
    collector.acknowledged -= static_cast<uint64_t>(
        std::lower_bound(removed.begin(), removed.end(), collector.acknowledged) - removed.begin());
  }
  spool.FinishRestore(saved_collectors);
  restored.dropped = removed.size();
  if (!warning.empty()) {
    LogWarning("spool file {}: {}; set aside as {}.damaged", path.string(), warning, path.string());
  }
  if (restored.dropped > 0) {
    LogWarning("dropped {} report(s) of {} that are not node {}'s: no collector would take them",
               restored.dropped, path.string(), node_id);
  }
  if (restored.read > restored.dropped) LogInfo("read {} unsent report(s) from {}", spool.size(), path.string());
  return restored;
}

int64_t WallUnixMs() { return ClockNs(CLOCK_REALTIME) / 1'000'000; }
int64_t MonotonicNs() { return ClockNs(CLOCK_MONOTONIC); }
int64_t BoottimeMs() { return ClockNs(CLOCK_BOOTTIME) / 1'000'000; }

Agent::Agent(AgentConfig config, std::vector<ScheduledSource> sources, std::string boot_id, uint64_t first_seq)
    : config_(std::move(config)),
      sources_(std::move(sources)),
      boot_id_(std::move(boot_id)),
      next_seq_(first_seq),
      spool_(UrlsOf(config_), config_.spool_max_reports) {
  ApplyCollectors();
}

void Agent::ApplyCollectors() {
  links_.clear();
  links_.reserve(config_.collectors.size());
  for (const CollectorTarget& target : config_.collectors) {
    // Seeded per node and boot, so that a fleet coming back together spreads out.
    const uint64_t seed = std::hash<std::string>{}(config_.node_id + boot_id_ + target.url);
    links_.emplace_back(target, Backoff(config_.retry_initial, config_.retry_max, seed), config_.batch_max_reports);
  }
}

v1::Report Agent::Collect(const CollectContext& context, bool all_sources) {
  v1::Report report;
  report.set_node_id(config_.node_id);
  report.set_boot_id(boot_id_);
  report.set_seq(next_seq_++);
  report.set_timestamp_unix_ms(context.wall_unix_ms);
  report.set_agent_version(VIGIE_VERSION);
  report.set_reports_dropped(spool_.dropped() + unsendable_dropped_);
  // Half a period of slack, so that timer jitter never pushes a source to
  // the cycle after the one it is due in.
  const int64_t slack_ns = static_cast<int64_t>(config_.period.count()) * 500'000;
  for (ScheduledSource& scheduled : sources_) {
    if (!all_sources && context.monotonic_ns + slack_ns < scheduled.next_due_ns) continue;
    scheduled.source->Collect(context, report);
    scheduled.next_due_ns = context.monotonic_ns + static_cast<int64_t>(scheduled.period.count()) * 1'000'000;
  }
  for (v1::Event& event : pending_events_) *report.add_events() = std::move(event);
  pending_events_.clear();
  bounds_.Apply(report);
  return report;
}

void Agent::CollectAndQueue(int64_t now_ns) {
  spool_.Append(Collect(CollectContext{WallUnixMs(), now_ns}).SerializeAsString(), now_ns);
}

void Agent::Deliver(int64_t now_ns, bool ignore_backoff) {
  for (size_t i = 0; i < links_.size(); ++i) {
    unsendable_dropped_ += links_[i].Deliver(spool_, i, now_ns, ignore_backoff);
  }
}

int64_t Agent::NextRetryNs() const {
  int64_t next = 0;
  for (size_t i = 0; i < links_.size(); ++i) {
    if (spool_.pending(i) == 0) continue;
    const int64_t at = std::max<int64_t>(links_[i].next_attempt_ns(), 1);
    if (next == 0 || at < next) next = at;
  }
  return next;
}

void Agent::Persist(int64_t now_ns) {
  last_persist_ns_ = now_ns;
  std::error_code error;
  std::filesystem::create_directories(config_.state_directory, error);
  const std::filesystem::path path = config_.state_directory / kSpoolFile;
  const Result<void> written = WriteSpoolFile(path, spool_.CollectorStates(), spool_.size(),
                                              [this](size_t i) { return spool_.ReportAt(i); });
  if (!written) {
    LogError("cannot save the spool ({} report(s)): {}", spool_.size(), written.error().message);
    return;
  }
  spool_file_exists_ = true;
  LogInfo("saved {} unsent report(s) to {}", spool_.size(), path.string());
}

void Agent::PersistIfOld(int64_t now_ns) {
  const std::optional<int64_t> oldest = spool_.oldest_unsent_ns();
  const int64_t threshold_ns = static_cast<int64_t>(config_.spool_write_after.count()) * 1'000'000;
  if (!oldest) {
    if (spool_file_exists_) {
      // Everything in it has been delivered: a restart must not send it again.
      std::error_code ignored;
      std::filesystem::remove(config_.state_directory / kSpoolFile, ignored);
      spool_file_exists_ = false;
    }
    return;
  }
  if (now_ns - *oldest >= threshold_ns && (last_persist_ns_ == 0 || now_ns - last_persist_ns_ >= threshold_ns)) {
    Persist(now_ns);
  }
}

void Agent::Start(int64_t wall_unix_ms, int64_t now_ns) {
  const SpoolRestore restored = RestoreSpoolFile(config_.state_directory / kSpoolFile, config_.node_id, spool_, now_ns);
  unsendable_dropped_ += restored.dropped;
  spool_file_exists_ = restored.read > 0;

  pending_events_.push_back(StartedEvent(config_.state_directory, boot_id_, wall_unix_ms));
}

void Agent::Stop(int64_t now_ns) {
  v1::Event event;
  event.set_kind(v1::Event::CLEAN_SHUTDOWN);
  event.set_timestamp_unix_ms(WallUnixMs());
  pending_events_.push_back(std::move(event));
  CollectAndQueue(now_ns);
  Deliver(now_ns, /*ignore_backoff=*/true);
  if (spool_.size() > 0) {
    Persist(now_ns);
  } else {
    PersistIfOld(now_ns);  // removes a file whose reports were all delivered
  }
  WriteCleanShutdownMarker(config_.state_directory, boot_id_);
}

void Agent::Reload() {
  AgentConfig fresh;
  try {
    fresh = LoadAgentConfig(config_.file);
  } catch (const ConfigError& error) {
    LogError("reload refused, keeping the running configuration: {}", error.what());
    return;
  }
  if (fresh.host_root != config_.host_root || fresh.node_id != config_.node_id) {
    LogWarning("node_id and host_root changes take effect at the next restart");
    fresh.host_root = config_.host_root;
    fresh.node_id = config_.node_id;
  }
  if (fresh.smart_period != config_.smart_period || fresh.disk_include != config_.disk_include ||
      fresh.disk_exclude != config_.disk_exclude || fresh.spin_up_skip != config_.spin_up_skip ||
      fresh.sensors_config != config_.sensors_config) {
    LogWarning("[disks] and [sensors] changes take effect at the next restart");
  }
  config_ = std::move(fresh);
  for (ScheduledSource& scheduled : sources_) scheduled.source->OnReload();
  spool_.Reconfigure(UrlsOf(config_), config_.spool_max_reports);
  ApplyCollectors();
  LogInfo("configuration reloaded: every {} ms, {} collector(s), {} report(s) kept", config_.period.count(),
          config_.collectors.size(), spool_.size());
}

int Agent::Run() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  const int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC);
  const int period_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  const int retry_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  const int watchdog_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  if (signal_fd < 0 || period_fd < 0 || retry_fd < 0 || watchdog_fd < 0) {
    LogError("cannot create the agent's signalfd or timerfds: {}", std::strerror(errno));
    return 1;
  }
  const uint64_t watchdog_usec = SystemdWatchdogUsec();
  const bool watchdog = watchdog_usec > 0;
  const auto arm_timers = [&] {
    const int64_t period_ns = static_cast<int64_t>(config_.period.count()) * 1'000'000;
    itimerspec spec = Every(period_ns);
    spec.it_value.tv_nsec = 1;  // first cycle at once
    spec.it_value.tv_sec = 0;
    timerfd_settime(period_fd, 0, &spec, nullptr);
    // Pings ride on the period tick unless the watchdog wants them more often.
    const int64_t ping_ns = static_cast<int64_t>(watchdog_usec) * 1000 / 2;
    const itimerspec watchdog_spec = watchdog && ping_ns < period_ns ? Every(ping_ns) : itimerspec{};
    timerfd_settime(watchdog_fd, 0, &watchdog_spec, nullptr);
  };
  arm_timers();

  Start(WallUnixMs(), MonotonicNs());
  SystemdNotify("READY=1");
  LogInfo("vigie-agent {} running as node {}, every {} ms, {} collector(s)", VIGIE_VERSION, config_.node_id,
          config_.period.count(), config_.collectors.size());

  pollfd fds[4] = {{period_fd, POLLIN, 0}, {retry_fd, POLLIN, 0}, {watchdog_fd, POLLIN, 0}, {signal_fd, POLLIN, 0}};
  while (true) {
    if (poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      LogError("poll: {}", std::strerror(errno));
      break;
    }
    if (fds[3].revents & POLLIN) {
      signalfd_siginfo info{};
      if (read(signal_fd, &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGHUP) {
          SystemdNotify("RELOADING=1");
          Reload();
          arm_timers();
          SystemdNotify("READY=1");
        } else {
          LogInfo("signal {}: stopping", static_cast<int>(info.ssi_signo));
          SystemdNotify("STOPPING=1");
          Stop(MonotonicNs());
          break;
        }
      }
    }
    bool work = false;
    if ((fds[0].revents & POLLIN) && Expired(period_fd)) {
      CollectAndQueue(MonotonicNs());
      work = true;
      if (watchdog) SystemdNotify("WATCHDOG=1");
    }
    if ((fds[1].revents & POLLIN) && Expired(retry_fd)) work = true;
    if ((fds[2].revents & POLLIN) && Expired(watchdog_fd)) SystemdNotify("WATCHDOG=1");
    if (work) {
      const int64_t now_ns = MonotonicNs();
      Deliver(now_ns, /*ignore_backoff=*/false);
      PersistIfOld(now_ns);
      ArmAt(retry_fd, NextRetryNs());
    }
  }
  close(watchdog_fd);
  close(retry_fd);
  close(period_fd);
  close(signal_fd);
  return 0;
}

}  // namespace vigie::agent
