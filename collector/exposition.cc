#include "collector/exposition.h"

#include <cmath>

#include <fmt/format.h>

namespace vigie::collector {

void Exposition::Family(std::string_view name, std::string_view type, std::string_view help) {
  name_ = name;
  pending_header_ = fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void Exposition::Sample(std::string_view labels, double value) {
  out_ += pending_header_;
  pending_header_.clear();
  out_ += name_;
  if (!labels.empty()) {
    out_ += '{';
    out_ += labels;
    out_ += '}';
  }
  out_ += ' ';
  if (std::isnan(value)) {
    out_ += "NaN";
  } else if (std::isinf(value)) {
    out_ += value > 0 ? "+Inf" : "-Inf";
  } else {
    fmt::format_to(std::back_inserter(out_), "{}", value);
  }
  out_ += '\n';
}

void Exposition::Sample(const SeriesLabels& labels, double value) {
  // Straight into the page, without a temporary per label: this is the
  // loop of a 10 000-node /metrics.
  label_text_.clear();
  for (const SeriesLabel& label : labels) {
    if (!label_text_.empty()) label_text_ += ',';
    label_text_ += label.name;
    label_text_ += "=\"";
    for (char c : label.value) {
      if (c == '\\') label_text_ += "\\\\";
      else if (c == '"') label_text_ += "\\\"";
      else if (c == '\n') label_text_ += "\\n";
      else label_text_ += c;
    }
    label_text_ += '"';
  }
  Sample(std::string_view(label_text_), value);
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string Label(std::string_view name, std::string_view value) {
  return fmt::format("{}=\"{}\"", name, EscapeLabelValue(value));
}

}  // namespace vigie::collector
