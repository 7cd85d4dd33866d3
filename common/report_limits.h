// The bounds of one report, shared by the agent, which caps what it builds so
// that a collector never refuses it, and the collector, which refuses (400,
// with the reason) a report over them. The defaults are far above what a
// real machine sends and far below what would cost a collector dearly; the
// collector's `[ingest.limits]` may change them (collector_config.h).
#pragma once

#include <cstddef>
#include <string>

#include "vigie.pb.h"

namespace vigie {

struct ReportLimits {
  // Serialized, unknown fields (of a newer agent) included: the one bound on
  // those, which protobuf-lite keeps as bytes without naming them.
  size_t max_report_bytes = 256 * 1024;
  size_t max_sensors = 1024;
  size_t max_disks = 256;
  size_t max_attributes_per_disk = 256;
  size_t max_nvme_temperature_sensors = 16;
  size_t max_filesystems = 256;
  size_t max_rapl_zones = 64;
  size_t max_batteries = 16;
  size_t max_events = 64;
  size_t max_source_errors = 256;
  size_t max_name_bytes = 256;      // labels, chips, models, serials, mountpoints...
  size_t max_message_bytes = 1024;  // error and event messages
};

// "" when `report` is within `limits` and its strings are printable UTF-8
// (common/printable.h); otherwise the first reason, naming the field, e.g.
// "disks[3].serial is not printable UTF-8" or "412 disks, over the limit of 256".
std::string ReportLimitViolation(const v1::Report& report, const ReportLimits& limits);
// The same for a report whose serialized size is known (its bytes as
// received), which spares computing it again.
std::string ReportLimitViolation(const v1::Report& report, const ReportLimits& limits, size_t serialized_bytes);

// Brings `report` within `limits`: strings made printable and cut, repeated
// fields cut to their limit (the first ones kept). Returns how many items
// were dropped, so the caller can say so. A report still over
// max_report_bytes after this is left as it is (ReportLimitViolation still
// names it).
size_t CapReport(v1::Report& report, const ReportLimits& limits);

}  // namespace vigie
