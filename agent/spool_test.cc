#include "agent/spool.h"

#include <random>

#include <gtest/gtest.h>

#include "tests/testing/sample_reports.h"
#include "vigie.pb.h"

namespace vigie::agent {
namespace {

std::string ReportWithSeq(uint64_t seq) {
  v1::Report report;
  report.set_node_id("n");
  report.set_seq(seq);
  return report.SerializeAsString();
}

std::vector<uint64_t> SeqsOf(const std::string& batch_bytes) {
  v1::Batch batch;
  EXPECT_TRUE(batch.ParseFromString(batch_bytes));
  std::vector<uint64_t> seqs;
  for (const v1::Report& report : batch.reports()) seqs.push_back(report.seq());
  return seqs;
}

// A full hardware report whose readings drift from one seq to the next, as
// consecutive reports of one machine do.
std::string HardwareReport(uint64_t seq) {
  v1::Report report = testing::SampleHardwareReport();
  report.set_seq(seq);
  report.set_timestamp_unix_ms(1'764'000'000'000 + static_cast<int64_t>(seq) * 60'000);
  std::mt19937 random(static_cast<unsigned>(seq));
  for (v1::Sensor& sensor : *report.mutable_sensors()) sensor.set_value(sensor.value() + random() % 7);
  return report.SerializeAsString();
}

// What NextBatch must return: each report as Batch field 1, length-delimited.
std::string Framed(const std::vector<std::string>& reports) {
  std::string out;
  for (const std::string& report : reports) {
    out.push_back(0x0A);
    uint64_t length = report.size();
    while (length >= 0x80) {
      out.push_back(static_cast<char>((length & 0x7F) | 0x80));
      length >>= 7;
    }
    out.push_back(static_cast<char>(length));
    out += report;
  }
  return out;
}

TEST(ReportSpool, ReturnsTheExactBytesAppendedWhateverTheirKind) {
  std::vector<std::string> reports;
  for (uint64_t seq = 1; seq <= 100; ++seq) reports.push_back(HardwareReport(seq));
  std::mt19937 random(7);
  std::string noise(3000, '\0');
  for (char& c : noise) c = static_cast<char>(random());
  reports.insert(reports.begin() + 40, noise);  // incompressible: kept as is
  reports.insert(reports.begin() + 41, "");
  reports.insert(reports.begin() + 70, std::string(5000, 'x'));
  ReportSpool spool({"http://a"}, 1000);
  for (const std::string& report : reports) spool.Append(report, 0);

  EXPECT_EQ(spool.Contents().reports, reports);
  size_t count = 0;
  EXPECT_EQ(spool.NextBatch(0, reports.size(), &count), Framed(reports));
  EXPECT_EQ(count, reports.size());
}

TEST(ReportSpool, KeepsTheExactBytesAfterTheReferenceReportWasDropped) {
  ReportSpool spool({"http://a"}, 10);
  std::vector<std::string> reports;
  for (uint64_t seq = 1; seq <= 75; ++seq) {
    reports.push_back(HardwareReport(seq));
    spool.Append(reports.back(), 0);
  }
  const std::vector<std::string> last10(reports.end() - 10, reports.end());
  EXPECT_EQ(spool.Contents().reports, last10);
  size_t count = 0;
  EXPECT_EQ(spool.NextBatch(0, 100, &count), Framed(last10));
}

TEST(ReportSpool, HoldsSimilarReportsInAFractionOfTheirSize) {
  ReportSpool spool({"http://a"}, 1000);
  size_t raw = 0;
  for (uint64_t seq = 1; seq <= 1000; ++seq) {
    const std::string report = HardwareReport(seq);
    raw += report.size();
    spool.Append(report, 0);
  }
  EXPECT_LT(spool.stored_bytes() * 4, raw) << spool.stored_bytes() << " of " << raw << " bytes";
}

TEST(ReportSpool, ReconfigureKeepsTheExactBytes) {
  std::vector<std::string> reports;
  ReportSpool spool({"http://a"}, 1000);
  for (uint64_t seq = 1; seq <= 50; ++seq) {
    reports.push_back(HardwareReport(seq));
    spool.Append(reports.back(), 0);
  }
  spool.Reconfigure({"http://a", "http://b"}, 1000);
  EXPECT_EQ(spool.Contents().reports, reports);
}

TEST(ReportSpool, ReconfigureToASmallerCapacityDropsTheOldestAndCountsThem) {
  ReportSpool spool({"http://a"}, 10);
  for (uint64_t seq = 1; seq <= 5; ++seq) spool.Append(ReportWithSeq(seq), static_cast<int64_t>(seq));
  spool.Reconfigure({"http://a"}, 2);
  EXPECT_EQ(spool.size(), 2u);
  EXPECT_EQ(spool.dropped(), 3u);
  EXPECT_EQ(spool.oldest_unsent_ns(), 4);
  size_t count = 0;
  EXPECT_EQ(SeqsOf(spool.NextBatch(0, 10, &count)), (std::vector<uint64_t>{4, 5}));
}

TEST(ReportSpool, RestoreInPiecesDropsTheOldestOverCapacityAndKeepsEachCursor) {
  ReportSpool spool({"http://a", "http://b", "http://new"}, 3);
  spool.StartRestore();
  for (uint64_t seq = 1; seq <= 5; ++seq) spool.Append(ReportWithSeq(seq), 0);
  // a had stored 3 of the file's reports, b 1 (now dropped), "new" is unknown to the file.
  spool.FinishRestore({{"http://a", 3}, {"http://b", 1}});
  EXPECT_EQ(spool.size(), 3u);
  EXPECT_EQ(spool.dropped(), 2u);
  EXPECT_EQ(spool.pending(0), 2u);
  EXPECT_EQ(spool.pending(1), 3u);
  EXPECT_EQ(spool.pending(2), 3u);
  size_t count = 0;
  EXPECT_EQ(SeqsOf(spool.NextBatch(0, 10, &count)), (std::vector<uint64_t>{4, 5}));
  EXPECT_EQ(SeqsOf(spool.NextBatch(1, 10, &count)), (std::vector<uint64_t>{3, 4, 5}));
}

TEST(ReportSpool, BatchesAreValidProtobufOldestFirstAndBounded) {
  ReportSpool spool({"http://a"}, 10);
  for (uint64_t seq = 1; seq <= 5; ++seq) spool.Append(ReportWithSeq(seq), static_cast<int64_t>(seq));
  size_t count = 0;
  EXPECT_EQ(SeqsOf(spool.NextBatch(0, 3, &count)), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(count, 3u);
  spool.Acknowledge(0, 3);
  EXPECT_EQ(SeqsOf(spool.NextBatch(0, 3, &count)), (std::vector<uint64_t>{4, 5}));
  EXPECT_EQ(spool.size(), 2u);
}

TEST(ReportSpool, AReportStaysUntilEveryCollectorHasIt) {
  ReportSpool spool({"http://a", "http://b"}, 10);
  spool.Append(ReportWithSeq(1), 1);
  spool.Append(ReportWithSeq(2), 2);
  spool.Acknowledge(0, 2);
  EXPECT_EQ(spool.pending(0), 0u);
  EXPECT_EQ(spool.pending(1), 2u);
  EXPECT_EQ(spool.size(), 2u);
  spool.Acknowledge(1, 1);
  EXPECT_EQ(spool.size(), 1u);
  size_t count = 0;
  EXPECT_EQ(SeqsOf(spool.NextBatch(1, 10, &count)), (std::vector<uint64_t>{2}));
}

TEST(ReportSpool, WhenFullTheOldestIsDroppedAndCounted) {
  ReportSpool spool({"http://a", "http://b"}, 3);
  for (uint64_t seq = 1; seq <= 5; ++seq) spool.Append(ReportWithSeq(seq), static_cast<int64_t>(seq));
  EXPECT_EQ(spool.dropped(), 2u);
  size_t count = 0;
  EXPECT_EQ(SeqsOf(spool.NextBatch(0, 10, &count)), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(spool.pending(1), 3u);
}

TEST(ReportSpool, LargeReportsKeepTheirLengthPrefixIntact) {
  ReportSpool spool({"http://a"}, 2);
  v1::Report big;
  big.set_node_id(std::string(70'000, 'x'));  // length needs a 3-byte varint
  spool.Append(big.SerializeAsString(), 0);
  size_t count = 0;
  v1::Batch batch;
  ASSERT_TRUE(batch.ParseFromString(spool.NextBatch(0, 1, &count)));
  EXPECT_EQ(batch.reports(0).node_id().size(), 70'000u);
}

TEST(ReportSpool, ReconfigureMatchesCollectorsByUrl) {
  ReportSpool spool({"http://a", "http://b"}, 10);
  for (uint64_t seq = 1; seq <= 4; ++seq) spool.Append(ReportWithSeq(seq), 0);
  spool.Acknowledge(0, 3);
  spool.Acknowledge(1, 1);
  ASSERT_EQ(spool.size(), 3u);  // report 1 went to both

  // After a reload: b is gone, c is new, a keeps its place.
  spool.Reconfigure({"http://c", "http://a"}, 10);
  size_t count = 0;
  EXPECT_EQ(SeqsOf(spool.NextBatch(1, 10, &count)), (std::vector<uint64_t>{4}));
  EXPECT_EQ(SeqsOf(spool.NextBatch(0, 10, &count)), (std::vector<uint64_t>{2, 3, 4}));
  // Once c has them, nothing holds 2 and 3 back: a had them, b is gone.
  spool.Acknowledge(0, 2);
  EXPECT_EQ(spool.size(), 1u);
}

TEST(ReportSpool, OldestUnsentIsTheFrontsAppendTime) {
  ReportSpool spool({"http://a"}, 10);
  EXPECT_EQ(spool.oldest_unsent_ns(), std::nullopt);
  spool.Append(ReportWithSeq(1), 100);
  spool.Append(ReportWithSeq(2), 200);
  EXPECT_EQ(spool.oldest_unsent_ns(), 100);
  spool.Acknowledge(0, 1);
  EXPECT_EQ(spool.oldest_unsent_ns(), 200);
  spool.Acknowledge(0, 1);
  EXPECT_EQ(spool.oldest_unsent_ns(), std::nullopt);
}

}  // namespace
}  // namespace vigie::agent
