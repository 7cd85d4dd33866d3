// A series as the collector names it: a metric family and its labels, the
// same for the text exposition (GET /metrics) and remote_write. The code
// that turns a report into series writes them to a SeriesSink, which either
// renders text or collects samples.
#pragma once

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

// `base` followed by `extra`.
inline SeriesLabels With(const SeriesLabels& base, std::initializer_list<SeriesLabel> extra) {
  SeriesLabels labels;
  labels.reserve(base.size() + extra.size());
  labels.insert(labels.end(), base.begin(), base.end());
  labels.insert(labels.end(), extra.begin(), extra.end());
  return labels;
}

// Receives families and their samples, family by family. Not thread-safe.
class SeriesSink {
 public:
  virtual ~SeriesSink() = default;
  // Starts a family (`name` and `type` outlive the sink: string literals).
  virtual void Family(std::string_view name, std::string_view type, std::string_view help) = 0;
  // A sample of the current family.
  virtual void Sample(const SeriesLabels& labels, double value) = 0;
};

}  // namespace vigie::collector
