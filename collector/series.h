// A series as the collector names it: a metric family and its labels, the
// same for the text exposition (GET /metrics) and remote_write. The code
// that turns a report into series writes them to a SeriesSink, which either
// renders text, keeps them compact for later (NodeSeries) or collects
// samples.
#pragma once

#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace vigie::collector {

struct SeriesLabel {
  std::string_view name;  // always a string literal: label names are fixed in code
  std::string value;      // unescaped
};
// In the order /metrics writes them (node, site, then the reading's own).
using SeriesLabels = std::vector<SeriesLabel>;

// A label whose name and value live elsewhere (value unescaped).
struct LabelRef {
  std::string_view name;
  std::string_view value;
};

// A sample's labels as views, on the stack: a series is written without
// allocating. Holds at most kMax labels (the most a family has is 8: node,
// site, disk, model, serial, kind, firmware, status); the views must outlive
// the sink's Sample call.
class LabelRefs {
 public:
  static constexpr size_t kMax = 8;

  LabelRefs() = default;
  LabelRefs(const SeriesLabels& labels) {  // NOLINT: implicit, as a view of them
    for (const SeriesLabel& label : labels) Add({label.name, label.value});
  }

  // These labels followed by `extra`, copied label by label: a copy of the
  // whole array was a string move instruction slow to start, about a third
  // of the family loops' own time when a push builds its NodeSeries.
  LabelRefs With(std::initializer_list<LabelRef> extra) const {
    LabelRefs labels;
    for (const LabelRef& label : *this) labels.Add(label);
    for (const LabelRef& label : extra) labels.Add(label);
    return labels;
  }

  const LabelRef* begin() const { return labels_.data(); }
  const LabelRef* end() const { return labels_.data() + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  void Add(LabelRef label) {
    // More labels than kMax is a programming error that any test rendering
    // the family meets: stop there in every build rather than write past
    // the array.
    if (size_ == kMax) {
      std::fputs("LabelRefs: more than LabelRefs::kMax labels in a series\n", stderr);
      std::abort();
    }
    labels_[size_++] = label;
  }

  std::array<LabelRef, kMax> labels_{};
  size_t size_ = 0;
};

// Receives families and their samples, family by family. Not thread-safe.
class SeriesSink {
 public:
  virtual ~SeriesSink() = default;
  // Starts a family (`name`, `type` and `help` outlive the sink: string literals).
  virtual void Family(std::string_view name, std::string_view type, std::string_view help) = 0;
  // A sample of the current family.
  virtual void Sample(const LabelRefs& labels, double value) = 0;
};

}  // namespace vigie::collector
