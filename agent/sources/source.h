// The seam between the agent's loop and the hardware: each source reads its
// part of the machine into a Report.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/report_limits.h"
#include "common/result.h"
#include "vigie.pb.h"

namespace vigie::agent {

// What a collection cycle knows when it calls the sources.
struct CollectContext {
  // Wall clock, for timestamps that leave the machine.
  int64_t wall_unix_ms = 0;
  // CLOCK_MONOTONIC in nanoseconds, for rates (RAPL watts) that must not jump
  // with the wall clock.
  int64_t monotonic_ns = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  // Short stable name used in SourceError.source and logs, e.g. "system".
  virtual std::string_view name() const = 0;
  // Adds this source's readings to `report`. Never throws: a failed read is
  // recorded with AddSourceError and the rest of the report goes on.
  virtual void Collect(const CollectContext& context, v1::Report& report) = 0;
  // SIGHUP: re-read what the source set up once (libsensors' chips and
  // configuration). Failures are logged and reported by the next Collect.
  virtual void OnReload() {}
};

// The bounds the agent keeps its reports within (common/report_limits.h):
// the collector's defaults, so that a collector left at them never refuses
// a report for its size or its text.
const ReportLimits& AgentReportLimits();

// Text read from the machine (a drive's IDENTIFY strings, a sysfs name or
// label, a mount point, an error message) as a report carries it: printable
// UTF-8 (common/printable.h, a stray byte becomes U+FFFD), cut to
// max_name_bytes or max_message_bytes. Every string a source puts in a
// report goes through one of these: a drive with a 0xff in its model must
// not cost the node its reports.
std::string ReportName(std::string_view text);
std::string ReportMessage(std::string_view text);

// Appends a SourceError to the report, its text made a ReportMessage.
void AddSourceError(v1::Report& report, std::string_view source, const Error& error);

v1::SourceError::Code ToWireCode(ErrorCode code);

}  // namespace vigie::agent
