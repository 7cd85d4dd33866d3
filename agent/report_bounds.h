// The agent's last word on a report before it is spooled: within the bounds
// a collector accepts (common/report_limits.h), so that no batch the agent
// built itself is ever refused with a 400. The sources already write
// printable, bounded text (agent/sources/source.h); this caps what they
// cannot know, the number of items and the report's size.
//
// A report over its bounds is repaired with CapReport (lists cut to their
// limits, text made printable); one still over max_report_bytes then loses
// half of its largest list (the last items) until it fits. What was dropped
// is said twice: in the report itself, as a SourceError of source "agent"
// (the collector shows it), and in the log, once for each kind of excess
// (the first bound the report broke, counts aside), not every cycle.
// Costs one walk over the report when it is within bounds. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "common/report_limits.h"
#include "vigie.pb.h"

namespace vigie::agent {

class ReportBounds {
 public:
  explicit ReportBounds(const ReportLimits& limits);

  // Brings `report` within the limits; returns how many items were dropped.
  size_t Apply(v1::Report& report);
  // Items dropped by Apply since start.
  uint64_t items_dropped() const { return items_dropped_; }

 private:
  ReportLimits limits_;
  std::set<std::string> logged_kinds_;
  uint64_t items_dropped_ = 0;
};

}  // namespace vigie::agent
