#include "collector/api.h"

#include <map>

#include <fmt/format.h>

#include "collector/token.h"
#include "common/json_writer.h"
#include "common/report_json.h"

namespace vigie::collector {
namespace {

std::string_view HealthName(v1::Disk::Health health) {
  switch (health) {
    case v1::Disk::PASSED:
      return "passed";
    case v1::Disk::FAILED:
      return "failed";
    default:
      return "unknown";
  }
}

std::string_view StatusName(v1::Disk::Status status) {
  switch (status) {
    case v1::Disk::READ:
      return "read";
    case v1::Disk::SKIPPED_ASLEEP:
      return "asleep";
    case v1::Disk::UNSUPPORTED:
      return "unsupported";
    case v1::Disk::ERROR:
      return "error";
    default:
      return "unknown";
  }
}

// One node's summary; `state` null for a configured node never heard from.
void WriteNodeSummary(const std::string& id, const CollectorConfig& config, const NodeState* state, int64_t now_ms,
                      JsonWriter& json) {
  const auto entry = config.nodes.find(id);
  json.BeginObject();
  json.Key("node").String(id);
  json.Key("site").String(entry != config.nodes.end() ? entry->second.site : "");
  json.Key("configured").Bool(entry != config.nodes.end());
  if (state == nullptr) {
    json.Key("state").String("never seen").Key("last_seen_unix_ms").Null();
    json.Key("disks").BeginArray().EndArray().EndObject();
    return;
  }
  const v1::Report& report = *state->last_report;
  const bool up = now_ms - state->last_seen_ms <= config.offline_after.count();
  json.Key("state").String(up ? "up" : "down");
  json.Key("last_seen_unix_ms").Int(state->last_seen_ms);
  json.Key("report_unix_ms").Int(report.timestamp_unix_ms());
  json.Key("boot_id").String(report.boot_id());
  json.Key("uptime_seconds").Double(report.uptime_seconds());
  json.Key("agent_version").String(report.agent_version());
  json.Key("boots").Uint(state->facts.boots);
  json.Key("last_shutdown_clean").Bool(state->facts.last_shutdown_clean);
  json.Key("clock_skew_seconds").Double(static_cast<double>(state->facts.clock_skew_ms) / 1000.0);
  const v1::Sensor* hottest = nullptr;
  for (const v1::Sensor& sensor : report.sensors()) {
    if (sensor.kind() == v1::Sensor::TEMPERATURE && (hottest == nullptr || sensor.value() > hottest->value())) {
      hottest = &sensor;
    }
  }
  json.Key("hottest_sensor");
  if (hottest != nullptr) {
    json.BeginObject().Key("chip").String(hottest->chip()).Key("label").String(hottest->label());
    json.Key("celsius").Double(hottest->value()).EndObject();
  } else {
    json.Null();
  }
  json.Key("disks").BeginArray();
  for (const v1::Disk& disk : report.disks()) {
    json.BeginObject().Key("device").String(disk.device()).Key("model").String(disk.model());
    json.Key("serial").String(disk.serial()).Key("health").String(HealthName(disk.health()));
    json.Key("status").String(StatusName(disk.status()));
    if (disk.has_temperature_celsius()) json.Key("temperature_celsius").Double(disk.temperature_celsius());
    json.EndObject();
  }
  json.EndArray();
  json.Key("source_errors").Uint(static_cast<uint64_t>(report.source_errors_size()));
  json.EndObject();
}

}  // namespace

HttpResponse JsonResponse(HttpStatus status, std::string json) {
  return HttpResponse{status, "application/json", std::move(json) + "\n", {}};
}

Api::Api(const CollectorConfig& config, const FleetState& state) : config_(config), state_(state) {}

bool Api::Authorized(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (config_.admin_token_sha256.empty() || !authorization.starts_with(kBearer)) return false;
  return ConstantTimeEquals(Sha256Hex(authorization.substr(kBearer.size())), config_.admin_token_sha256);
}

std::optional<HttpResponse> Api::Handle(const HttpRequest& request, int64_t now_ms) const {
  constexpr std::string_view kNodes = "/v1/nodes";
  if (!request.path.starts_with(kNodes)) return std::nullopt;
  if (config_.admin_token_sha256.empty()) {
    return TextResponse(HttpStatus::kForbidden, "no admin token is configured ([api] admin_token_file)");
  }
  if (!Authorized(request.authorization)) {
    return TextResponse(HttpStatus::kUnauthorized, "missing or wrong 'Authorization: Bearer <admin token>'");
  }
  if (request.method != "GET") return TextResponse(HttpStatus::kMethodNotAllowed, "use GET");

  std::map<std::string, NodeState> seen;
  for (NodeState& node : state_.Snapshot()) seen.emplace(node.node_id, std::move(node));
  const auto state_of = [&](const std::string& id) -> const NodeState* {
    const auto it = seen.find(id);
    return it == seen.end() ? nullptr : &it->second;
  };

  JsonWriter json;
  if (request.path == kNodes || request.path == "/v1/nodes/") {
    std::map<std::string, bool> ids;
    for (const auto& [id, entry] : config_.nodes) ids[id] = true;
    for (const auto& [id, state] : seen) ids[id] = true;
    json.BeginArray();
    for (const auto& [id, unused] : ids) WriteNodeSummary(id, config_, state_of(id), now_ms, json);
    json.EndArray();
    return JsonResponse(HttpStatus::kOk, json.Take());
  }
  const std::string id(request.path.substr(kNodes.size() + 1));
  const NodeState* state = state_of(id);
  if (state == nullptr && !config_.nodes.contains(id)) {
    return TextResponse(HttpStatus::kNotFound, fmt::format("no node '{}'", id));
  }
  json.BeginObject().Key("summary");
  WriteNodeSummary(id, config_, state, now_ms, json);
  json.Key("report");
  if (state != nullptr) {
    std::string report = ReportAsJson(*state->last_report);
    if (!report.empty() && report.back() == '\n') report.pop_back();
    json.Raw(report);
  } else {
    json.Null();
  }
  json.EndObject();
  return JsonResponse(HttpStatus::kOk, json.Take());
}

}  // namespace vigie::collector
