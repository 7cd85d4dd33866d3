#include "agent/agent_config.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/config.h"

namespace vigie::agent {
namespace {

using std::chrono::milliseconds;

bool IsValidNodeId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool IsValidToken(std::string_view token) {
  return !token.empty() && std::all_of(token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

AgentConfig LoadAgentConfig(const std::filesystem::path& path) {
  const ConfigDocument doc = ConfigDocument::Load(path);
  const ConfigTable root = doc.Root();
  AgentConfig config;
  config.file = path;
  config.node_id = root.String("node_id");
  if (!IsValidNodeId(config.node_id)) {
    root.Reject("node_id", "use 1-64 letters, digits, '-', '_' or '.'");
  }
  config.state_directory = root.Path("state_directory", config.state_directory);
  config.host_root = root.Path("host_root", config.host_root);

  if (const std::optional<ConfigTable> collect = root.Table("collect")) {
    config.period = collect->Duration("period", config.period, milliseconds(100), milliseconds(86'400'000));
    config.spool_max_reports =
        static_cast<size_t>(collect->Integer("spool_max_reports", static_cast<int64_t>(config.spool_max_reports), 1,
                                             1'000'000));
    config.batch_max_reports =
        static_cast<size_t>(collect->Integer("batch_max_reports", static_cast<int64_t>(config.batch_max_reports), 1,
                                             10'000));
    config.spool_write_after = collect->Duration("spool_write_after", config.spool_write_after, milliseconds(0),
                                                 milliseconds(7 * 86'400'000LL));
    config.retry_initial =
        collect->Duration("retry_initial", config.retry_initial, milliseconds(10), milliseconds(3'600'000));
    config.retry_max = collect->Duration("retry_max", config.retry_max, config.retry_initial, milliseconds(86'400'000));
    collect->RejectUnknownKeys();
  }

  if (const std::optional<ConfigTable> disks = root.Table("disks")) {
    config.disks_enabled = disks->Bool("enabled", config.disks_enabled);
    config.smart_period = disks->Duration("period", config.smart_period, milliseconds(100), milliseconds(7 * 86'400'000LL));
    const std::string skip = disks->String("skip", "standby");
    const Result<SpinUpPolicy> policy = ParseSpinUpPolicy(skip);
    if (!policy) disks->Reject("skip", fmt::format("'{}' is not one of never, sleep, standby, idle", skip));
    config.spin_up_skip = *policy;
    config.disk_include = disks->Strings("include");
    config.disk_exclude = disks->Strings("exclude");
    disks->RejectUnknownKeys();
  }
  if (const std::optional<ConfigTable> sensors = root.Table("sensors")) {
    config.sensors_enabled = sensors->Bool("enabled", config.sensors_enabled);
    if (sensors->Has("config")) config.sensors_config = sensors->Path("config").string();
    sensors->RejectUnknownKeys();
  }

  for (const ConfigTable& table : root.Tables("collector")) {
    CollectorTarget target;
    target.url = table.String("url");
    if (!target.url.starts_with("http://") && !target.url.starts_with("https://")) {
      table.Reject("url", fmt::format("'{}' is not an http:// or https:// URL", target.url));
    }
    while (target.url.ends_with('/')) target.url.pop_back();
    target.token = table.FileContents("token_file");
    if (!IsValidToken(target.token)) table.Reject("token_file", "a token is one word of visible ASCII characters");
    target.token_file = table.Path("token_file");
    if (table.Has("ca_file")) target.ca_file = table.Path("ca_file");
    target.timeout = table.Duration("timeout", target.timeout, milliseconds(100), milliseconds(300'000));
    table.RejectUnknownKeys();
    config.collectors.push_back(std::move(target));
  }
  if (config.collectors.empty()) {
    root.Reject("collector", "at least one [[collector]] with url and token_file is required");
  }
  root.RejectUnknownKeys();
  return config;
}

}  // namespace vigie::agent
