#include "collector/exposition.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

namespace vigie::collector {

// Runs without a special character are appended whole: label values seldom
// have one.
void AppendEscaped(std::string& out, std::string_view value) {
  size_t start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c != '\\' && c != '"' && c != '\n') continue;
    out.append(value.substr(start, i - start));
    out += c == '\\' ? "\\\\" : c == '"' ? "\\\"" : "\\n";
    start = i + 1;
  }
  out.append(value.substr(start));
}

size_t WriteValue(std::span<char, kMaxValueChars> out, double value) {
  // Most values are whole numbers (counters, bytes, limits): below 1e15 the
  // shortest round-trip form is their digits, which to_chars writes for a
  // fraction of the cost. -0 keeps its sign through the general case.
  if (std::abs(value) < 1e15 && value == std::trunc(value) && !(value == 0 && std::signbit(value))) {
    return static_cast<size_t>(std::to_chars(out.data(), out.data() + out.size(), static_cast<int64_t>(value)).ptr -
                               out.data());
  }
  const auto copy = [&](std::string_view text) {
    std::memcpy(out.data(), text.data(), text.size());
    return text.size();
  };
  if (std::isnan(value)) return copy("NaN");
  if (std::isinf(value)) return copy(value > 0 ? "+Inf" : "-Inf");
  return fmt::format_to_n(out.data(), out.size(), "{}", value).size;
}

void AppendValue(std::string& out, double value) {
  char text[kMaxValueChars];
  out.append(text, WriteValue(text, value));
}

std::string FamilyHeader(std::string_view name, std::string_view type, std::string_view help) {
  return fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void AppendSampleLine(std::string& out, std::string_view name, std::string_view labels, double value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  AppendValue(out, value);
  out += '\n';
}

void AppendLabels(std::string& out, const LabelRefs& labels) {
  bool first = true;
  for (const LabelRef& label : labels) {
    if (!first) out += ',';
    first = false;
    out += label.name;
    out += "=\"";
    AppendEscaped(out, label.value);
    out += '"';
  }
}

void Exposition::Family(std::string_view name, std::string_view type, std::string_view help) {
  name_ = name;
  pending_header_ = FamilyHeader(name, type, help);
}

void Exposition::Sample(std::string_view labels, double value) {
  if (stopped_) return;
  out_ += pending_header_;
  pending_header_.clear();
  AppendSampleLine(out_, name_, labels, value);
  MaybeFlush();
}

void Exposition::Raw(std::string_view text) {
  if (stopped_) return;
  out_ += text;
  MaybeFlush();
}

void Exposition::MaybeFlush() {
  if (!flush_ || out_.size() < kChunkBytes) return;
  stopped_ = !flush_(out_);
  out_.clear();
  // One allocation per piece rather than a doubling series of them.
  out_.reserve(kChunkBytes + kChunkBytes / 4);
}

void Exposition::Sample(const LabelRefs& labels, double value) {
  if (stopped_) return;
  // Straight into the page, without a temporary: this is the loop of a
  // 10 000-node /metrics.
  out_ += pending_header_;
  pending_header_.clear();
  out_ += name_;
  if (!labels.empty()) {
    out_ += '{';
    AppendLabels(out_, labels);
    out_ += '}';
  }
  out_ += ' ';
  AppendValue(out_, value);
  out_ += '\n';
  MaybeFlush();
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  AppendEscaped(out, value);
  return out;
}

std::string Label(std::string_view name, std::string_view value) {
  return fmt::format("{}=\"{}\"", name, EscapeLabelValue(value));
}

}  // namespace vigie::collector
