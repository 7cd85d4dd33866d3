#include "collector/remote_write_request.h"

#include <gtest/gtest.h>

#include <snappy.h>

#include "collector/report_metrics.h"
#include "tests/testing/sample_reports.h"

namespace vigie::collector {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

Labels LabelsOf(const prometheus::TimeSeries& series) {
  Labels labels;
  for (const prometheus::Label& label : series.labels()) labels.emplace_back(label.name(), label.value());
  return labels;
}

const prometheus::TimeSeries* Find(const prometheus::WriteRequest& request, const Labels& labels) {
  for (const prometheus::TimeSeries& series : request.timeseries()) {
    if (LabelsOf(series) == labels) return &series;
  }
  return nullptr;
}

v1::Report HardwareReport(int64_t timestamp_ms, double temperature) {
  v1::Report report = testing::SampleHardwareReport();
  report.set_timestamp_unix_ms(timestamp_ms);
  report.mutable_sensors(0)->set_value(temperature);
  return report;
}

TEST(RemoteWriteRequest, SeriesAreThoseOfMetricsWithNameLabelSortedLabelsAndTheReportsTimestamp) {
  WriteRequestBuilder builder;
  builder.Add({{"node", "rennes-2"}, {"site", "rennes"}}, HardwareReport(1'795'600'000'123, 45));
  const EncodedWriteRequest encoded = builder.Finish();
  const Result<prometheus::WriteRequest> request = DecodeWriteRequest(encoded.body);
  ASSERT_TRUE(request) << request.error().message;

  const prometheus::TimeSeries* cpu =
      Find(*request, {{"__name__", "vigie_sensor_temperature_limit_celsius"},
                      {"chip", "coretemp-isa-0000"},
                      {"limit", "crit"},
                      {"node", "rennes-2"},
                      {"sensor", "Package id 0"},
                      {"site", "rennes"}});
  ASSERT_NE(cpu, nullptr);
  ASSERT_EQ(cpu->samples_size(), 1);
  EXPECT_EQ(cpu->samples(0).value(), 100);
  EXPECT_EQ(cpu->samples(0).timestamp(), 1'795'600'000'123);
}

TEST(RemoteWriteRequest, EverySeriesOfThePageIsSentOnceWithEveryLabelSortedAndNoEmptyValue) {
  const v1::Report report = HardwareReport(1'795'600'000'000, 45);
  const SeriesLabels node = {{"node", "n"}, {"site", "s"}};
  WriteRequestBuilder builder;
  builder.Add(node, report);
  const EncodedWriteRequest encoded = builder.Finish();
  const Result<prometheus::WriteRequest> request = DecodeWriteRequest(encoded.body);
  ASSERT_TRUE(request);

  const std::vector<ReportSample> page = ReportSamples(node, report);
  EXPECT_EQ(encoded.samples, page.size());
  EXPECT_EQ(encoded.series, page.size());
  ASSERT_EQ(static_cast<size_t>(request->timeseries_size()), page.size());
  for (size_t i = 0; i < page.size(); ++i) {
    Labels expected = {{"__name__", std::string(page[i].family)}};
    for (const SeriesLabel& label : page[i].labels) {
      if (!label.value.empty()) expected.emplace_back(std::string(label.name), label.value);
    }
    std::sort(expected.begin(), expected.end());
    const prometheus::TimeSeries& series = request->timeseries(static_cast<int>(i));
    EXPECT_EQ(LabelsOf(series), expected);
    ASSERT_EQ(series.samples_size(), 1);
    EXPECT_EQ(series.samples(0).value(), page[i].value);
  }
  // The sleeping disk has no serial: its series carry no serial label at all.
  const prometheus::TimeSeries* asleep =
      Find(*request, {{"__name__", "vigie_disk_asleep"}, {"disk", "sdb"}, {"model", "WDC WD140EDFZ"}, {"node", "n"},
                      {"site", "s"}});
  ASSERT_NE(asleep, nullptr);
  EXPECT_EQ(asleep->samples(0).value(), 1);
}

TEST(RemoteWriteRequest, ASeriesMetInSeveralReportsIsOneTimeSeriesInTimestampOrder) {
  WriteRequestBuilder builder;
  const SeriesLabels node = {{"node", "n"}, {"site", "s"}};
  // Received out of order (a late report), and one duplicate timestamp.
  builder.Add(node, HardwareReport(1'795'600'120'000, 47));
  builder.Add(node, HardwareReport(1'795'600'000'000, 45));
  builder.Add(node, HardwareReport(1'795'600'060'000, 46));
  builder.Add(node, HardwareReport(1'795'600'060'000, 99));
  const size_t per_report = ReportSamples(node, HardwareReport(0, 0)).size();
  EXPECT_EQ(builder.samples(), 4 * per_report);
  const EncodedWriteRequest encoded = builder.Finish();
  EXPECT_EQ(encoded.series, per_report);
  EXPECT_EQ(encoded.samples, 3 * per_report);
  const Result<prometheus::WriteRequest> request = DecodeWriteRequest(encoded.body);
  ASSERT_TRUE(request);
  const prometheus::TimeSeries* cpu = Find(*request, {{"__name__", "vigie_sensor_temperature_celsius"},
                                                      {"chip", "coretemp-isa-0000"},
                                                      {"node", "n"},
                                                      {"sensor", "Package id 0"},
                                                      {"site", "s"}});
  ASSERT_NE(cpu, nullptr);
  ASSERT_EQ(cpu->samples_size(), 3);
  EXPECT_EQ(cpu->samples(0).timestamp(), 1'795'600'000'000);
  EXPECT_EQ(cpu->samples(0).value(), 45);
  EXPECT_EQ(cpu->samples(1).timestamp(), 1'795'600'060'000);
  EXPECT_EQ(cpu->samples(1).value(), 46);
  EXPECT_EQ(cpu->samples(2).timestamp(), 1'795'600'120'000);
  EXPECT_EQ(cpu->samples(2).value(), 47);
}

// Two reports of a node stamped alike: the samples whose values differ are
// counted as conflicting (a receiver would refuse them), identical ones are not.
TEST(RemoteWriteRequest, ASecondValueAtOneTimestampIsCountedNotSilentlyLeftOut) {
  WriteRequestBuilder builder;
  const SeriesLabels node = {{"node", "n"}, {"site", "s"}};
  builder.Add(node, HardwareReport(1'795'600'060'000, 46));
  builder.Add(node, HardwareReport(1'795'600'060'000, 99));  // only the CPU temperature differs
  builder.Add(node, HardwareReport(1'795'600'060'000, 46));  // identical to the first
  const size_t per_report = ReportSamples(node, HardwareReport(0, 0)).size();
  const BuiltWriteRequest built = builder.Build();
  EXPECT_EQ(built.samples, per_report);
  EXPECT_EQ(built.conflicting_samples, 1u);
  EXPECT_TRUE(builder.empty());
}

TEST(RemoteWriteRequest, BodyIsSnappyBlockFormatOfTheSerializedRequest) {
  WriteRequestBuilder builder;
  builder.Add({{"node", "n"}, {"site", "s"}}, HardwareReport(1'795'600'000'000, 45));
  const EncodedWriteRequest encoded = builder.Finish();
  // The block format starts with the uncompressed length as a varint; the
  // framed format would start with its stream identifier chunk (0xff).
  size_t length = 0;
  ASSERT_TRUE(snappy::GetUncompressedLength(encoded.body.data(), encoded.body.size(), &length));
  EXPECT_EQ(length, encoded.raw_bytes);
  EXPECT_NE(static_cast<unsigned char>(encoded.body[0]), 0xff);
  EXPECT_LT(encoded.body.size(), encoded.raw_bytes);
  EXPECT_TRUE(builder.empty());
}

TEST(RemoteWriteRequest, GarbageIsMalformed) {
  const Result<prometheus::WriteRequest> request = DecodeWriteRequest("not snappy at all");
  ASSERT_FALSE(request);
  EXPECT_EQ(request.error().code, ErrorCode::kMalformed);
}

}  // namespace
}  // namespace vigie::collector
