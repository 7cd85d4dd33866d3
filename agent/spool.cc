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

ReportSpool::ReportSpool(size_t collectors, size_t max_reports)
    : cursors_(collectors, 0), max_reports_(std::max<size_t>(max_reports, 1)) {}

void ReportSpool::Append(std::string report) {
  if (reports_.size() == max_reports_) {
    reports_.pop_front();
    ++first_position_;
    ++dropped_;
    for (uint64_t& cursor : cursors_) cursor = std::max(cursor, first_position_);
  }
  reports_.push_back(std::move(report));
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

void ReportSpool::TrimAcknowledged() {
  const uint64_t slowest = *std::min_element(cursors_.begin(), cursors_.end());
  while (first_position_ < slowest && !reports_.empty()) {
    reports_.pop_front();
    ++first_position_;
  }
}

}  // namespace vigie::agent
