// Reports waiting for the collectors' acknowledgements, in RAM.
//
// Reports are kept serialized, oldest first, each with its position in the
// agent's stream. Every collector has its own cursor: a report leaves the
// spool once every collector has acknowledged it. When the spool is full the
// oldest report is dropped (for every collector) and counted: the newest data
// matters most when an outage ends, and the count says what was lost.
// Not thread-safe: the agent has one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace vigie::agent {

class ReportSpool {
 public:
  ReportSpool(size_t collectors, size_t max_reports);

  // Adds a serialized v1::Report; drops the oldest one first if full.
  void Append(std::string report);

  // The serialized v1::Batch of at most `max_reports` reports that collector
  // `collector` has not acknowledged yet, oldest first, and how many it holds.
  // Built by concatenating the stored bytes: no re-encoding.
  std::string NextBatch(size_t collector, size_t max_reports, size_t* count) const;

  // Collector `collector` durably stored the `count` oldest reports it had.
  void Acknowledge(size_t collector, size_t count);

  size_t pending(size_t collector) const;
  size_t size() const { return reports_.size(); }
  // Reports dropped because the spool was full, since start.
  uint64_t dropped() const { return dropped_; }

 private:
  void TrimAcknowledged();

  std::deque<std::string> reports_;
  uint64_t first_position_ = 0;  // stream position of reports_.front()
  std::vector<uint64_t> cursors_;  // per collector: next stream position to send
  size_t max_reports_;
  uint64_t dropped_ = 0;
};

}  // namespace vigie::agent
