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
//
// Bounded under hostile reports: a node's findings of one rule beyond
// Thresholds::max_alerts_per_rule fold into one (subject kMoreSubject); a
// clock off by more than max_clock_skew raises "clock wrong" (admins only),
// and a report's timestamp is used only when it is plausible (not ahead of
// its arrival, at most a year old, from a clock not known to be wrong); an
// uptime that is not a finite, plausible number of seconds is ignored.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
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
  // When a report last held it, to within kCounterSeenStepMs (so that a
  // counter that does not move is written once a day, not once a report);
  // 0: not known (a row from before this column).
  int64_t seen_ms = 0;
  bool operator==(const Counter&) const = default;
};
using Counters = std::map<std::string, Counter>;

inline constexpr int64_t kCounterSeenStepMs = 86'400'000;
// A disk not seen for this long (sold, replaced, or a serial that was never
// real) loses its baselines: should it come back, its counts start afresh.
inline constexpr int64_t kCounterExpiryMs = 30 * 86'400'000LL;
// At most this many counters per node (the least recently seen go first):
// the report limits' 256 disks with 7 counters each, and room to spare.
inline constexpr size_t kMaxCountersPerNode = 4096;

// Removes from `counters` those not seen for kCounterExpiryMs before
// `now_ms`, then the least recently seen beyond kMaxCountersPerNode; returns
// their keys. A counter of unknown seen_ms is taken as seen now. Linear (n
// log n when over the bound).
std::vector<std::string> ExpireCounters(Counters& counters, int64_t now_ms);

struct Evaluation {
  std::vector<Finding> findings;
  // (rule, subject) pairs this report evaluated: an active alert of this node
  // with such a key and no finding resolves. An empty subject stands for
  // every subject of that rule.
  std::set<std::pair<std::string, std::string>> evaluated;
  // Keys of the counters this report created or changed (to be saved); a key may repeat.
  std::vector<std::string> counters_changed;
  bool counters_created = false;  // some key is new: the node's counters grew
};

struct RuleInput {
  const v1::Report& report;
  const std::string& node;
  const std::string& site;
  const Thresholds& thresholds;
  int64_t received_ms;  // by the collector's clock
  // The node's clock minus the collector's, when the collector measured it
  // on a fresh push. nullopt: the report's own date against its arrival
  // tells, unless it is older than max_clock_skew allows (a backlog's
  // report, which says nothing of the clock).
  std::optional<int64_t> clock_skew_ms = std::nullopt;
};

Evaluation EvaluateReport(const RuleInput& input, Counters& counters,
                          const std::function<bool(const AlertKey&)>& is_active);

// What the findings of `rule` are, in the plural: "filesystems nearly full"
// (the words of a folded finding, kMoreSubject).
std::string_view FoldedWhat(std::string_view rule);

// "14:02" today, "Mon 25 Nov 14:02" otherwise, in the local time zone.
std::string FormatTime(int64_t unix_ms, int64_t now_ms);
// "10 minutes", "3 hours", "2 days".
std::string FormatDuration(int64_t ms);

}  // namespace vigie::alerting
