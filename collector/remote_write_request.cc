#include "collector/remote_write_request.h"

#include <snappy.h>

#include <algorithm>
#include <bit>
#include <cstdint>

#include "collector/report_metrics.h"

namespace vigie::collector {

void WriteRequestBuilder::Add(const SeriesLabels& node_labels, const v1::Report& report) {
  std::vector<std::pair<std::string_view, std::string_view>> labels;
  std::string key;
  for (const ReportSample& sample : ReportSamples(node_labels, report)) {
    labels.clear();
    labels.emplace_back("__name__", sample.family);
    for (const SeriesLabel& label : sample.labels) {
      if (!label.value.empty()) labels.emplace_back(label.name, label.value);
    }
    // Names are unique within a series, so sorting by name alone is a total order.
    std::sort(labels.begin(), labels.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    key.clear();
    for (const auto& [name, value] : labels) {
      key.append(name);
      key.push_back('\0');
      key.append(value);
      key.push_back('\0');
    }
    auto [entry, inserted] = index_.try_emplace(key, request_.timeseries_size());
    prometheus::TimeSeries* series = inserted ? request_.add_timeseries() : request_.mutable_timeseries(entry->second);
    if (inserted) {
      for (const auto& [name, value] : labels) {
        prometheus::Label* label = series->add_labels();
        label->set_name(std::string(name));
        label->set_value(std::string(value));
      }
    }
    prometheus::Sample* out = series->add_samples();
    out->set_value(sample.value);
    out->set_timestamp(report.timestamp_unix_ms());
    ++samples_;
  }
}

BuiltWriteRequest WriteRequestBuilder::Build() {
  BuiltWriteRequest built;
  // The specification: "samples for any given series in timestamp order".
  // Reports are stored in the order they were received, which is not always
  // their timestamps' order (a standby collector, a node's clock stepping).
  for (prometheus::TimeSeries& series : *request_.mutable_timeseries()) {
    auto* samples = series.mutable_samples();
    const bool sorted = std::is_sorted(samples->begin(), samples->end(),
                                       [](const auto& a, const auto& b) { return a.timestamp() < b.timestamp(); });
    if (!sorted) {
      std::stable_sort(samples->begin(), samples->end(),
                       [](const auto& a, const auto& b) { return a.timestamp() < b.timestamp(); });
    }
    int kept = 0;
    for (int i = 0; i < samples->size(); ++i) {
      if (kept > 0 && samples->Get(kept - 1).timestamp() == samples->Get(i).timestamp()) {
        // Bit patterns, as Prometheus compares them: NaN equals itself here.
        built.conflicting_samples +=
            std::bit_cast<uint64_t>(samples->Get(kept - 1).value()) != std::bit_cast<uint64_t>(samples->Get(i).value());
        continue;
      }
      if (kept != i) samples->Mutable(kept)->CopyFrom(samples->Get(i));
      ++kept;
    }
    samples->DeleteSubrange(kept, samples->size() - kept);
    built.samples += static_cast<size_t>(kept);
  }
  built.request.Swap(&request_);
  request_.Clear();
  index_.clear();
  samples_ = 0;
  return built;
}

EncodedWriteRequest WriteRequestBuilder::Finish() { return EncodeWriteRequest(Build().request); }

EncodedWriteRequest EncodeWriteRequest(const prometheus::WriteRequest& request) {
  EncodedWriteRequest encoded;
  encoded.series = static_cast<size_t>(request.timeseries_size());
  for (const prometheus::TimeSeries& series : request.timeseries()) {
    encoded.samples += static_cast<size_t>(series.samples_size());
  }
  const std::string raw = request.SerializeAsString();
  encoded.raw_bytes = raw.size();
  snappy::Compress(raw.data(), raw.size(), &encoded.body);
  return encoded;
}

Result<prometheus::WriteRequest> DecodeWriteRequest(std::string_view body) {
  std::string raw;
  if (!snappy::Uncompress(body.data(), body.size(), &raw)) {
    return Fail(ErrorCode::kMalformed, "body is not snappy block-format data");
  }
  prometheus::WriteRequest request;
  if (!request.ParseFromString(raw)) return Fail(ErrorCode::kMalformed, "body is not a prometheus.WriteRequest");
  return request;
}

}  // namespace vigie::collector
