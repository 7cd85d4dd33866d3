// vigiectl: the admins' command line for the collector.
#include <time.h>

#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "collector/collector_config.h"
#include "collector/store.h"
#include "collector/token.h"
#include "common/config.h"
#include "common/json_writer.h"

namespace {

constexpr const char* kUsage = R"(Usage: vigiectl [OPTIONS] COMMAND

Commands:
  nodes              list the nodes: site, state (up/down/never seen), last seen
  token new NODE     make a new token for NODE; prints the token (for the
                     node's token_file) and the line for collector.toml

Options:
  -c, --config FILE  the collector's configuration (default /etc/vigie/collector.toml)
      --json         machine-readable output
  -h, --help         show this help and exit
      --version      print the version and exit
)";

int Usage(const std::string& message) {
  std::fprintf(stderr, "vigiectl: %s\nTry 'vigiectl --help'.\n", message.c_str());
  return 2;
}

std::string LocalTime(int64_t unix_ms) {
  const time_t seconds = static_cast<time_t>(unix_ms / 1000);
  tm local{};
  localtime_r(&seconds, &local);
  char text[32];
  strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

std::string Age(int64_t ms) {
  const int64_t s = ms / 1000;
  if (s < 120) return fmt::format("{} s ago", s);
  if (s < 7200) return fmt::format("{} min ago", s / 60);
  if (s < 172800) return fmt::format("{} h ago", s / 3600);
  return fmt::format("{} days ago", s / 86400);
}

int ListNodes(const vigie::collector::CollectorConfig& config, bool json) {
  using namespace vigie::collector;
  auto store = Store::Open(config.database, Store::Mode::kReadOnly);
  std::map<std::string, NodeRecord> seen;
  if (store) {
    auto nodes = (*store)->LoadNodes();
    if (!nodes) {
      std::fprintf(stderr, "vigiectl: %s\n", nodes.error().message.c_str());
      return 1;
    }
    for (NodeRecord& node : *nodes) seen.emplace(node.node_id, std::move(node));
  } else if (store.error().code != vigie::ErrorCode::kNotFound) {
    std::fprintf(stderr, "vigiectl: %s\n", store.error().message.c_str());
    return 1;
  }
  const int64_t now_ms = static_cast<int64_t>(time(nullptr)) * 1000;
  std::vector<std::string> ids;
  for (const auto& [id, node] : config.nodes) ids.push_back(id);
  for (const auto& [id, node] : seen) {
    if (!config.nodes.contains(id)) ids.push_back(id);
  }
  vigie::JsonWriter out;
  out.BeginArray();
  if (!json) std::printf("%-20s %-14s %-10s %s\n", "NODE", "SITE", "STATE", "LAST SEEN");
  for (const std::string& id : ids) {
    const auto entry = config.nodes.find(id);
    const std::string site = entry != config.nodes.end() ? entry->second.site : "(not configured)";
    const auto record = seen.find(id);
    const bool ever = record != seen.end();
    const bool up = ever && now_ms - record->second.last_seen_ms <= config.offline_after.count();
    const std::string state = !ever ? "never seen" : up ? "up" : "down";
    if (json) {
      out.BeginObject().Key("node").String(id).Key("site").String(site).Key("state").String(state);
      out.Key("last_seen_unix_ms");
      if (ever) out.Int(record->second.last_seen_ms);
      else out.Null();
      out.EndObject();
    } else {
      const std::string last =
          ever ? fmt::format("{} ({})", LocalTime(record->second.last_seen_ms), Age(now_ms - record->second.last_seen_ms))
               : "-";
      std::printf("%-20s %-14s %-10s %s\n", id.c_str(), site.c_str(), state.c_str(), last.c_str());
    }
  }
  out.EndArray();
  if (json) std::printf("%s\n", out.str().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vigie::collector;
  std::string config_path = "/etc/vigie/collector.toml";
  bool json = false;
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::puts("vigiectl " VIGIE_VERSION);
      return 0;
    } else if (arg == "-c" || arg == "--config") {
      if (i + 1 >= argc) return Usage("--config needs a file");
      config_path = argv[++i];
    } else if (arg == "--json") {
      json = true;
    } else if (arg.starts_with("-")) {
      return Usage(fmt::format("unknown option '{}'", arg));
    } else {
      words.emplace_back(arg);
    }
  }
  if (words.empty()) return Usage("no command given");

  if (words[0] == "token") {
    if (words.size() != 3 || words[1] != "new") return Usage("usage: vigiectl token new NODE");
    const std::string token = NewToken();
    std::printf("token for %s (put it alone in the node's token_file, mode 0600):\n%s\n\n"
                "add to collector.toml:\n[[node]]\nid = \"%s\"\nsite = \"SITE\"\ntoken_sha256 = \"%s\"\n",
                words[2].c_str(), token.c_str(), words[2].c_str(), Sha256Hex(token).c_str());
    return 0;
  }

  CollectorConfig config;
  try {
    config = LoadCollectorConfig(config_path);
  } catch (const vigie::ConfigError& error) {
    std::fprintf(stderr, "vigiectl: %s\n", error.what());
    return 2;
  }
  if (words[0] == "nodes" && words.size() == 1) return ListNodes(config, json);
  return Usage(fmt::format("unknown command '{}'", words[0]));
}
