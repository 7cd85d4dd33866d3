// Writing the Prometheus text exposition format 0.0.4: families with HELP
// and TYPE, their samples together, label values escaped. A family with no
// sample is left out entirely.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "collector/series.h"

namespace vigie::collector {

class Exposition : public SeriesSink {
 public:
  // Receives the page in pieces of about kChunkBytes as it grows (the piece
  // may be moved from); returns false to stop: later samples are dropped.
  using Flush = std::function<bool(std::string& piece)>;
  static constexpr size_t kChunkBytes = 256 * 1024;

  // The whole page stays in memory until Take().
  Exposition() = default;
  // The page goes to `flush` piece by piece; Take() returns the last piece.
  explicit Exposition(Flush flush) : flush_(std::move(flush)) {}

  // Starts a family; its header is written with its first sample.
  void Family(std::string_view name, std::string_view type, std::string_view help) override;
  // A sample of the current family; `labels` is `a="x",b="y"` or empty.
  void Sample(std::string_view labels, double value);
  // The same, labels written in their order as name="escaped value".
  void Sample(const LabelRefs& labels, double value) override;
  // Lines of the current family that `write` appends to the page (whole
  // lines, as AppendSampleLine writes them); the family's header goes first
  // if `write` appended any.
  template <class Write>
  void Lines(const Write& write) {
    if (stopped_) return;
    const size_t before = out_.size();
    out_ += pending_header_;
    const size_t with_header = out_.size();
    write(out_);
    if (out_.size() == with_header) {
      out_.resize(before);
      return;
    }
    pending_header_.clear();
    MaybeFlush();
  }
  // Text written as is (a part rendered elsewhere, whole families).
  void Raw(std::string_view text);
  std::string Take() { return std::move(out_); }

 private:
  void MaybeFlush();

  Flush flush_;
  bool stopped_ = false;
  std::string out_;
  std::string name_;
  std::string pending_header_;
};

// "# HELP name help\n# TYPE name type\n".
std::string FamilyHeader(std::string_view name, std::string_view type, std::string_view help);
// One sample line, `name{labels} value\n` (no braces when `labels` is empty),
// the value as Prometheus parses it (NaN, +Inf, -Inf, shortest round-trip).
void AppendSampleLine(std::string& out, std::string_view name, std::string_view labels, double value);
// `a="x",b="y"`: the labels in their order, values escaped, appended to `out`.
void AppendLabels(std::string& out, const LabelRefs& labels);
// The value as Prometheus parses it (NaN, +Inf, -Inf, shortest round-trip).
void AppendValue(std::string& out, double value);
// The same written to `out`; returns its length. The longest, a negative
// number with 17 digits and a three-digit exponent, takes 24 characters.
inline constexpr size_t kMaxValueChars = 32;
size_t WriteValue(std::span<char, kMaxValueChars> out, double value);
// `value` with \\, \" and \n escaped, appended to `out`.
void AppendEscaped(std::string& out, std::string_view value);

// name="value", the value escaped (\\, \", \n).
std::string Label(std::string_view name, std::string_view value);
std::string EscapeLabelValue(std::string_view value);

}  // namespace vigie::collector
