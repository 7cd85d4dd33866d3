// The seam between the agent's loop and the hardware: each source reads its
// part of the machine into a Report.
#pragma once

#include <cstdint>
#include <string_view>

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

// Appends a SourceError to the report.
void AddSourceError(v1::Report& report, std::string_view source, const Error& error);

v1::SourceError::Code ToWireCode(ErrorCode code);

}  // namespace vigie::agent
