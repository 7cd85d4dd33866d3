#include "collector/collector_config.h"

#include <charconv>

#include <fmt/format.h>

#include "collector/token.h"
#include "common/config.h"

namespace vigie::collector {

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
  config.offline_after =
      root.Duration("offline_after", config.offline_after, milliseconds(1000), milliseconds(7 * 86'400'000LL));
  config.max_body_bytes = static_cast<size_t>(
      root.Integer("max_body_bytes", static_cast<int64_t>(config.max_body_bytes), 1024, 256 << 20));

  for (const ConfigTable& table : root.Tables("node")) {
    NodeEntry node;
    node.id = table.String("id");
    node.site = table.String("site");
    node.token_sha256 = table.String("token_sha256");
    if (!IsSha256Hex(node.token_sha256)) {
      table.Reject("token_sha256", "expected 64 lower-case hex digits (the SHA-256 of the node's token)");
    }
    table.RejectUnknownKeys();
    if (config.nodes.contains(node.id)) table.Reject("id", fmt::format("node '{}' is declared twice", node.id));
    config.nodes.emplace(node.id, std::move(node));
  }
  root.RejectUnknownKeys();
  return config;
}

}  // namespace vigie::collector
