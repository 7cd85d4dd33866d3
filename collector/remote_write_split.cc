#include "collector/remote_write_split.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vigie::collector {
namespace {

std::string_view NodeOf(const prometheus::TimeSeries& series) {
  for (const prometheus::Label& label : series.labels()) {
    if (label.name() == "node") return label.value();
  }
  return {};
}

}  // namespace

size_t SampleCount(const prometheus::WriteRequest& request) {
  size_t count = 0;
  for (const prometheus::TimeSeries& series : request.timeseries()) count += static_cast<size_t>(series.samples_size());
  return count;
}

std::vector<prometheus::WriteRequest> SplitByNode(const prometheus::WriteRequest& request) {
  std::vector<prometheus::WriteRequest> parts;
  std::unordered_map<std::string_view, size_t> part_of_node;
  std::vector<const prometheus::TimeSeries*> without_node;
  for (const prometheus::TimeSeries& series : request.timeseries()) {
    const std::string_view node = NodeOf(series);
    if (node.empty()) {
      without_node.push_back(&series);
      continue;
    }
    auto [entry, inserted] = part_of_node.try_emplace(node, parts.size());
    if (inserted) parts.emplace_back();
    *parts[entry->second].add_timeseries() = series;
  }
  if (!without_node.empty()) {
    parts.emplace_back();
    for (const prometheus::TimeSeries* series : without_node) *parts.back().add_timeseries() = *series;
  }
  return parts;
}

std::pair<prometheus::WriteRequest, prometheus::WriteRequest> Bisect(const prometheus::WriteRequest& request) {
  // A total order, even over samples sharing series and timestamp: each half gets its exact share.
  struct Position {
    int64_t timestamp;
    int series;
    int index;
    bool operator<(const Position& other) const {
      if (timestamp != other.timestamp) return timestamp < other.timestamp;
      return series != other.series ? series < other.series : index < other.index;
    }
  };
  std::vector<Position> positions;
  positions.reserve(SampleCount(request));
  for (int s = 0; s < request.timeseries_size(); ++s) {
    const prometheus::TimeSeries& series = request.timeseries(s);
    for (int i = 0; i < series.samples_size(); ++i) positions.push_back({series.samples(i).timestamp(), s, i});
  }
  const size_t first_count = std::max<size_t>(1, positions.size() / 2);
  std::nth_element(positions.begin(), positions.begin() + static_cast<ptrdiff_t>(first_count - 1), positions.end());
  const Position last_of_first = positions[first_count - 1];

  std::pair<prometheus::WriteRequest, prometheus::WriteRequest> halves;
  for (int s = 0; s < request.timeseries_size(); ++s) {
    const prometheus::TimeSeries& series = request.timeseries(s);
    prometheus::TimeSeries* first = nullptr;
    prometheus::TimeSeries* second = nullptr;
    for (int i = 0; i < series.samples_size(); ++i) {
      const bool in_first = !(last_of_first < Position{series.samples(i).timestamp(), s, i});
      prometheus::TimeSeries*& part = in_first ? first : second;
      if (part == nullptr) {
        part = (in_first ? halves.first : halves.second).add_timeseries();
        *part->mutable_labels() = series.labels();
      }
      *part->add_samples() = series.samples(i);
    }
  }
  return halves;
}

}  // namespace vigie::collector
