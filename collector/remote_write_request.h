// The body of a Prometheus remote-write 1.0 request (see
// proto/prometheus_remote.proto): the series of stored reports, each sample
// stamped with its report's own timestamp (Report.timestamp_unix_ms), so
// that reports delivered late fill their gap in the receiver.
//
// The series are exactly those of GET /metrics for the same report
// (ReportSamples), with the two changes the specification requires: the
// family name becomes the __name__ label and labels are sorted by name; and
// a label with an empty value is left out (the specification forbids empty
// values; Prometheus' data model holds an empty label equal to an absent
// one, so a scrape of /metrics stores the same series).
//
// Pure, no I/O. Cost: linear in the samples; one map lookup per sample.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "collector/series.h"
#include "common/result.h"
#include "prometheus_remote.pb.h"
#include "vigie.pb.h"

namespace vigie::collector {

struct EncodedWriteRequest {
  std::string body;          // snappy block format of the serialized WriteRequest
  size_t raw_bytes = 0;      // the serialized WriteRequest before compression
  size_t series = 0;
  size_t samples = 0;
};

struct BuiltWriteRequest {
  prometheus::WriteRequest request;
  size_t samples = 0;
  // Left out: a second sample of a series at the same timestamp with another
  // value (two reports of a node stamped alike). The receiver would refuse
  // it; the sender counts it as dropped. An identical one is no loss and not counted.
  size_t conflicting_samples = 0;
};

// Collects reports into one WriteRequest: a series met in several reports
// is one TimeSeries with its samples in timestamp order (a second sample at
// the same timestamp of a series is left out: a receiver would reject it).
class WriteRequestBuilder {
 public:
  void Add(const SeriesLabels& node_labels, const v1::Report& report);
  size_t samples() const { return samples_; }
  bool empty() const { return samples_ == 0; }
  // The request, each series in timestamp order; the builder is then empty.
  BuiltWriteRequest Build();
  // Build(), serialized and compressed.
  EncodedWriteRequest Finish();

 private:
  prometheus::WriteRequest request_;
  std::map<std::string, int, std::less<>> index_;  // series key -> position in request_
  size_t samples_ = 0;
};

// Serializes and compresses `request` (snappy block format).
EncodedWriteRequest EncodeWriteRequest(const prometheus::WriteRequest& request);

// The inverse, for receivers in tests and tools: snappy block, then
// protobuf. kMalformed when either does not decode.
Result<prometheus::WriteRequest> DecodeWriteRequest(std::string_view body);

}  // namespace vigie::collector
