#include "collector/api.h"

#include <charconv>
#include <map>

#include <fmt/format.h>

#include "alerting/alert_json.h"
#include "collector/token.h"
#include "common/json_writer.h"
#include "common/report_json.h"

namespace vigie::collector {
namespace {

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
    json.Key("serial").String(disk.serial()).Key("health").String(DiskHealthLabel(disk.health()));
    json.Key("status").String(DiskStatusLabel(disk.status()));
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

Api::Api(const CollectorConfig& config, const FleetState& state, alerting::Engine* alerts)
    : config_(config), state_(state), alerts_(alerts) {}

std::optional<HttpResponse> Api::HandleAlerts(const HttpRequest& request, int64_t now_ms) const {
  const auto failed = [](const Error& error) {
    return TextResponse(error.code == ErrorCode::kNotFound ? HttpStatus::kNotFound : HttpStatus::kInternalServerError,
                        error.message);
  };
  const auto argument = [&](const char* name) {
    const auto it = request.query.find(name);
    return it == request.query.end() ? std::string() : it->second;
  };
  const auto id_after = [](std::string_view path, std::string_view prefix) -> std::optional<int64_t> {
    path.remove_prefix(prefix.size());
    int64_t id = 0;
    const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), id);
    // The rest of the view, not of the string behind it: a path is not
    // NUL-terminated where the view ends.
    const std::string_view rest(end, static_cast<size_t>(path.data() + path.size() - end));
    if (ec != std::errc() || (!rest.empty() && rest != "/ack")) return std::nullopt;
    return id;
  };
  if (request.path == "/v1/alerts") {
    if (request.method != "GET") return TextResponse(HttpStatus::kMethodNotAllowed, "use GET");
    auto alerts = alerts_->ListAlerts(argument("all") == "1");
    if (!alerts) return failed(alerts.error());
    return JsonResponse(HttpStatus::kOk, alerting::AlertsJson(*alerts));
  }
  if (request.path.starts_with("/v1/alerts/") && request.path.ends_with("/ack")) {
    if (request.method != "POST") return TextResponse(HttpStatus::kMethodNotAllowed, "use POST");
    const std::optional<int64_t> id = id_after(request.path, "/v1/alerts/");
    if (!id) return TextResponse(HttpStatus::kBadRequest, "expected /v1/alerts/{id}/ack");
    const std::string by = argument("by").empty() ? "admin" : argument("by");
    auto alert = alerts_->Acknowledge(*id, by, now_ms);
    if (!alert) return failed(alert.error());
    return JsonResponse(HttpStatus::kOk, alerting::AlertsJson({*alert}));
  }
  if (request.path == "/v1/test-alert") {
    if (request.method != "POST") return TextResponse(HttpStatus::kMethodNotAllowed, "use POST");
    if (Result<void> queued = alerts_->SendTestMessage(argument("site"), now_ms); !queued) return failed(queued.error());
    return JsonResponse(HttpStatus::kOk, "{\"queued\":true}");
  }
  if (request.path == "/v1/silences") {
    if (request.method == "GET") {
      auto silences = alerts_->ListSilences(now_ms);
      if (!silences) return failed(silences.error());
      return JsonResponse(HttpStatus::kOk, alerting::SilencesJson(*silences));
    }
    if (request.method != "POST") return TextResponse(HttpStatus::kMethodNotAllowed, "use GET or POST");
    alerting::Silence silence;
    silence.node = argument("node");
    silence.site = argument("site");
    silence.rule = argument("rule");
    silence.reason = argument("reason");
    silence.created_by = argument("by").empty() ? "admin" : argument("by");
    silence.created_ms = now_ms;
    const std::string until = argument("until_ms");
    const auto [end, ec] = std::from_chars(until.data(), until.data() + until.size(), silence.until_ms);
    if (ec != std::errc() || end != until.data() + until.size() || silence.until_ms <= now_ms) {
      return TextResponse(HttpStatus::kBadRequest, "until_ms must be a time in the future, in ms since the epoch");
    }
    if (silence.node.empty() && silence.site.empty() && silence.rule.empty()) {
      return TextResponse(HttpStatus::kBadRequest, "a silence needs node, site or rule");
    }
    if (silence.reason.empty()) return TextResponse(HttpStatus::kBadRequest, "a silence needs a reason");
    auto id = alerts_->AddSilence(silence);
    if (!id) return failed(id.error());
    return JsonResponse(HttpStatus::kOk, fmt::format("{{\"id\":{}}}", *id));
  }
  if (request.path.starts_with("/v1/silences/")) {
    if (request.method != "DELETE") return TextResponse(HttpStatus::kMethodNotAllowed, "use DELETE");
    const std::optional<int64_t> id = id_after(request.path, "/v1/silences/");
    if (!id) return TextResponse(HttpStatus::kBadRequest, "expected /v1/silences/{id}");
    auto removed = alerts_->RemoveSilence(*id);
    if (!removed) return failed(removed.error());
    if (!*removed) return TextResponse(HttpStatus::kNotFound, fmt::format("no silence {}", *id));
    return JsonResponse(HttpStatus::kOk, "{\"removed\":true}");
  }
  return std::nullopt;
}

bool Api::Authorized(std::string_view authorization) const {
  const std::optional<std::string_view> token = BearerToken(authorization);
  if (config_.admin_token_sha256.empty() || !token) return false;
  return ConstantTimeEquals(Sha256Hex(*token), config_.admin_token_sha256);
}

std::optional<HttpResponse> Api::Handle(const HttpRequest& request, int64_t now_ms) const {
  constexpr std::string_view kNodes = "/v1/nodes";
  const bool alerting = request.path.starts_with("/v1/alerts") || request.path.starts_with("/v1/silences") ||
                        request.path == "/v1/test-alert";
  if (!request.path.starts_with(kNodes) && !alerting) return std::nullopt;
  if (config_.admin_token_sha256.empty()) {
    return TextResponse(HttpStatus::kForbidden, "no admin token is configured ([api] admin_token_file)");
  }
  if (!Authorized(request.authorization)) {
    return TextResponse(HttpStatus::kUnauthorized, "missing or wrong 'Authorization: Bearer <admin token>'");
  }
  if (alerting) {
    if (alerts_ == nullptr) return TextResponse(HttpStatus::kNotFound, "alerting is not running");
    return HandleAlerts(request, now_ms).value_or(TextResponse(HttpStatus::kNotFound, "no such endpoint"));
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
