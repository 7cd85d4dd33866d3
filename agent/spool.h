// Reports waiting for the collectors' acknowledgements, in RAM.
//
// Reports are kept serialized, oldest first. Every collector has its own
// cursor: a report leaves the spool once every collector has acknowledged
// it. When the spool is full the oldest report is dropped (for every
// collector) and counted: when an outage ends, the newest data matters most,
// and the count says what was lost. Not thread-safe: the agent has one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "agent/spool_file.h"

namespace vigie::agent {

class ReportSpool {
 public:
  ReportSpool(std::vector<std::string> collector_urls, size_t max_reports);

  // Adds a serialized v1::Report at monotonic time `now_ns`; drops the
  // oldest one first if full.
  void Append(std::string report, int64_t now_ns);

  // The serialized v1::Batch of at most `max_reports` reports that collector
  // `collector` has not acknowledged yet, oldest first, and how many it holds.
  // Built by concatenating the stored bytes: no re-encoding.
  std::string NextBatch(size_t collector, size_t max_reports, size_t* count) const;

  // Collector `collector` durably stored the `count` oldest reports it had.
  void Acknowledge(size_t collector, size_t count);

  size_t pending(size_t collector) const;
  size_t size() const { return reports_.size(); }
  size_t collectors() const { return urls_.size(); }
  // Reports dropped because the spool was full, since start.
  uint64_t dropped() const { return dropped_; }
  // When the oldest report that some collector still lacks was appended.
  std::optional<int64_t> oldest_unsent_ns() const;

  // What the spool file keeps: the reports and each collector's progress.
  SpoolContents Contents() const;
  // Replaces everything with `contents`, matching collectors by URL; a
  // collector that `contents` does not know gets every report. Reports over
  // the capacity are dropped oldest first and counted.
  void Restore(const SpoolContents& contents, int64_t now_ns);

 private:
  void TrimAcknowledged();

  std::vector<std::string> urls_;
  std::deque<std::string> reports_;
  std::deque<int64_t> appended_ns_;  // parallel to reports_
  uint64_t first_position_ = 0;     // stream position of reports_.front()
  std::vector<uint64_t> cursors_;   // per collector: next stream position to send
  size_t max_reports_;
  uint64_t dropped_ = 0;
};

}  // namespace vigie::agent
