// Reports waiting for the collectors' acknowledgements, in RAM.
//
// Reports are kept serialized, oldest first, and compressed: consecutive
// reports are nearly identical, so every kReferenceEvery-th report is kept
// as is (a reference) and the others as raw deflate streams with their
// reference as the preset dictionary (RFC 1951; zlib's deflateSetDictionary).
// Not the previous report as the dictionary: decoding one report would then
// need the whole chain before it. A 1 000-report backlog of the recorded
// desktop host (1.26 MB serialized) takes 79 kB (bench/agent_footprint).
// Decoding one report needs only its reference, which stays alive (shared)
// as long as a report compressed against it does. Every accessor returns
// exactly the bytes given to Append; a zlib failure costs RAM
// (the report is kept as is), never a report. Costs per Append one deflate
// and one check inflate (~64 kB of zlib state for the call), per report
// returned one inflate.
//
// Every collector has its own cursor: a report leaves the spool once every
// collector has acknowledged it. When the spool is full the oldest report is dropped (for every
// collector) and counted: when an outage ends, the newest data matters most,
// and the count says what was lost. Not thread-safe: the agent has one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
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
  // Bytes the reports take in RAM (string capacities), compressed;
  // references counted once.
  size_t stored_bytes() const;
  // Reports dropped because the spool was full, since start.
  uint64_t dropped() const { return dropped_; }
  // When the oldest report that some collector still lacks was appended.
  std::optional<int64_t> oldest_unsent_ns() const;

  // What the spool file keeps: the reports and each collector's progress,
  // all expanded at once (the whole spool serialized in RAM), for tests and
  // inspection; the agent itself never calls it.
  SpoolContents Contents() const;
  // The same, one piece at a time, for writing the file without expanding
  // the whole spool in RAM: each collector's progress, and report i
  // (0 = oldest) as serialized.
  std::vector<SpoolCollectorState> CollectorStates() const;
  std::string ReportAt(size_t index) const;
  // Restores the spool file one report at a time: StartRestore empties the
  // spool, Append takes the file's reports in order (the oldest dropped and
  // counted when over capacity), FinishRestore sets each collector's
  // progress, matched by URL and counted from the first report given; a
  // collector the file does not know gets every report.
  void StartRestore();
  void FinishRestore(const std::vector<SpoolCollectorState>& collectors);
  // After a configuration reload: the reports stay as stored (never
  // expanded), a collector whose URL is kept keeps its cursor, a new one
  // gets every report, a removed one no longer holds any back; over the new
  // capacity the oldest are dropped and counted.
  void Reconfigure(std::vector<std::string> collector_urls, size_t max_reports);

 private:
  // One report as stored: a reference (its bytes are *reference), a deflate
  // stream against *reference, or, when deflate gained nothing, the bytes.
  struct Stored {
    enum class Kind : uint8_t { kReference, kDeflated, kPlain };
    Kind kind = Kind::kPlain;
    uint32_t size = 0;  // of the serialized report
    std::shared_ptr<const std::string> reference;
    std::string bytes;  // kDeflated: the stream; kPlain: the report
  };
  static constexpr size_t kReferenceEvery = 32;

  Stored Store(std::string report);
  std::string Load(const Stored& stored) const;
  void TrimAcknowledged();

  std::vector<std::string> urls_;
  std::deque<Stored> reports_;
  std::shared_ptr<const std::string> reference_;  // for the next Append
  size_t since_reference_ = 0;
  std::deque<int64_t> appended_ns_;  // parallel to reports_
  uint64_t first_position_ = 0;     // stream position of reports_.front()
  std::vector<uint64_t> cursors_;   // per collector: next stream position to send
  size_t max_reports_;
  uint64_t dropped_ = 0;
};

}  // namespace vigie::agent
