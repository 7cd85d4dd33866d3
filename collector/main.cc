// vigie-collector: receives the agents' pushes, stores them, serves /metrics.
#include <signal.h>

#include <cstdio>
#include <string>
#include <string_view>

#include <google/protobuf/stubs/logging.h>

#include "collector/collector.h"
#include "common/config.h"
#include "common/log.h"
#include "common/systemd_notify.h"

namespace {

constexpr const char* kUsage = R"(Usage: vigie-collector [OPTIONS]

Receives the Vigie agents' reports (POST /v1/push), stores them in SQLite and
serves them to Prometheus (GET /metrics).

Options:
  -c, --config FILE   configuration file (default /etc/vigie/collector.toml)
      --check-config  validate the configuration and exit (0 when valid)
  -v, --verbose       log debug messages
  -h, --help          show this help and exit
      --version       print the version and exit

Exit status: 0 after SIGTERM or SIGINT, 1 on a runtime failure (cannot open
the store, cannot listen), 2 on a usage or configuration error.
)";

// protobuf's parser writes an ERROR line to stderr for each push holding a
// string that is not UTF-8: a node could flood the journal with them. The
// push is refused (400) and counted (vigie_collector_pushes_total) anyway,
// so the parser's own words are kept for --verbose.
void ProtobufLog(google::protobuf::LogLevel level, const char* file, int line, const std::string& message) {
  const bool fatal = level >= google::protobuf::LOGLEVEL_FATAL;
  vigie::Log(fatal ? vigie::LogLevel::kError : vigie::LogLevel::kDebug, "protobuf ({}:{}): {}", file, line, message);
}

bool IsLoopback(const std::string& host) { return host == "::1" || host.starts_with("127."); }

}  // namespace

int main(int argc, char** argv) {
  using namespace vigie;
  using namespace vigie::collector;
  google::protobuf::SetLogHandler(ProtobufLog);

  std::string config_path = "/etc/vigie/collector.toml";
  bool check_config = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::puts("vigie-collector " VIGIE_VERSION);
      return 0;
    } else if ((arg == "-c" || arg == "--config") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "--check-config") {
      check_config = true;
    } else if (arg == "-v" || arg == "--verbose") {
      SetLogThreshold(LogLevel::kDebug);
    } else {
      std::fprintf(stderr, "vigie-collector: unknown option or missing value: '%s'\nTry 'vigie-collector --help'.\n",
                   argv[i]);
      return 2;
    }
  }

  CollectorConfig config;
  try {
    config = LoadCollectorConfig(config_path);
  } catch (const ConfigError& error) {
    LogError("{}", error.what());
    return 2;
  }
  if (check_config) {
    std::printf("%s: valid (%zu node(s), listen %s:%u)\n", config_path.c_str(), config.nodes.size(),
                config.listen_host.c_str(), config.listen_port);
    return 0;
  }
  if (!IsLoopback(config.listen_host) && config.tls_cert_pem.empty()) {
    LogWarning("listening on {} in clear text: node tokens cross the network unencrypted unless a VPN or a TLS "
               "reverse proxy carries them",
               config.listen_host);
  }

  // Block the stop signals before MHD starts its threads, so that they all inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Collector collector(std::move(config));
  if (Result<void> started = collector.Start(); !started) {
    LogError("{}", started.error().message);
    return 1;
  }
  SystemdNotify("READY=1");
  // With WatchdogSec, ping at half the interval while the alerting thread
  // keeps ticking; without it, just wait for a stop signal.
  const uint64_t watchdog_usec = SystemdWatchdogUsec();
  const bool watchdog = watchdog_usec > 0;
  const int64_t ping_ms = static_cast<int64_t>(watchdog_usec / 2000);
  int signal_number = 0;
  while (true) {
    if (!watchdog) {
      sigwait(&signals, &signal_number);
      break;
    }
    const timespec timeout{static_cast<time_t>(ping_ms / 1000), static_cast<long>(ping_ms % 1000) * 1'000'000};
    signal_number = sigtimedwait(&signals, nullptr, &timeout);
    if (signal_number > 0) break;
    if (SteadyMs() - collector.last_tick_ms() < 2 * ping_ms) SystemdNotify("WATCHDOG=1");
  }
  LogInfo("signal {}: stopping", signal_number);
  SystemdNotify("STOPPING=1");
  return 0;
}
