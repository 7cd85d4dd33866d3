#include "alerting/alert_json.h"

#include "common/json_writer.h"

namespace vigie::alerting {

std::string AlertsJson(const std::vector<Alert>& alerts) {
  JsonWriter json;
  json.BeginArray();
  for (const Alert& a : alerts) {
    json.BeginObject()
        .Key("id").Int(a.id)
        .Key("rule").String(a.key.rule)
        .Key("site").String(a.key.site)
        .Key("node").String(a.key.node)
        .Key("subject").String(a.key.subject)
        .Key("severity").String(SeverityName(a.severity))
        .Key("state").String(AlertStateName(a.state))
        .Key("summary").String(a.summary)
        .Key("started_ms").Int(a.started_ms)
        .Key("fired_ms").Int(a.fired_ms)
        .Key("resolved_ms").Int(a.resolved_ms)
        .Key("acked_by").String(a.acked_by)
        .Key("acked_ms").Int(a.acked_ms)
        .Key("escalated").Bool(a.escalated)
        .EndObject();
  }
  json.EndArray();
  return json.Take();
}

std::string SilencesJson(const std::vector<Silence>& silences) {
  JsonWriter json;
  json.BeginArray();
  for (const Silence& s : silences) {
    json.BeginObject()
        .Key("id").Int(s.id)
        .Key("rule").String(s.rule)
        .Key("site").String(s.site)
        .Key("node").String(s.node)
        .Key("until_ms").Int(s.until_ms)
        .Key("reason").String(s.reason)
        .Key("created_by").String(s.created_by)
        .Key("created_ms").Int(s.created_ms)
        .EndObject();
  }
  json.EndArray();
  return json.Take();
}

}  // namespace vigie::alerting
