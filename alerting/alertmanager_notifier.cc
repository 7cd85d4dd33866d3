#include "alerting/alertmanager_notifier.h"

#include <time.h>

#include <fmt/format.h>

#include "alerting/http_call.h"
#include "common/json_writer.h"
#include "common/log.h"
#include "common/printable.h"

namespace vigie::alerting {

std::string Rfc3339(int64_t unix_ms) {
  const time_t t = static_cast<time_t>(unix_ms / 1000);
  struct tm utc {};
  gmtime_r(&t, &utc);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(unix_ms % 1000));
}

std::string AlertmanagerBody(const std::vector<AlertmanagerAlert>& alerts) {
  JsonWriter json;
  json.BeginArray();
  for (const AlertmanagerAlert& a : alerts) {
    json.BeginObject().Key("labels").BeginObject();
    json.Key("alertname").String(a.rule);
    json.Key("rule").String(a.rule);
    json.Key("severity").String(a.severity);
    if (!a.site.empty()) json.Key("site").String(a.site);
    if (!a.node.empty()) json.Key("node").String(a.node);
    if (!a.subject.empty()) json.Key("subject").String(a.subject);
    json.EndObject();
    json.Key("annotations").BeginObject().Key("summary").String(a.summary).Key("description").String(a.advice).EndObject();
    json.Key("startsAt").String(Rfc3339(a.starts_ms));
    json.Key("endsAt").String(Rfc3339(a.ends_ms));
    if (!a.generator_url.empty()) json.Key("generatorURL").String(a.generator_url);
    json.EndObject();
  }
  json.EndArray();
  return json.Take();
}

AlertmanagerNotifier::AlertmanagerNotifier(AlertmanagerConfig config, int64_t timeout_ms)
    : config_(std::move(config)), timeout_ms_(timeout_ms) {}

bool AlertmanagerNotifier::Push(const std::vector<AlertmanagerAlert>& alerts) {
  auto answer = HttpCall("POST", config_.url + "/api/v2/alerts", {"Content-Type: application/json"},
                         AlertmanagerBody(alerts), timeout_ms_);
  if (!answer) {
    LogWarning("alerting: alertmanager: {}", answer.error().message);
    return false;
  }
  if (answer->status != 200) {
    LogWarning("alerting: alertmanager answered {}: {}", answer->status, PrintableUtf8(answer->body, 200));
    return false;
  }
  return true;
}

}  // namespace vigie::alerting
