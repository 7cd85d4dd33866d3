// Writing the Prometheus text exposition format 0.0.4: families with HELP
// and TYPE, their samples together, label values escaped. A family with no
// sample is left out entirely.
#pragma once

#include <string>
#include <string_view>

#include "collector/series.h"

namespace vigie::collector {

class Exposition : public SeriesSink {
 public:
  // Starts a family; its header is written with its first sample.
  void Family(std::string_view name, std::string_view type, std::string_view help) override;
  // A sample of the current family; `labels` is `a="x",b="y"` or empty.
  void Sample(std::string_view labels, double value);
  // The same, labels written in their order as name="escaped value".
  void Sample(const SeriesLabels& labels, double value) override;
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
  std::string name_;
  std::string pending_header_;
  std::string label_text_;  // reused between samples
};

// name="value", the value escaped (\\, \", \n).
std::string Label(std::string_view name, std::string_view value);
std::string EscapeLabelValue(std::string_view value);

}  // namespace vigie::collector
