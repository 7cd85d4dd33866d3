// /etc/vigie/agent.toml: what one node's agent reads and where it sends it.
//
//   node_id = "rennes-2"                    # required; the collector binds the token to it
//   state_directory = "/var/lib/vigie-agent"
//   host_root = "/"                         # a recorded host tree instead of the live one
//   [collect]
//   period = "60s"                          # sensors, power, system
//   spool_max_reports = 1440                # reports kept while no collector answers
//   spool_write_after = "15m"               # backlog older than this goes to disk
//   retry_initial = "1s"                    # first retry delay, doubling ...
//   retry_max = "5m"                        # ... up to this
//   [disks]
//   period = "30m"                          # SMART; a sleeping disk is never woken
//   skip = "standby"                        # never | sleep | standby | idle, as smartd -n
//   include = []                            # names or patterns read even if discovery skips them
//   exclude = []                            # never read
//   [sensors]
//   config = ""                             # a sensors3.conf; empty: the system's
//   [[collector]]                           # one or more: a primary and a standby
//   url = "https://collector.example.org:9470"
//   token_file = "/etc/vigie/agent.token"   # the secret never sits in this file
//   ca_file = "/etc/vigie/ca.pem"           # optional, for TLS with a private CA
//   timeout = "10s"
//
// LoadAgentConfig throws ConfigError ("FILE:LINE: KEY: REASON").
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "agent/sources/disk_source.h"

namespace vigie::agent {

// A bearer token as it can go in a header: visible ASCII, no space (RFC 6750,
// b64token, loosely).
bool IsValidToken(std::string_view token);

struct CollectorTarget {
  std::string url;  // base URL; the agent posts to <url>/v1/push
  std::string token;
  // Where the token was read; read again after the collector refused it.
  std::filesystem::path token_file;
  std::filesystem::path ca_file;  // empty: the system's CA store
  std::chrono::milliseconds timeout{10'000};
};

struct AgentConfig {
  std::filesystem::path file;
  std::string node_id;
  std::filesystem::path state_directory = "/var/lib/vigie-agent";
  std::filesystem::path host_root = "/";
  std::chrono::milliseconds period{60'000};
  // Reports held in RAM while no collector acknowledges them: 24 h at 60 s.
  size_t spool_max_reports = 1440;
  // Reports sent in one POST at the most.
  size_t batch_max_reports = 100;
  // The spool goes to disk when its oldest unsent report is older than this,
  // and then at most once per this interval; also always on SIGTERM.
  std::chrono::milliseconds spool_write_after{15 * 60'000};
  // Retry delays after a failed push: doubling from the first, capped.
  std::chrono::milliseconds retry_initial{1'000};
  std::chrono::milliseconds retry_max{5 * 60'000};
  std::vector<CollectorTarget> collectors;
  // [disks]
  bool disks_enabled = true;
  std::chrono::milliseconds smart_period{30 * 60'000};
  SpinUpPolicy spin_up_skip = SpinUpPolicy::kStandby;
  std::vector<std::string> disk_include;
  std::vector<std::string> disk_exclude;
  // [sensors]
  bool sensors_enabled = true;
  std::string sensors_config;
};

AgentConfig LoadAgentConfig(const std::filesystem::path& path);

}  // namespace vigie::agent
