#include "collector/collector_config.h"

#include <charconv>

#include <fmt/format.h>

#include "collector/token.h"
#include "common/config.h"

namespace vigie::collector {
namespace {

// Each limit at least the default, which the agents cap their reports at:
// below it, a collector would refuse reports the agents built in good faith.
ReportLimits LoadReportLimits(const ConfigTable& table, size_t max_body_bytes) {
  const ReportLimits defaults;
  ReportLimits limits;
  const auto limit = [&](std::string_view key, size_t& value, size_t fallback, int64_t max) {
    value = static_cast<size_t>(table.Integer(key, static_cast<int64_t>(fallback), 0, max));
    if (value < fallback) {
      table.Reject(key, fmt::format("{} is below the default {}, which the agents cap their reports at: "
                                    "their reports would be refused",
                                    value, fallback));
    }
  };
  limit("max_report_bytes", limits.max_report_bytes, defaults.max_report_bytes, 256 << 20);
  if (limits.max_report_bytes > max_body_bytes) {
    table.Reject("max_report_bytes", fmt::format("{} is over [ingest] max_body_bytes ({}): no push could carry "
                                                 "such a report",
                                                 limits.max_report_bytes, max_body_bytes));
  }
  constexpr int64_t kMaxCount = 1'000'000;
  limit("max_sensors", limits.max_sensors, defaults.max_sensors, kMaxCount);
  limit("max_disks", limits.max_disks, defaults.max_disks, kMaxCount);
  limit("max_attributes_per_disk", limits.max_attributes_per_disk, defaults.max_attributes_per_disk, kMaxCount);
  limit("max_nvme_temperature_sensors", limits.max_nvme_temperature_sensors, defaults.max_nvme_temperature_sensors,
        kMaxCount);
  limit("max_filesystems", limits.max_filesystems, defaults.max_filesystems, kMaxCount);
  limit("max_rapl_zones", limits.max_rapl_zones, defaults.max_rapl_zones, kMaxCount);
  limit("max_batteries", limits.max_batteries, defaults.max_batteries, kMaxCount);
  limit("max_events", limits.max_events, defaults.max_events, kMaxCount);
  limit("max_source_errors", limits.max_source_errors, defaults.max_source_errors, kMaxCount);
  limit("max_name_bytes", limits.max_name_bytes, defaults.max_name_bytes, 1 << 20);
  limit("max_message_bytes", limits.max_message_bytes, defaults.max_message_bytes, 1 << 20);
  table.RejectUnknownKeys();
  return limits;
}

}  // namespace

bool ParseListenAddress(std::string_view text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host_part = text.substr(0, colon);
  if (host_part.front() == '[') {
    if (host_part.back() != ']') return false;
    host_part = host_part.substr(1, host_part.size() - 2);
  }
  const std::string_view port_part = text.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port_part.data(), port_part.data() + port_part.size(), value);
  if (ec != std::errc() || end != port_part.data() + port_part.size() || value > 65535 || host_part.empty()) {
    return false;
  }
  *host = std::string(host_part);
  *port = static_cast<uint16_t>(value);
  return true;
}

CollectorConfig LoadCollectorConfig(const std::filesystem::path& path) {
  using std::chrono::milliseconds;
  const ConfigDocument doc = ConfigDocument::Load(path);
  const ConfigTable root = doc.Root();
  CollectorConfig config;
  config.file = path;
  const std::string listen = root.String("listen", "127.0.0.1:9470");
  if (!ParseListenAddress(listen, &config.listen_host, &config.listen_port)) {
    root.Reject("listen", fmt::format("'{}' is not HOST:PORT (e.g. \"127.0.0.1:9470\", \"[::]:9470\")", listen));
  }
  config.database = root.Path("database", config.database);
  if (const std::optional<ConfigTable> ingest = root.Table("ingest")) {
    config.max_body_bytes = static_cast<size_t>(
        ingest->Integer("max_body_bytes", static_cast<int64_t>(config.max_body_bytes), 1024, 256 << 20));
    config.max_pushes_per_minute =
        ingest->Number("max_pushes_per_minute", config.max_pushes_per_minute, 1, 1'000'000);
    config.http_threads = static_cast<unsigned>(ingest->Integer("http_threads", config.http_threads, 1, 1024));
    config.connection_timeout = ingest->Duration("connection_timeout", config.connection_timeout, milliseconds(1000),
                                                 milliseconds(3'600'000));
    config.max_connections_per_address = static_cast<unsigned>(
        ingest->Integer("max_connections_per_address", config.max_connections_per_address, 1, 100'000));
    config.history = ingest->Duration("history", config.history, milliseconds(3'600'000),
                                      milliseconds(3660LL * 86'400'000));
    config.max_connections = static_cast<unsigned>(
        ingest->Integer("max_connections", config.max_connections, 16, 1'000'000));
    if (config.max_connections < config.max_connections_per_address) {
      ingest->Reject("max_connections", fmt::format("{} is below max_connections_per_address ({})",
                                                    config.max_connections, config.max_connections_per_address));
    }
    config.header_timeout = ingest->Duration("header_timeout", config.header_timeout, milliseconds(1000),
                                             milliseconds(3'600'000));
    config.max_clock_skew =
        ingest->Duration("max_clock_skew", config.max_clock_skew, milliseconds(1000), milliseconds(86'400'000));
    if (const std::optional<ConfigTable> limits = ingest->Table("limits")) {
      config.report_limits = LoadReportLimits(*limits, config.max_body_bytes);
    }
    ingest->RejectUnknownKeys();
  }

  for (const ConfigTable& table : root.Tables("node")) {
    NodeEntry node;
    node.id = table.String("id");
    node.site = table.String("site");
    const bool in_file = table.Has("token_sha256_file");
    if (in_file == table.Has("token_sha256")) {
      table.Reject("token_sha256", "give the token's hash as token_sha256 or token_sha256_file (exactly one)");
    }
    const std::string_view key = in_file ? "token_sha256_file" : "token_sha256";
    node.token_sha256 = in_file ? table.FileContents(key) : table.String(key);
    if (!IsSha256Hex(node.token_sha256)) {
      table.Reject(key, "expected 64 lower-case hex digits (the SHA-256 of the node's token)");
    }
    table.RejectUnknownKeys();
    if (config.nodes.contains(node.id)) table.Reject("id", fmt::format("node '{}' is declared twice", node.id));
    config.nodes.emplace(node.id, std::move(node));
  }
  if (const std::optional<ConfigTable> tls = root.Table("tls")) {
    config.tls_cert_pem = tls->FileContents("cert_file");
    config.tls_key_pem = tls->FileContents("key_file");
    if (config.tls_cert_pem.find("-----BEGIN") == std::string::npos) tls->Reject("cert_file", "not a PEM file");
    if (config.tls_key_pem.find("PRIVATE KEY-----") == std::string::npos) tls->Reject("key_file", "not a PEM private key");
    tls->RejectUnknownKeys();
  }
  if (const std::optional<ConfigTable> api = root.Table("api")) {
    config.admin_token_file = api->Path("admin_token_file");
    config.admin_token_sha256 = Sha256Hex(api->FileContents("admin_token_file"));
    api->RejectUnknownKeys();
  }
  config.remote_write = LoadRemoteWriteConfig(root);
  config.alerting = alerting::LoadAlertingConfig(root);
  // One key for both: a node counts as down on /metrics and the API exactly
  // when the alerting starts to count it offline.
  config.offline_after = config.alerting.defaults.offline_after;
  root.RejectUnknownKeys();
  return config;
}

}  // namespace vigie::collector
