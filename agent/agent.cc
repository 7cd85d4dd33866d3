#include "agent/agent.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>

#include "common/log.h"

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

}  // namespace

int64_t WallUnixMs() { return ClockNs(CLOCK_REALTIME) / 1'000'000; }
int64_t MonotonicNs() { return ClockNs(CLOCK_MONOTONIC); }
int64_t BoottimeMs() { return ClockNs(CLOCK_BOOTTIME) / 1'000'000; }

Agent::Agent(AgentConfig config, std::vector<std::unique_ptr<Source>> sources, std::string boot_id,
             uint64_t first_seq)
    : config_(std::move(config)),
      sources_(std::move(sources)),
      boot_id_(std::move(boot_id)),
      next_seq_(first_seq),
      spool_(config_.collectors.size(), config_.spool_max_reports) {
  pushers_.reserve(config_.collectors.size());
  for (const CollectorTarget& target : config_.collectors) pushers_.emplace_back(target);
}

v1::Report Agent::Collect(const CollectContext& context) {
  v1::Report report;
  report.set_node_id(config_.node_id);
  report.set_boot_id(boot_id_);
  report.set_seq(next_seq_++);
  report.set_timestamp_unix_ms(context.wall_unix_ms);
  report.set_agent_version(VIGIE_VERSION);
  for (const std::unique_ptr<Source>& source : sources_) source->Collect(context, report);
  for (v1::Event& event : pending_events_) *report.add_events() = std::move(event);
  pending_events_.clear();
  return report;
}

void Agent::CollectAndQueue(const CollectContext& context) {
  spool_.Append(Collect(context).SerializeAsString());
}

void Agent::Deliver() {
  for (size_t i = 0; i < pushers_.size(); ++i) {
    while (spool_.pending(i) > 0) {
      size_t count = 0;
      const std::string batch = spool_.NextBatch(i, config_.batch_max_reports, &count);
      const PushResult result = pushers_[i].Push(batch);
      if (result.outcome == PushResult::Outcome::kStored) {
        spool_.Acknowledge(i, count);
        continue;
      }
      if (result.outcome == PushResult::Outcome::kRejected) {
        LogError("{} rejected {} report(s), dropping them: {}", pushers_[i].url(), count, result.reason);
        spool_.Acknowledge(i, count);
        continue;
      }
      LogWarning("{}: push failed, keeping {} report(s) for later: {}", pushers_[i].url(), spool_.pending(i),
                 result.reason);
      break;
    }
  }
}

void Agent::NoteStart(int64_t wall_unix_ms) {
  v1::Event event;
  event.set_kind(v1::Event::AGENT_STARTED);
  event.set_timestamp_unix_ms(wall_unix_ms);
  event.set_message("vigie-agent " VIGIE_VERSION " started");
  const std::filesystem::path marker = config_.state_directory / kCleanShutdownMarker;
  std::ifstream in(marker);
  std::string previous_boot_id;
  if (in && std::getline(in, previous_boot_id)) {
    event.set_previous_shutdown_clean(true);
    event.set_previous_boot_id(previous_boot_id);
  }
  std::error_code ignored;
  std::filesystem::remove(marker, ignored);
  pending_events_.push_back(std::move(event));
}

void Agent::Stop(int64_t wall_unix_ms) {
  v1::Event event;
  event.set_kind(v1::Event::CLEAN_SHUTDOWN);
  event.set_timestamp_unix_ms(wall_unix_ms);
  pending_events_.push_back(std::move(event));
  CollectAndQueue(CollectContext{wall_unix_ms, MonotonicNs()});
  Deliver();
  std::error_code error;
  std::filesystem::create_directories(config_.state_directory, error);
  std::ofstream out(config_.state_directory / kCleanShutdownMarker);
  out << boot_id_ << '\n';
  if (!out.flush()) LogError("cannot write {}", (config_.state_directory / kCleanShutdownMarker).string());
}

int Agent::Run() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  const int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC);
  const int timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  if (signal_fd < 0 || timer_fd < 0) {
    LogError("cannot create the agent's signalfd or timerfd: {}", std::strerror(errno));
    return 1;
  }
  const int64_t period_ns = static_cast<int64_t>(config_.period.count()) * 1'000'000;
  itimerspec spec{};
  spec.it_interval.tv_sec = period_ns / 1'000'000'000;
  spec.it_interval.tv_nsec = period_ns % 1'000'000'000;
  spec.it_value.tv_nsec = 1;  // first cycle at once
  timerfd_settime(timer_fd, 0, &spec, nullptr);

  NoteStart(WallUnixMs());
  sd_notify(0, "READY=1");
  LogInfo("vigie-agent {} running as node {}, every {} ms, {} collector(s)", VIGIE_VERSION, config_.node_id,
          config_.period.count(), config_.collectors.size());

  pollfd fds[2] = {{timer_fd, POLLIN, 0}, {signal_fd, POLLIN, 0}};
  while (true) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      LogError("poll: {}", std::strerror(errno));
      break;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info{};
      if (read(signal_fd, &info, sizeof info) == sizeof info) {
        LogInfo("signal {}: stopping", static_cast<int>(info.ssi_signo));
        sd_notify(0, "STOPPING=1");
        Stop(WallUnixMs());
        break;
      }
    }
    if (fds[0].revents & POLLIN) {
      uint64_t expirations = 0;
      if (read(timer_fd, &expirations, sizeof expirations) == sizeof expirations) {
        CollectAndQueue(CollectContext{WallUnixMs(), MonotonicNs()});
        Deliver();
      }
    }
  }
  close(timer_fd);
  close(signal_fd);
  return 0;
}

}  // namespace vigie::agent
