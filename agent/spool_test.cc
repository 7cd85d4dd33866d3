#include "agent/spool.h"

#include <gtest/gtest.h>

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

TEST(ReportSpool, RestoreMatchesCollectorsByUrl) {
  ReportSpool before({"http://a", "http://b"}, 10);
  for (uint64_t seq = 1; seq <= 4; ++seq) before.Append(ReportWithSeq(seq), 0);
  before.Acknowledge(0, 3);
  before.Acknowledge(1, 1);
  const SpoolContents contents = before.Contents();
  ASSERT_EQ(contents.reports.size(), 3u);  // report 1 went to both

  // After a reload: b is gone, c is new, a keeps its place.
  ReportSpool after({"http://c", "http://a"}, 10);
  after.Restore(contents, 0);
  size_t count = 0;
  EXPECT_EQ(SeqsOf(after.NextBatch(1, 10, &count)), (std::vector<uint64_t>{4}));
  EXPECT_EQ(SeqsOf(after.NextBatch(0, 10, &count)), (std::vector<uint64_t>{2, 3, 4}));
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
