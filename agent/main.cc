// vigie-agent: reads this machine's health and pushes it to the collectors.
#include <nss.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "agent/agent.h"
#include "agent/agent_config.h"
#include "agent/agent_sources.h"
#include "common/report_json.h"
#include "agent/report_text.h"
#include "agent/smart/device_io.h"
#include "agent/smart/recorded_device_io.h"
#include "agent/sources/disk_source.h"
#include "agent/sources/system_source.h"
#include "common/config.h"
#include "common/file_tree.h"
#include "common/json_writer.h"
#include "common/log.h"

namespace {

// Host names are looked up in /etc/hosts, then DNS (resolv.conf), whatever
// nsswitch.conf lists: the agent is a static executable, and glibc's
// built-in `files` and `dns` are the only NSS modules it can use without
// loading a shared module, and with it a second libc (a systemd module cost
// ~1.4 MB of RSS in a static test program). A systemd-resolved host still
// resolves through its stub at 127.0.0.53; mDNS (.local) names do not.
void LookUpHostsInFilesThenDns() { __nss_configure_lookup("hosts", "files dns"); }

constexpr const char* kUsage = R"(Usage: vigie-agent [OPTIONS]

Reads this machine's hardware health and pushes it to the Vigie collector(s).

Options:
  -c, --config FILE   configuration file (default /etc/vigie/agent.toml)
      --check-config  validate the configuration and exit (0 when valid)
      --once          collect one report, print it for a person and exit
      --json          with --once: print the report as JSON for scripts
      --host-root DIR read /proc and /sys under DIR (a recorded host) instead
                      of the live system; overrides host_root in the config
      --replay-disks DIR
                      read the disks from a recording (--record) instead of
                      the hardware
      --record DIR    read every disk once, save exactly the bytes each
                      command returned under DIR (with a PROVENANCE.md), print
                      the disks as JSON and exit
  -v, --verbose       log debug messages
  -h, --help          show this help and exit
      --version       print the version and exit

Exit status: 0 on success, 1 on a runtime failure, 2 on a usage or
configuration error. Logs go to stderr, with journald priority prefixes.
)";

struct Options {
  std::string config = "/etc/vigie/agent.toml";
  bool check_config = false;
  bool once = false;
  bool json = false;
  bool verbose = false;
  std::string host_root;
  std::string replay_disks;
  std::string record;
};

int UsageError(const std::string& message) {
  std::fprintf(stderr, "vigie-agent: %s\nTry 'vigie-agent --help'.\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vigie;
  using namespace vigie::agent;

  LookUpHostsInFilesThenDns();
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::puts("vigie-agent " VIGIE_VERSION);
      return 0;
    } else if (arg == "-c" || arg == "--config") {
      if (!value(&options.config)) return UsageError("--config needs a file");
    } else if (arg == "--host-root") {
      if (!value(&options.host_root)) return UsageError("--host-root needs a folder");
    } else if (arg == "--replay-disks") {
      if (!value(&options.replay_disks)) return UsageError("--replay-disks needs a folder");
    } else if (arg == "--record") {
      if (!value(&options.record)) return UsageError("--record needs a folder");
    } else if (arg == "--check-config") {
      options.check_config = true;
    } else if (arg == "--once") {
      options.once = true;
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "-v" || arg == "--verbose") {
      options.verbose = true;
    } else {
      return UsageError("unknown option '" + std::string(arg) + "'");
    }
  }
  if (options.json && !options.once) return UsageError("--json goes with --once");
  if (options.verbose) SetLogThreshold(LogLevel::kDebug);

  AgentConfig config;
  try {
    config = LoadAgentConfig(options.config);
  } catch (const ConfigError& error) {
    LogError("{}", error.what());
    return 2;
  }
  if (!options.host_root.empty()) config.host_root = options.host_root;
  if (options.check_config) {
    std::printf("%s: valid (node %s, %zu collector(s))\n", options.config.c_str(), config.node_id.c_str(),
                config.collectors.size());
    return 0;
  }

  const FileTree host(config.host_root);
  const Result<std::string> boot_id = ReadBootId(host);
  if (!boot_id) {
    LogError("cannot read the boot id: {}", boot_id.error().message);
    return 1;
  }

  // Disks: the hardware through the only code with ioctls, or a recording.
  const std::unique_ptr<smart::DeviceIo> disk_io =
      options.replay_disks.empty() ? smart::MakeLinuxDeviceIo() : smart::MakeRecordedDeviceIo(options.replay_disks);
  const DiskSource::DiskLister disk_lister =
      options.replay_disks.empty()
          ? SysfsDiskLister(host, smart::DiskDiscoveryOptions{config.disk_include, config.disk_exclude})
          : RecordedDiskLister(options.replay_disks);
  const DiskSourceOptions disk_options{config.spin_up_skip};
  if (!options.record.empty()) {
    std::string command = "vigie-agent";
    for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
    const Result<std::vector<v1::Disk>> disks = RecordDisks(disk_lister, *disk_io, options.record, command, disk_options);
    if (!disks) {
      LogError("{}", disks.error().message);
      return 1;
    }
    JsonWriter json;
    json.BeginObject().Key("disks").BeginArray();
    for (const v1::Disk& disk : *disks) WriteDiskJson(disk, json);
    json.EndArray().EndObject();
    std::printf("%s\n", json.str().c_str());
    return 0;
  }

  std::vector<ScheduledSource> sources = MakeAgentSources(config, host, *disk_io, disk_lister);

  Agent agent(config, std::move(sources), *boot_id, static_cast<uint64_t>(BoottimeMs()));
  int status = 0;
  if (options.once) {
    const v1::Report report = agent.Collect(CollectContext{WallUnixMs(), MonotonicNs()}, /*all_sources=*/true);
    std::fputs((options.json ? ReportAsJson(report) : ReportAsText(report)).c_str(), stdout);
  } else {
    status = agent.Run();
  }
  return status;
}
