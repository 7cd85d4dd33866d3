#include "agent/spool.h"

#include <algorithm>

namespace vigie::agent {
namespace {

// Protobuf wire format: a length-delimited field is its key (field number << 3
// | wire type 2) followed by a base-128 varint length and the bytes.
void AppendLengthDelimited(uint32_t field_number, const std::string& bytes, std::string& out) {
  out.push_back(static_cast<char>((field_number << 3) | 2));
  uint64_t length = bytes.size();
  while (length >= 0x80) {
    out.push_back(static_cast<char>((length & 0x7F) | 0x80));
    length >>= 7;
  }
  out.push_back(static_cast<char>(length));
  out += bytes;
}

// Batch.reports is field 1 (proto/vigie.proto).
constexpr uint32_t kBatchReportsField = 1;

}  // namespace

ReportSpool::ReportSpool(std::vector<std::string> collector_urls, size_t max_reports)
    : urls_(std::move(collector_urls)), cursors_(urls_.size(), 0), max_reports_(std::max<size_t>(max_reports, 1)) {}

void ReportSpool::Append(std::string report, int64_t now_ns) {
  if (reports_.size() == max_reports_) {
    reports_.pop_front();
    appended_ns_.pop_front();
    ++first_position_;
    ++dropped_;
    for (uint64_t& cursor : cursors_) cursor = std::max(cursor, first_position_);
  }
  reports_.push_back(std::move(report));
  appended_ns_.push_back(now_ns);
}

std::string ReportSpool::NextBatch(size_t collector, size_t max_reports, size_t* count) const {
  const size_t start = static_cast<size_t>(cursors_[collector] - first_position_);
  const size_t end = std::min(reports_.size(), start + max_reports);
  std::string batch;
  for (size_t i = start; i < end; ++i) AppendLengthDelimited(kBatchReportsField, reports_[i], batch);
  *count = end - start;
  return batch;
}

void ReportSpool::Acknowledge(size_t collector, size_t count) {
  const uint64_t end = first_position_ + reports_.size();
  cursors_[collector] = std::min(end, cursors_[collector] + count);
  TrimAcknowledged();
}

size_t ReportSpool::pending(size_t collector) const {
  return static_cast<size_t>(first_position_ + reports_.size() - cursors_[collector]);
}

std::optional<int64_t> ReportSpool::oldest_unsent_ns() const {
  // Fully acknowledged reports are trimmed at once, so the front is unsent.
  if (appended_ns_.empty()) return std::nullopt;
  return appended_ns_.front();
}

void ReportSpool::TrimAcknowledged() {
  const uint64_t slowest = cursors_.empty() ? first_position_ + reports_.size()
                                            : *std::min_element(cursors_.begin(), cursors_.end());
  while (first_position_ < slowest && !reports_.empty()) {
    reports_.pop_front();
    appended_ns_.pop_front();
    ++first_position_;
  }
}

SpoolContents ReportSpool::Contents() const {
  SpoolContents contents;
  for (size_t i = 0; i < urls_.size(); ++i) contents.collectors.push_back({urls_[i], cursors_[i] - first_position_});
  contents.reports.assign(reports_.begin(), reports_.end());
  return contents;
}

void ReportSpool::Restore(const SpoolContents& contents, int64_t now_ns) {
  reports_.clear();
  appended_ns_.clear();
  first_position_ = 0;
  const size_t skip = contents.reports.size() > max_reports_ ? contents.reports.size() - max_reports_ : 0;
  dropped_ += skip;
  for (size_t i = skip; i < contents.reports.size(); ++i) {
    reports_.push_back(contents.reports[i]);
    appended_ns_.push_back(now_ns);
  }
  first_position_ = skip;
  for (size_t i = 0; i < urls_.size(); ++i) {
    uint64_t acknowledged = 0;
    for (const SpoolCollectorState& known : contents.collectors) {
      if (known.url == urls_[i]) acknowledged = known.acknowledged;
    }
    cursors_[i] = std::clamp<uint64_t>(acknowledged, first_position_, first_position_ + reports_.size());
  }
  TrimAcknowledged();
}

}  // namespace vigie::agent
