// A node's series for GET /metrics, kept between scrapes in a compact form so
// that a scrape copies bytes instead of walking reports: each distinct label
// of the node (`,chip="coretemp-isa-0000"`) is escaped and stored once; each
// sample keeps the indices of its labels and its value already as text.
// A typical 60-reading report (154 samples) takes 3.0 KiB and 12-14 us of
// CPU to build with the thread's buffers warm, 25-28 us in bench/ingest
// --render-only (fresh buffers), on the shared 2-core VM.
// Immutable once built; safe to share between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vigie.pb.h"

namespace vigie::collector {

struct FamilyInfo {
  std::string_view name;  // string literals
  std::string_view type;
  std::string_view help;
};
// The families of AppendReportMetrics, in its order.
const std::vector<FamilyInfo>& ReportFamilies();

class NodeSeries {
 public:
  // Far above the series of a real machine, even one with dozens of disks;
  // far below what the largest report accepted could make (a report of
  // small ATA attributes makes many times its size in series, and more in
  // every scrape's page).
  static constexpr size_t kDefaultMaxBytes = 1 << 20;

  // The series AppendReportMetrics writes for `report`, without the node's
  // own labels (node, site), which the scrape adds. Once the series hold
  // `max_bytes` (labels and samples), the later samples are dropped and
  // counted (dropped_samples()); every family still has its place.
  explicit NodeSeries(const v1::Report& report, size_t max_bytes = kDefaultMaxBytes);
  ~NodeSeries();
  NodeSeries(const NodeSeries&) = delete;
  NodeSeries& operator=(const NodeSeries&) = delete;

  // Appends this node's lines of family `family` (an index in
  // ReportFamilies(), whose name is `name`), each
  // `name{<node_labels><the sample's labels>} value\n`, exactly as
  // Exposition writes them. `node_labels` is `node="a",site="b"`, escaped.
  void AppendLines(size_t family, std::string_view name, std::string_view node_labels, std::string& out) const;

  // Asks the processor to load what AppendLines(family, ...) will read. A
  // scrape writes each family for every node in turn, and each call waited
  // for its node's memory: called a few nodes ahead, this took the render
  // of 10 000 nodes from 102-107 to 92-94 ms of CPU.
  void Prefetch(size_t family) const;

  // Heap bytes held, for the benchmark.
  size_t HeapBytes() const;

  // Samples left out for max_bytes.
  size_t dropped_samples() const { return dropped_samples_; }

 private:
  class Recorder;

  // The index-th uint32_t of the array at data_[at].
  uint32_t End(uint32_t at, uint32_t index) const;

  // One buffer of size_ bytes (pooled: see node_series.cc), in this order:
  // the end of each family's samples (uint32_t, from the start of the
  // samples), the end of each label (uint32_t, from the start of the
  // labels), the labels (`,name="escaped value"` one after another), then
  // per sample its label count (one byte), its labels' indices (LEB128), its
  // value's length (one byte) and text.
  char* data_ = nullptr;
  size_t size_ = 0;
  uint32_t label_ends_at_ = 0;
  uint32_t labels_at_ = 0;
  uint32_t samples_at_ = 0;
  size_t dropped_samples_ = 0;
};

}  // namespace vigie::collector
