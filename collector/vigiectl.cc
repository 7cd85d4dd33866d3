// vigiectl: the admins' command line, a client of the collector's JSON API.
#include <curl/curl.h>
#include <time.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "collector/collector_config.h"
#include "collector/token.h"
#include "common/config.h"
#include "common/printable.h"

namespace {

using nlohmann::json;

constexpr const char* kUsage = R"(Usage: vigiectl [OPTIONS] COMMAND

Commands:
  nodes                  the fleet: node, site, state, last seen, hottest
                         sensor, disks' health
  node ID                everything the node's newest report said
  alerts [--all]         firing and pending alerts (--all: resolved ones too)
  ack ID [--by NAME]     acknowledge an alert: no more repeats or escalation
  silence (--node N | --site S | --rule R)... --for DURATION --reason TEXT [--by NAME]
                         silence matching alerts until now + DURATION ("2h")
  silences               the silences in force
  unsilence ID           end a silence now
  test-alert --site S    send a test message to the members of site S, to
                         check that they receive Vigie's messages
  token new NODE         make a token for NODE: prints the token (for the
                         node's token_file) and the lines for collector.toml

Options:
  -c, --config FILE  the collector's configuration (default /etc/vigie/collector.toml):
                     where it listens and its [api] admin_token_file
      --url URL      the collector's base URL instead of the config's listen address
      --json         print the API's JSON as it came
  -h, --help         show this help and exit
      --version      print the version and exit
)";

int Usage(const std::string& message) {
  std::fprintf(stderr, "vigiectl: %s\nTry 'vigiectl --help'.\n", message.c_str());
  return 2;
}

std::string LocalTime(int64_t unix_ms) {
  if (unix_ms <= 0) return "-";
  const time_t seconds = static_cast<time_t>(unix_ms / 1000);
  tm local{};
  localtime_r(&seconds, &local);
  char text[32];
  strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

std::string Ago(int64_t ms) {
  const int64_t s = ms / 1000;
  if (s < 120) return fmt::format("{} s ago", s);
  if (s < 7200) return fmt::format("{} min ago", s / 60);
  if (s < 172800) return fmt::format("{} h ago", s / 3600);
  return fmt::format("{} days ago", s / 86400);
}

// A string of the API's answer as it may reach the terminal: node-controlled
// text (a sensor label, a disk's model, an alert's summary) could carry
// terminal escapes or line breaks; they show as U+FFFD instead.
std::string Shown(const json& value) { return vigie::PrintableUtf8(value.get<std::string>(), 1024); }

int64_t NowMs() { return static_cast<int64_t>(time(nullptr)) * 1000; }

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

std::string Escape(const std::string& text) {
  char* escaped = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
  std::string out = escaped != nullptr ? escaped : "";
  curl_free(escaped);
  return out;
}

// The API over libcurl; a failure prints its reason and gives nullopt.
class ApiClient {
 public:
  ApiClient(std::string base_url, std::string token) : base_(std::move(base_url)), token_(std::move(token)) {}

  std::optional<std::string> Call(const std::string& method, const std::string& path) const {
    CURL* curl = curl_easy_init();
    std::string body;
    curl_slist* headers = curl_slist_append(nullptr, ("Authorization: Bearer " + token_).c_str());
    const std::string url = base_ + path;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    const CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (code != CURLE_OK) {
      std::fprintf(stderr, "vigiectl: %s: %s\n", url.c_str(), curl_easy_strerror(code));
      return std::nullopt;
    }
    if (status != 200) {
      std::fprintf(stderr, "vigiectl: %s answered %ld: %s\n", url.c_str(), status,
                   vigie::PrintableUtf8(body, 4096).c_str());
      return std::nullopt;
    }
    return body;
  }

 private:
  std::string base_;
  std::string token_;
};

int PrintNodes(const json& nodes) {
  const int64_t now = NowMs();
  std::printf("%-18s %-12s %-10s %-34s %-28s %s\n", "NODE", "SITE", "STATE", "LAST SEEN", "HOTTEST", "DISKS");
  for (const json& node : nodes) {
    const std::string last = node["last_seen_unix_ms"].is_null()
                                 ? "-"
                                 : fmt::format("{} ({})", LocalTime(node["last_seen_unix_ms"].get<int64_t>()),
                                               Ago(now - node["last_seen_unix_ms"].get<int64_t>()));
    std::string hottest = "-";
    if (node.contains("hottest_sensor") && !node["hottest_sensor"].is_null()) {
      const json& sensor = node["hottest_sensor"];
      hottest = fmt::format("{:.0f} °C {}", sensor["celsius"].get<double>(), Shown(sensor["label"]));
    }
    std::string disks;
    for (const json& disk : node["disks"]) {
      if (!disks.empty()) disks += ", ";
      const std::string status = Shown(disk["status"]);
      disks += fmt::format("{} {}", Shown(disk["device"]),
                           status == "read" ? Shown(disk["health"]) : status);
    }
    std::printf("%-18s %-12s %-10s %-34s %-28s %s\n", Shown(node["node"]).c_str(),
                Shown(node["site"]).c_str(), Shown(node["state"]).c_str(), last.c_str(),
                hottest.c_str(), disks.empty() ? "-" : disks.c_str());
  }
  return 0;
}

int PrintNode(const json& answer) {
  const json& summary = answer["summary"];
  std::printf("%s  site %s  %s\n", Shown(summary["node"]).c_str(),
              Shown(summary["site"]).c_str(), Shown(summary["state"]).c_str());
  if (answer["report"].is_null()) {
    std::printf("never reported\n");
    return 0;
  }
  std::printf("last seen %s; boot %s, %llu reboot(s) seen, last shutdown %s; clock off by %.1f s\n",
              LocalTime(summary["last_seen_unix_ms"].get<int64_t>()).c_str(),
              Shown(summary["boot_id"]).c_str(),
              static_cast<unsigned long long>(summary["boots"].get<uint64_t>()),
              summary["last_shutdown_clean"].get<bool>() ? "clean" : "NOT clean (crash or power loss)",
              summary["clock_skew_seconds"].get<double>());
  // The report itself, indented, for everything else.
  // ASCII only, invalid UTF-8 replaced: no byte of a node's string reaches the terminal raw.
  std::printf("%s\n", answer["report"].dump(2, ' ', /*ensure_ascii=*/true, json::error_handler_t::replace).c_str());
  return 0;
}

int PrintAlerts(const json& alerts) {
  std::printf("%-5s %-9s %-8s %-14s %-12s %-20s %s\n", "ID", "STATE", "SEVERITY", "RULE", "SITE", "SINCE", "SUMMARY");
  for (const json& alert : alerts) {
    std::string state = Shown(alert["state"]);
    if (!Shown(alert["acked_by"]).empty()) state += " (acked by " + Shown(alert["acked_by"]) + ")";
    std::printf("%-5lld %-9s %-8s %-14s %-12s %-20s %s\n", static_cast<long long>(alert["id"].get<int64_t>()),
                state.c_str(), Shown(alert["severity"]).c_str(), Shown(alert["rule"]).c_str(),
                Shown(alert["site"]).c_str(), LocalTime(alert["started_ms"].get<int64_t>()).c_str(),
                Shown(alert["summary"]).c_str());
  }
  return 0;
}

int PrintSilences(const json& silences) {
  std::printf("%-5s %-20s %-30s %s\n", "ID", "UNTIL", "MATCHES", "REASON");
  for (const json& silence : silences) {
    std::string matches;
    for (const char* field : {"node", "site", "rule"}) {
      if (!Shown(silence[field]).empty()) {
        matches += fmt::format("{}{}={}", matches.empty() ? "" : " ", field, Shown(silence[field]));
      }
    }
    std::printf("%-5lld %-20s %-30s %s (%s)\n", static_cast<long long>(silence["id"].get<int64_t>()),
                LocalTime(silence["until_ms"].get<int64_t>()).c_str(), matches.c_str(),
                Shown(silence["reason"]).c_str(), Shown(silence["created_by"]).c_str());
  }
  return 0;
}

std::string WhoAmI() {
  const char* user = getenv("SUDO_USER");
  if (user == nullptr) user = getenv("USER");
  return user != nullptr ? user : "admin";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vigie::collector;
  std::string config_path = "/etc/vigie/collector.toml";
  std::string url;
  bool raw_json = false;
  std::vector<std::string> words;
  std::map<std::string, std::vector<std::string>> flags;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::puts("vigiectl " VIGIE_VERSION);
      return 0;
    } else if (arg == "-c" || arg == "--config" || arg == "--url") {
      if (i + 1 >= argc) return Usage(fmt::format("{} needs a value", arg));
      (arg == "--url" ? url : config_path) = argv[++i];
    } else if (arg == "--json") {
      raw_json = true;
    } else if (arg == "--all") {
      flags["all"].push_back("1");
    } else if (arg == "--node" || arg == "--site" || arg == "--rule" || arg == "--for" || arg == "--reason" ||
               arg == "--by") {
      if (i + 1 >= argc) return Usage(fmt::format("{} needs a value", arg));
      flags[std::string(arg.substr(2))].push_back(argv[++i]);
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
  if (config.admin_token_file.empty()) {
    std::fprintf(stderr, "vigiectl: %s has no [api] admin_token_file: the API is closed\n", config_path.c_str());
    return 2;
  }
  std::ifstream token_file(config.admin_token_file);
  std::string token;
  std::getline(token_file, token);
  if (url.empty()) {
    std::string host = config.listen_host;
    if (host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    url = fmt::format("http://{}:{}", host.find(':') != std::string::npos ? "[" + host + "]" : host,
                      config.listen_port);
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const ApiClient api(url, token);

  using Printer = int (*)(const json&);
  const auto run = [&](const std::string& method, const std::string& path, Printer print) {
    const std::optional<std::string> body = api.Call(method, path);
    if (!body) return 1;
    if (raw_json) {
      std::fputs(body->c_str(), stdout);  // asked for as it came, for a program to read
      return 0;
    }
    if (print == nullptr) {
      std::istringstream lines(*body);
      for (std::string line; std::getline(lines, line);) std::printf("%s\n", vigie::PrintableUtf8(line, 4096).c_str());
      return 0;
    }
    try {
      return print(json::parse(*body));
    } catch (const json::exception& error) {
      std::fprintf(stderr, "vigiectl: unexpected answer from %s%s: %s\n", url.c_str(), path.c_str(), error.what());
      return 1;
    }
  };
  const std::string& command = words[0];
  if (command == "nodes" && words.size() == 1) return run("GET", "/v1/nodes", &PrintNodes);
  if (command == "node" && words.size() == 2) return run("GET", "/v1/nodes/" + Escape(words[1]), &PrintNode);
  if (command == "alerts" && words.size() == 1) {
    return run("GET", flags.contains("all") ? "/v1/alerts?all=1" : "/v1/alerts", &PrintAlerts);
  }
  if (command == "silences" && words.size() == 1) return run("GET", "/v1/silences", &PrintSilences);
  const std::string by = flags.contains("by") ? flags["by"].back() : WhoAmI();
  if (command == "ack" && words.size() == 2) {
    return run("POST", fmt::format("/v1/alerts/{}/ack?by={}", Escape(words[1]), Escape(by)), &PrintAlerts);
  }
  if (command == "test-alert" && words.size() == 1) {
    if (!flags.contains("site")) return Usage("test-alert needs --site");
    const int status = run("POST", "/v1/test-alert?site=" + Escape(flags["site"].back()), nullptr);
    if (status == 0 && !raw_json) std::printf("queued: the members of %s will receive it within seconds\n", flags["site"].back().c_str());
    return status;
  }
  if (command == "unsilence" && words.size() == 2) return run("DELETE", "/v1/silences/" + Escape(words[1]), nullptr);
  if (command == "silence" && words.size() == 1) {
    if (!flags.contains("for") || !flags.contains("reason")) return Usage("silence needs --for and --reason");
    if (!flags.contains("node") && !flags.contains("site") && !flags.contains("rule")) {
      return Usage("silence needs at least one of --node, --site, --rule");
    }
    const std::optional<std::chrono::milliseconds> duration = vigie::ParseDuration(flags["for"].back());
    if (!duration) return Usage(fmt::format("--for '{}' is not a duration such as 2h or 30m", flags["for"].back()));
    std::string query = fmt::format("?until_ms={}&reason={}&by={}", NowMs() + duration->count(),
                                    Escape(flags["reason"].back()), Escape(by));
    for (const char* field : {"node", "site", "rule"}) {
      if (flags.contains(field)) query += fmt::format("&{}={}", field, Escape(flags[field].back()));
    }
    return run("POST", "/v1/silences" + query, nullptr);
  }
  return Usage(fmt::format("unknown command or wrong arguments: '{}'", command));
}
