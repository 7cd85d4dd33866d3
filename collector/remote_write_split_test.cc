#include "collector/remote_write_split.h"

#include <map>
#include <set>
#include <string>
#include <tuple>

#include <gtest/gtest.h>

namespace vigie::collector {
namespace {

using Key = std::tuple<std::string, int64_t, double>;  // series labels, timestamp, value

std::string SeriesKey(const prometheus::TimeSeries& series) {
  std::string key;
  for (const prometheus::Label& label : series.labels()) key += label.name() + "=" + label.value() + ",";
  return key;
}

std::multiset<Key> Samples(const prometheus::WriteRequest& request) {
  std::multiset<Key> samples;
  for (const prometheus::TimeSeries& series : request.timeseries()) {
    for (const prometheus::Sample& sample : series.samples()) {
      samples.insert({SeriesKey(series), sample.timestamp(), sample.value()});
    }
  }
  return samples;
}

void AddSeries(prometheus::WriteRequest& request, const std::string& name, const std::string& node,
               const std::vector<int64_t>& timestamps) {
  prometheus::TimeSeries* series = request.add_timeseries();
  prometheus::Label* label = series->add_labels();
  label->set_name("__name__");
  label->set_value(name);
  if (!node.empty()) {
    label = series->add_labels();
    label->set_name("node");
    label->set_value(node);
  }
  for (int64_t timestamp : timestamps) {
    prometheus::Sample* sample = series->add_samples();
    sample->set_timestamp(timestamp);
    sample->set_value(static_cast<double>(timestamp) / 10);
  }
}

TEST(SplitByNode, OnePartPerNodeInTheOrderTheyFirstAppearWithEverySample) {
  prometheus::WriteRequest request;
  AddSeries(request, "load", "b", {1, 2});
  AddSeries(request, "load", "a", {1});
  AddSeries(request, "temp", "b", {1, 2});
  AddSeries(request, "up", "", {5});
  const std::vector<prometheus::WriteRequest> parts = SplitByNode(request);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(SampleCount(parts[0]), 4u);
  EXPECT_EQ(parts[0].timeseries(1).labels(0).value(), "temp");
  for (const prometheus::TimeSeries& series : parts[0].timeseries()) EXPECT_EQ(series.labels(1).value(), "b");
  EXPECT_EQ(parts[1].timeseries(0).labels(1).value(), "a");
  EXPECT_EQ(parts[2].timeseries(0).labels(0).value(), "up");
  std::multiset<Key> all;
  for (const prometheus::WriteRequest& part : parts) all.merge(Samples(part));
  EXPECT_EQ(all, Samples(request));
}

TEST(SplitByNode, ASingleNodeIsOnePart) {
  prometheus::WriteRequest request;
  AddSeries(request, "load", "a", {1, 2});
  AddSeries(request, "temp", "a", {1, 2});
  EXPECT_EQ(SplitByNode(request).size(), 1u);
}

TEST(Bisect, TheFirstHalfHoldsTheEarliestSamplesAndNothingIsLostOrRepeated) {
  prometheus::WriteRequest request;
  AddSeries(request, "load", "a", {10, 20, 30, 40, 50});
  AddSeries(request, "temp", "a", {15, 25, 35});
  AddSeries(request, "fan", "a", {30});
  const auto [first, second] = Bisect(request);
  EXPECT_EQ(SampleCount(first), 4u);
  EXPECT_EQ(SampleCount(second), 5u);
  int64_t newest_of_first = 0;
  for (const Key& sample : Samples(first)) newest_of_first = std::max(newest_of_first, std::get<1>(sample));
  for (const Key& sample : Samples(second)) EXPECT_GE(std::get<1>(sample), newest_of_first);
  std::multiset<Key> all = Samples(first);
  all.merge(Samples(second));
  EXPECT_EQ(all, Samples(request));
}

// Sending the first half, then the second, every series goes out in
// timestamp order: the order in which a receiver accepts them.
TEST(Bisect, HalvingToSingleSamplesDepthFirstKeepsEverySeriesInTimeOrder) {
  prometheus::WriteRequest request;
  AddSeries(request, "load", "a", {10, 20, 30, 40, 50, 60, 70});
  AddSeries(request, "temp", "a", {10, 20, 30, 40, 50, 60, 70});
  AddSeries(request, "fan", "a", {5, 45});
  std::vector<prometheus::WriteRequest> stack{request};
  std::map<std::string, int64_t> newest;
  size_t singles = 0;
  while (!stack.empty()) {
    prometheus::WriteRequest part = std::move(stack.back());
    stack.pop_back();
    ASSERT_GT(SampleCount(part), 0u);
    if (SampleCount(part) == 1) {
      const prometheus::TimeSeries& series = part.timeseries(0);
      const int64_t timestamp = series.samples(0).timestamp();
      EXPECT_GT(timestamp, newest[SeriesKey(series)]) << SeriesKey(series);
      newest[SeriesKey(series)] = timestamp;
      ++singles;
      continue;
    }
    auto [first, second] = Bisect(part);
    stack.push_back(std::move(second));
    stack.push_back(std::move(first));
  }
  EXPECT_EQ(singles, SampleCount(request));
}

// Samples a sender should not produce (one series at one timestamp twice,
// out of order) still split into two non-empty halves: halving ends.
TEST(Bisect, SplitsEvenSamplesSharingATimestamp) {
  prometheus::WriteRequest request;
  AddSeries(request, "load", "a", {7, 7, 7, 3});
  const auto [first, second] = Bisect(request);
  EXPECT_EQ(SampleCount(first), 2u);
  EXPECT_EQ(SampleCount(second), 2u);
  std::multiset<Key> all = Samples(first);
  all.merge(Samples(second));
  EXPECT_EQ(all, Samples(request));
}

}  // namespace
}  // namespace vigie::collector
