#include "agent/spool.h"

#include <zlib.h>

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

// Raw deflate (negative windowBits: no zlib header or checksum; the spool is
// in RAM) with an 8 KiB window, enough for a reference and a report of a few
// kB: matches reach back at most the window (RFC 1951, 2.1). memLevel 6
// keeps the compressor's state near 64 KiB (zlib.h: (1 << (windowBits+2)) +
// (1 << (memLevel+9)) bytes), allocated for the call only.
constexpr int kWindowBits = -13;
constexpr int kMemLevel = 6;

// `report` deflated against `dictionary`; empty if zlib failed.
std::string Deflate(const std::string& report, const std::string& dictionary) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, kWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&z, report.size()), '\0');
  bool ok = deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dictionary.data()),
                                 static_cast<uInt>(dictionary.size())) == Z_OK;
  if (ok) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(report.data()));
    z.avail_in = static_cast<uInt>(report.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    ok = deflate(&z, Z_FINISH) == Z_STREAM_END;
  }
  out.resize(ok ? z.total_out : 0);
  // The buffer was sized for the worst case (deflateBound); what the spool
  // keeps must be the compressed size, not that capacity.
  out.shrink_to_fit();
  deflateEnd(&z);
  return out;
}

// The `size` bytes that Deflate compressed against `dictionary`; empty if
// the stream does not decode to exactly that many bytes.
std::string Inflate(const std::string& stream, const std::string& dictionary, size_t size) {
  z_stream z{};
  if (inflateInit2(&z, kWindowBits) != Z_OK) return {};
  std::string out(size, '\0');
  bool ok = inflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dictionary.data()),
                                 static_cast<uInt>(dictionary.size())) == Z_OK;
  if (ok) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(stream.data()));
    z.avail_in = static_cast<uInt>(stream.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    ok = inflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out == size;
  }
  inflateEnd(&z);
  return ok ? out : std::string();
}

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
  reports_.push_back(Store(std::move(report)));
  appended_ns_.push_back(now_ns);
}

ReportSpool::Stored ReportSpool::Store(std::string report) {
  Stored stored;
  stored.size = static_cast<uint32_t>(report.size());
  if (reference_ == nullptr || since_reference_ >= kReferenceEvery) {
    reference_ = std::make_shared<const std::string>(std::move(report));
    since_reference_ = 1;
    stored.kind = Stored::Kind::kReference;
    stored.reference = reference_;
    return stored;
  }
  ++since_reference_;
  std::string deflated = Deflate(report, *reference_);
  // Checked once here, so that a zlib failure can only cost RAM, never a report.
  if (!deflated.empty() && deflated.size() < report.size() && Inflate(deflated, *reference_, report.size()) == report) {
    stored.kind = Stored::Kind::kDeflated;
    stored.reference = reference_;
    stored.bytes = std::move(deflated);
  } else {
    stored.kind = Stored::Kind::kPlain;
    stored.bytes = std::move(report);
  }
  return stored;
}

std::string ReportSpool::Load(const Stored& stored) const {
  switch (stored.kind) {
    case Stored::Kind::kReference:
      return *stored.reference;
    case Stored::Kind::kDeflated:
      return Inflate(stored.bytes, *stored.reference, stored.size);
    case Stored::Kind::kPlain:
      break;
  }
  return stored.bytes;
}

size_t ReportSpool::stored_bytes() const {
  size_t bytes = 0;
  for (const Stored& stored : reports_) {
    bytes += stored.kind == Stored::Kind::kReference ? stored.reference->capacity() : stored.bytes.capacity();
  }
  // A reference whose own report has left the spool is still held by the
  // reports compressed against it.
  if (!reports_.empty() && reports_.front().kind == Stored::Kind::kDeflated) {
    bytes += reports_.front().reference->capacity();
  }
  return bytes;
}

std::string ReportSpool::NextBatch(size_t collector, size_t max_reports, size_t* count) const {
  const size_t start = static_cast<size_t>(cursors_[collector] - first_position_);
  const size_t end = std::min(reports_.size(), start + max_reports);
  std::string batch;
  for (size_t i = start; i < end; ++i) AppendLengthDelimited(kBatchReportsField, Load(reports_[i]), batch);
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

std::vector<SpoolCollectorState> ReportSpool::CollectorStates() const {
  std::vector<SpoolCollectorState> states;
  for (size_t i = 0; i < urls_.size(); ++i) states.push_back({urls_[i], cursors_[i] - first_position_});
  return states;
}

std::string ReportSpool::ReportAt(size_t index) const { return Load(reports_[index]); }

SpoolContents ReportSpool::Contents() const {
  SpoolContents contents;
  contents.collectors = CollectorStates();
  contents.reports.reserve(reports_.size());
  for (const Stored& stored : reports_) contents.reports.push_back(Load(stored));
  return contents;
}

void ReportSpool::StartRestore() {
  reports_.clear();
  appended_ns_.clear();
  reference_.reset();
  since_reference_ = 0;
  first_position_ = 0;
}

void ReportSpool::FinishRestore(const std::vector<SpoolCollectorState>& collectors) {
  // Positions count from the restored list's first report: first_position_
  // is how many Append dropped for want of room.
  for (size_t i = 0; i < urls_.size(); ++i) {
    uint64_t acknowledged = 0;
    for (const SpoolCollectorState& known : collectors) {
      if (known.url == urls_[i]) acknowledged = known.acknowledged;
    }
    cursors_[i] = std::clamp<uint64_t>(acknowledged, first_position_, first_position_ + reports_.size());
  }
  TrimAcknowledged();
}

void ReportSpool::Reconfigure(std::vector<std::string> collector_urls, size_t max_reports) {
  std::vector<uint64_t> cursors;
  for (const std::string& url : collector_urls) {
    const auto kept = std::find(urls_.begin(), urls_.end(), url);
    cursors.push_back(kept == urls_.end() ? first_position_ : cursors_[kept - urls_.begin()]);
  }
  urls_ = std::move(collector_urls);
  cursors_ = std::move(cursors);
  max_reports_ = std::max<size_t>(max_reports, 1);
  while (reports_.size() > max_reports_) {
    reports_.pop_front();
    appended_ns_.pop_front();
    ++first_position_;
    ++dropped_;
  }
  for (uint64_t& cursor : cursors_) cursor = std::max(cursor, first_position_);
  TrimAcknowledged();
}

}  // namespace vigie::agent
