// The built-in rules over one report: pure functions, no I/O, no clock.
//
// Rules that need history (a SMART count that rises) read and update
// `counters`, which the engine persists (alert_db.h). Rules with hysteresis
// ask `is_active` whether their alert is already raised.
//
// Facts honoured (see /work/shared/realdrives and vigie.proto):
//  - only the decoded raw counts (AtaAttribute.raw_decoded) of attributes 5,
//    187, 188, 197, 198 (above zero, and every rise) and 199 (a rise: a
//    cable) are read; packed vendor raw values (Seagate's 1, 7, 195, or a
//    188 printed "2 2 2") and counts of 2^32 or more never fire a rule;
//  - NVMe available spare counts only when its threshold is above 0 (QEMU
//    reports 0 % spare with a 0 % threshold);
//  - NVMe media errors above zero fire, except implausible values (SK hynix
//    BC501 firmware reports ~4.5e24).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "alerting/alert.h"
#include "alerting/alerting_config.h"
#include "vigie.pb.h"

namespace vigie::alerting {

// A monotonic SMART count as last seen; key "SERIAL/ID" (ATA) or "SERIAL/media_errors".
struct Counter {
  int64_t first_value = 0;
  int64_t first_ms = 0;
  int64_t value = 0;
  int64_t value_ms = 0;      // since when `value` holds
  int64_t last_rise_ms = 0;  // 0: never rose since first seen
  int64_t rise_from = 0;     // the value before the last rise
  int64_t rise_from_ms = 0;  // when that value was seen
  bool operator==(const Counter&) const = default;
};
using Counters = std::map<std::string, Counter>;

struct Evaluation {
  std::vector<Finding> findings;
  // (rule, subject) pairs this report evaluated: an active alert of this node
  // with such a key and no finding resolves. An empty subject stands for
  // every subject of that rule.
  std::set<std::pair<std::string, std::string>> evaluated;
};

struct RuleInput {
  const v1::Report& report;
  const std::string& node;
  const std::string& site;
  const Thresholds& thresholds;
  int64_t received_ms;
};

Evaluation EvaluateReport(const RuleInput& input, Counters& counters,
                          const std::function<bool(const AlertKey&)>& is_active);

// "14:02" today, "Mon 25 Nov 14:02" otherwise, in the local time zone.
std::string FormatTime(int64_t unix_ms, int64_t now_ms);
// "10 minutes", "3 hours", "2 days".
std::string FormatDuration(int64_t ms);

}  // namespace vigie::alerting
