#include "collector/metrics_page.h"

#include "collector/exposition.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <limits>

namespace vigie::collector {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsPage, NodesCarryNodeAndSiteAndTheirReadings) {
  CollectorConfig config;
  config.offline_after = std::chrono::minutes(5);
  config.nodes["rennes-1"] = NodeEntry{"rennes-1", "rennes", ""};
  config.nodes["rennes-2"] = NodeEntry{"rennes-2", "rennes", ""};
  auto report = std::make_shared<v1::Report>();
  report->set_timestamp_unix_ms(1'700'000'000'500);
  report->mutable_system()->set_load1(0.19);
  report->mutable_system()->set_memory_total_bytes(4'000'000'000);
  v1::Filesystem* fs = report->mutable_system()->add_filesystems();
  fs->set_mountpoint("/srv/my \"data\"");
  fs->set_device("/dev/sda2");
  fs->set_fstype("ext4");
  fs->set_avail_bytes(1234);
  const std::vector<NodeMetrics> nodes = {
      {"rennes-1", 1'700'000'001'000, NodeFacts{2, false, -1500}, std::make_shared<const NodeSeries>(*report)}};
  IngestCounters counters;
  counters.pushes_stored = 3;

  const std::string page = RenderMetrics(config, nodes, counters, {}, 1'700'000'060'000);
  EXPECT_THAT(page, HasSubstr("# TYPE vigie_node_up gauge\n"
                              "vigie_node_up{node=\"rennes-1\",site=\"rennes\"} 1\n"
                              "vigie_node_up{node=\"rennes-2\",site=\"rennes\"} 0\n"));
  EXPECT_THAT(page, HasSubstr("vigie_node_last_seen_timestamp_seconds{node=\"rennes-1\",site=\"rennes\"} 1700000001\n"));
  EXPECT_THAT(page, HasSubstr("vigie_node_report_timestamp_seconds{node=\"rennes-1\",site=\"rennes\"} 1700000000.5\n"));
  EXPECT_THAT(page, HasSubstr("vigie_node_load1{node=\"rennes-1\",site=\"rennes\"} 0.19\n"));
  EXPECT_THAT(page, HasSubstr("vigie_node_memory_total_bytes{node=\"rennes-1\",site=\"rennes\"} 4000000000\n"));
  EXPECT_THAT(page, HasSubstr("vigie_filesystem_avail_bytes{node=\"rennes-1\",site=\"rennes\","
                              "mountpoint=\"/srv/my \\\"data\\\"\",device=\"/dev/sda2\",fstype=\"ext4\"} 1234\n"));
  EXPECT_THAT(page, HasSubstr("vigie_collector_pushes_total{result=\"stored\"} 3\n"));
  EXPECT_THAT(page, HasSubstr("vigie_node_boots_total{node=\"rennes-1\",site=\"rennes\"} 2\n"));
  EXPECT_THAT(page, HasSubstr("vigie_node_last_shutdown_clean{node=\"rennes-1\",site=\"rennes\"} 0\n"));
  EXPECT_THAT(page, HasSubstr("vigie_node_clock_skew_seconds{node=\"rennes-1\",site=\"rennes\"} -1.5\n"));
  // A node never heard from has no last-seen sample.
  EXPECT_THAT(page, Not(HasSubstr("vigie_node_last_seen_timestamp_seconds{node=\"rennes-2\"")));
}

TEST(MetricsPage, SamplesLeftOutOfANodesSeriesAreCountedForThatNodeOnly) {
  CollectorConfig config;
  config.nodes["a"] = NodeEntry{"a", "s", ""};
  config.nodes["b"] = NodeEntry{"b", "s", ""};
  v1::Report report;
  for (int i = 0; i < 100; ++i) report.mutable_system()->add_filesystems()->set_mountpoint(fmt::format("/srv/{}", i));
  const auto bounded = std::make_shared<const NodeSeries>(report, 2048);
  ASSERT_GT(bounded->dropped_samples(), 0u);
  const std::vector<NodeMetrics> nodes = {{"a", 1'000'000, NodeFacts{}, bounded},
                                          {"b", 1'000'000, NodeFacts{}, std::make_shared<const NodeSeries>(report)}};
  const std::string page = RenderMetrics(config, nodes, {}, {}, 1'000'000);
  EXPECT_THAT(page, HasSubstr(fmt::format("vigie_node_series_dropped_samples{{node=\"a\",site=\"s\"}} {}\n",
                                          bounded->dropped_samples())));
  EXPECT_THAT(page, Not(HasSubstr("vigie_node_series_dropped_samples{node=\"b\"")));
}

TEST(MetricsPage, ANodeSilentForLongerThanOfflineAfterIsDown) {
  CollectorConfig config;
  config.offline_after = std::chrono::minutes(5);
  config.nodes["a"] = NodeEntry{"a", "s", ""};
  const std::vector<NodeMetrics> nodes = {
      {"a", 1'000'000, NodeFacts{}, std::make_shared<const NodeSeries>(v1::Report())}};
  IngestCounters counters;
  EXPECT_THAT(RenderMetrics(config, nodes, counters, {}, 1'000'000 + 300'000), HasSubstr("vigie_node_up{node=\"a\",site=\"s\"} 1\n"));
  EXPECT_THAT(RenderMetrics(config, nodes, counters, {}, 1'000'000 + 300'001), HasSubstr("vigie_node_up{node=\"a\",site=\"s\"} 0\n"));
}

// A render of many chunks, as /metrics streams a large fleet's page.
void RenderManySamples(Exposition& page) {
  page.Family("vigie_test_value", "gauge", "A test family.");
  for (int i = 0; i < 100'000; ++i) page.Sample(SeriesLabels{{"node", fmt::format("node-{}", i)}}, i);
}

TEST(MetricsPage, AStreamedPageIsTheSameBytesAsTheWholePage) {
  Exposition whole;
  RenderManySamples(whole);
  const std::string expected = whole.Take();
  ASSERT_GT(expected.size(), 4 * Exposition::kChunkBytes);

  const std::shared_ptr<BodyStream> stream = StreamPage(RenderManySamples);
  std::string streamed;
  std::vector<char> buffer(10'000);  // not a divisor of the chunk size
  while (const size_t n = stream->Read(buffer)) streamed.append(buffer.data(), n);
  EXPECT_EQ(streamed, expected);
  EXPECT_EQ(stream->Read(buffer), 0u);
}

TEST(MetricsPage, TryReadNeverWaitsAndWhenReadySaysWhenItWouldNot) {
  Exposition whole;
  RenderManySamples(whole);
  const std::string expected = whole.Take();

  const std::shared_ptr<BodyStream> stream = StreamPage(RenderManySamples);
  std::string streamed;
  std::vector<char> buffer(10'000);
  while (true) {
    const size_t n = stream->TryRead(buffer);
    if (n == 0) break;
    if (n == BodyStream::kNotReady) {
      std::promise<void> ready;
      stream->WhenReady([&ready] { ready.set_value(); });
      ready.get_future().wait();
      continue;
    }
    streamed.append(buffer.data(), n);
  }
  EXPECT_EQ(streamed, expected);
  EXPECT_EQ(stream->TryRead(buffer), 0u);
}

TEST(MetricsPage, AStreamDroppedBeforeItsEndStopsItsRender) {
  std::shared_ptr<BodyStream> stream = StreamPage(RenderManySamples);
  std::vector<char> buffer(1000);
  ASSERT_EQ(stream->Read(buffer), buffer.size());
  stream.reset();  // returns once the render's thread has stopped: no hang, no leak
}

TEST(MetricsPage, LabelValuesAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
}

TEST(MetricsPage, ValuesAreTheirShortestRoundTripForm) {
  const std::pair<double, const char*> cases[] = {
      {0, "0"},          {-0.0, "-0"},        {1, "1"},     {-1500, "-1500"},       {4e9, "4000000000"},
      {999'999'999'999'999, "999999999999999"}, {1e15, "1000000000000000"},          {1e16, "1e+16"},
      {0.19, "0.19"},    {1700000000.5, "1700000000.5"}, {-2.5e-7, "-2.5e-07"},
      {std::numeric_limits<double>::infinity(), "+Inf"}, {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"}};
  for (const auto& [value, text] : cases) {
    std::string out;
    AppendValue(out, value);
    EXPECT_EQ(out, text) << value;
  }
}

}  // namespace
}  // namespace vigie::collector
