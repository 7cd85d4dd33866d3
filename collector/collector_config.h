// /etc/vigie/collector.toml: where the collector listens, where it stores,
// and the fleet it accepts reports from.
//
//   listen = "127.0.0.1:9470"        # host:port; "[::]:9470" for IPv6; port 0 picks one
//   database = "/var/lib/vigie/collector.db"
//   offline_after = "4m"             # a node is down after this long without a report (>= 10s)
//   [ingest]
//   max_body_bytes = 1048576         # larger pushes get 413
//   max_pushes_per_minute = 60       # per node; more get 429 with Retry-After
//   http_threads = 4                 # a push waiting for its commit holds none
//   connection_timeout = "30s"       # idle connections closed; slow requests dropped at twice this
//   max_connections_per_address = 64
//   history = "30d"                  # reports older than this are pruned, a little at a time
//   max_clock_skew = "5m"            # a node whose clock is further off is flagged
//   max_connections = 2048           # at once, all addresses; kept below the open-file limit
//   header_timeout = "10s"           # a request's headers must arrive within this
//   [ingest.limits]                  # per report; over them: 400 with the reason (common/report_limits.h)
//   max_report_bytes = 262144        # each at least its default (the agents cap at the defaults)
//   max_sensors = 1024               # ... and every other ReportLimits field by its name
//   [tls]                            # HTTPS served by the collector itself (optional)
//   cert_file = "/etc/vigie/collector.crt"   # PEM, the chain
//   key_file = "/etc/vigie/collector.key"    # PEM
//   [api]
//   admin_token_file = "/etc/vigie/admin.token"  # for /v1/nodes, /v1/alerts... and vigiectl
//   [[node]]
//   id = "rennes-1"
//   site = "rennes"                  # the home that hosts it
//   token_sha256 = "9f86d0..."       # `vigiectl token new rennes-1` prints this line
//   token_sha256_file = "..."        # or: a file holding that hash
//
// LoadCollectorConfig throws ConfigError ("FILE:LINE: KEY: REASON").
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>

#include "alerting/alerting_config.h"
#include "collector/remote_write_config.h"
#include "common/report_limits.h"

namespace vigie::collector {

struct NodeEntry {
  std::string id;
  std::string site;
  std::string token_sha256;  // lower-case hex
};

struct CollectorConfig {
  std::filesystem::path file;
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 9470;
  std::filesystem::path database = "/var/lib/vigie/collector.db";
  std::chrono::milliseconds offline_after{240'000};  // read by alerting::LoadAlertingConfig
  // [ingest]
  size_t max_body_bytes = 1 << 20;
  double max_pushes_per_minute = 60;
  // libmicrohttpd's worker threads, each serving its share of the
  // connections. A push waiting for its group commit and a /metrics page
  // waiting for its render hold none (their connections are suspended), so
  // the groups are as large as the pushes in flight whatever this is. A
  // thread is held while it parses a body or does a TLS handshake, and its
  // other connections wait meanwhile: 4 on 2 cores, where bench/ingest
  // measured about the same CPU per push with 2 to 32 (BENCHMARKS.md).
  unsigned http_threads = 4;
  std::chrono::milliseconds connection_timeout{30'000};
  unsigned max_connections_per_address = 64;
  // All connections at once. Held idle by 18 addresses at 64 each, 1 152
  // fit, and past 7/8 of it the oldest connection still sending its headers
  // makes room for a new one (http_server.h).
  unsigned max_connections = 2048;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds history{30LL * 86'400'000};
  // A node whose report's timestamp is further than this from the time it
  // was received has its clock flagged wrong (vigie_node_clock_wrong).
  std::chrono::milliseconds max_clock_skew{300'000};
  // [ingest.limits]
  ReportLimits report_limits;
  std::map<std::string, NodeEntry> nodes;  // by id
  // [tls]: PEM contents; both empty for plain HTTP.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // [api]: the admin token's file (vigiectl reads it) and its SHA-256 (the
  // collector compares against it). Empty: the API refuses every request.
  std::filesystem::path admin_token_file;
  std::string admin_token_sha256;
  RemoteWriteConfig remote_write;  // [remote_write], off unless configured
  // [[site]], [[admin]], [alerting], [matrix], [smtp], [alertmanager].
  alerting::AlertingConfig alerting;
};

CollectorConfig LoadCollectorConfig(const std::filesystem::path& path);

// Splits "host:port" or "[v6]:port". False when it is not of that form.
bool ParseListenAddress(std::string_view text, std::string* host, uint16_t* port);

}  // namespace vigie::collector
