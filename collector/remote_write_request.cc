#include "collector/remote_write_request.h"

#include <snappy.h>

#include <algorithm>

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

EncodedWriteRequest WriteRequestBuilder::Finish() {
  EncodedWriteRequest encoded;
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
      if (kept > 0 && samples->Get(kept - 1).timestamp() == samples->Get(i).timestamp()) continue;
      if (kept != i) samples->Mutable(kept)->CopyFrom(samples->Get(i));
      ++kept;
    }
    samples->DeleteSubrange(kept, samples->size() - kept);
    encoded.samples += static_cast<size_t>(kept);
  }
  encoded.series = static_cast<size_t>(request_.timeseries_size());
  const std::string raw = request_.SerializeAsString();
  encoded.raw_bytes = raw.size();
  snappy::Compress(raw.data(), raw.size(), &encoded.body);
  request_.Clear();
  index_.clear();
  samples_ = 0;
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
