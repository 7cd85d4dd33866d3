// The collector's JSON API (collector/api.cc) on a hostile node: the node's
// newest report goes through the fleet state and the alerting engine, then
// one admin request is answered. Every JSON answer must parse: a report's
// strings must not break out of their JSON string. Its encoding is checked
// only for a report within the limits (common/report_limits.h: printable
// UTF-8), the only ones a collector is to accept (issue 14); for another,
// invalid UTF-8 is replaced before the JSON is parsed.
// Input: "METHOD\nPATH\nQUERY\n" then a serialized vigie.v1.Report; QUERY is
// name=value pairs separated by '&', taken as the server hands them over
// (already decoded). The engine is opened afresh for each input, in memory,
// so that an input's outcome does not depend on the ones before it.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <google/protobuf/stubs/logging.h>

#include <nlohmann/json.hpp>

#include "alerting/engine.h"
#include "collector/api.h"
#include "collector/fleet_state.h"
#include "collector/token.h"
#include "common/printable.h"
#include "common/report_limits.h"
#include "fuzz/scratch_file.h"

namespace {

using namespace vigie::collector;

constexpr int64_t kNowMs = 1'700'000'000'000;

// The next '\n'-terminated line of `input`, removed from it; nullopt at the end.
std::optional<std::string_view> TakeLine(std::string_view& input) {
  const size_t end = input.find('\n');
  if (end == std::string_view::npos) return std::nullopt;
  const std::string_view line = input.substr(0, end);
  input.remove_prefix(end + 1);
  return line;
}

std::map<std::string, std::string> QueryArguments(std::string_view query) {
  std::map<std::string, std::string> arguments;
  while (!query.empty()) {
    const std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    const size_t equals = pair.find('=');
    arguments[std::string(pair.substr(0, equals))] =
        equals == std::string_view::npos ? "" : std::string(pair.substr(equals + 1));
  }
  return arguments;
}

CollectorConfig MakeConfig() {
  CollectorConfig config;
  config.nodes["fuzz-node"] = NodeEntry{"fuzz-node", "fuzz-site", Sha256Hex("fuzz-token")};
  config.admin_token_sha256 = Sha256Hex("admin-token");
  config.alerting.sites.push_back({"fuzz-site", {{"Alice", "", "!room:example.org", "alice@example.org"}}});
  config.alerting.site_of_node["fuzz-node"] = "fuzz-site";
  return config;
}

}  // namespace

// libprotobuf writes a line to stderr for each string that is not UTF-8: the
// parse fails all the same, and the lines would slow the campaign down.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const CollectorConfig config = MakeConfig();
  std::string_view input = vigie::fuzz::AsText(data, size);
  const auto method = TakeLine(input);
  const auto path = TakeLine(input);
  const auto query = TakeLine(input);
  if (!method || !path || !query) return 0;
  vigie::v1::Report report;
  if (!report.ParseFromArray(input.data(), static_cast<int>(input.size()))) return 0;

  // SQLite's in-memory database: a fresh one per open, and no fsync per commit.
  auto engine = vigie::alerting::Engine::Open(config.alerting, ":memory:", {});
  if (!engine) {
    std::fprintf(stderr, "fuzz harness: %s\n", engine.error().message.c_str());
    std::abort();
  }
  const std::string node_id = report.node_id().empty() ? "fuzz-node" : report.node_id();
  (*engine)->OnReport(node_id, "fuzz-site", report, kNowMs);
  FleetState state;
  const std::string bytes = report.SerializeAsString();
  state.Update(node_id, kNowMs, &report, bytes, NodeFacts{});

  const bool within_limits = vigie::ReportLimitViolation(report, vigie::ReportLimits{}).empty();
  // JsonResponse ends the document with a newline, which PrintableUtf8 would replace.
  const auto json_text = [within_limits](std::string_view body) {
    if (body.ends_with('\n')) body.remove_suffix(1);
    return within_limits ? std::string(body) : vigie::PrintableUtf8(body);
  };
  const Api api(config, state, engine->get());
  HttpRequest request{*method, *path, "Bearer admin-token", "", QueryArguments(*query)};
  const std::optional<HttpResponse> answer = api.Handle(request, kNowMs + 1000);
  if (answer && answer->content_type == "application/json" && !nlohmann::json::accept(json_text(answer->body))) {
    std::fprintf(stderr, "%s %s answered invalid JSON: %.300s\n", std::string(*method).c_str(),
                 std::string(*path).c_str(), answer->body.c_str());
    std::abort();
  }
  return 0;
}
