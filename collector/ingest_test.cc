#include "collector/ingest.h"

#include <gtest/gtest.h>

#include "collector/token.h"
#include "tests/testing/testing.h"

namespace vigie::collector {
namespace {

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.nodes["rennes-1"] = NodeEntry{"rennes-1", "rennes", Sha256Hex("token-1")};
    config_.nodes["lyon-1"] = NodeEntry{"lyon-1", "lyon", Sha256Hex("token-2")};
    auto store = Store::Open(dir_.path() / "c.db");
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    ingest_ = std::make_unique<Ingest>(config_, *store_, state_);
  }

  static std::string BatchOf(const std::string& node, std::vector<uint64_t> seqs) {
    v1::Batch batch;
    for (uint64_t seq : seqs) {
      v1::Report* report = batch.add_reports();
      report->set_node_id(node);
      report->set_boot_id("6ef63991-7ee5-4c0b-81a3-e6c91f946998");
      report->set_seq(seq);
      report->set_timestamp_unix_ms(1'700'000'000'000 + static_cast<int64_t>(seq) * 1000);
      report->mutable_system()->set_load1(static_cast<double>(seq));
    }
    return batch.SerializeAsString();
  }

  int64_t Stored(const std::string& node) { return store_->CountReports(node).value(); }

  testing::TempDir dir_;
  CollectorConfig config_;
  std::unique_ptr<Store> store_;
  FleetState state_;
  std::unique_ptr<Ingest> ingest_;
};

TEST_F(IngestTest, StoresAndAcknowledges) {
  const HttpResponse response = ingest_->HandlePush("Bearer token-1", BatchOf("rennes-1", {1, 2, 3}), 5000);
  ASSERT_EQ(response.status, HttpStatus::kOk) << response.body;
  v1::PushAck ack;
  ASSERT_TRUE(ack.ParseFromString(response.body));
  EXPECT_EQ(ack.stored(), 3u);
  EXPECT_EQ(ack.duplicates(), 0u);
  EXPECT_EQ(ack.received_unix_ms(), 5000);
  EXPECT_EQ(Stored("rennes-1"), 3);
  const std::vector<NodeState> nodes = state_.Snapshot();
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].last_report->seq(), 3u);
  EXPECT_EQ(nodes[0].last_seen_ms, 5000);
}

TEST_F(IngestTest, AReplayedBatchIsAcknowledgedAndNotStoredTwice) {
  ASSERT_EQ(ingest_->HandlePush("Bearer token-1", BatchOf("rennes-1", {1, 2}), 1).status, HttpStatus::kOk);
  const HttpResponse again = ingest_->HandlePush("Bearer token-1", BatchOf("rennes-1", {1, 2, 3}), 2);
  ASSERT_EQ(again.status, HttpStatus::kOk);
  v1::PushAck ack;
  ASSERT_TRUE(ack.ParseFromString(again.body));
  EXPECT_EQ(ack.stored(), 1u);
  EXPECT_EQ(ack.duplicates(), 2u);
  EXPECT_EQ(Stored("rennes-1"), 3);
}

TEST_F(IngestTest, AWrongTokenIs401AndStoresNothing) {
  EXPECT_EQ(ingest_->HandlePush("Bearer nope", BatchOf("rennes-1", {1}), 1).status, HttpStatus::kUnauthorized);
  EXPECT_EQ(ingest_->HandlePush("", BatchOf("rennes-1", {1}), 1).status, HttpStatus::kUnauthorized);
  EXPECT_EQ(ingest_->HandlePush("Basic dG9rZW4tMQ==", BatchOf("rennes-1", {1}), 1).status, HttpStatus::kUnauthorized);
  EXPECT_EQ(Stored("rennes-1"), 0);
  EXPECT_TRUE(state_.Snapshot().empty());
}

TEST_F(IngestTest, ANodesTokenCannotSpeakForAnother) {
  const HttpResponse response = ingest_->HandlePush("Bearer token-2", BatchOf("rennes-1", {1}), 1);
  EXPECT_EQ(response.status, HttpStatus::kForbidden);
  EXPECT_EQ(response.body, "this token belongs to node lyon-1; it cannot push for 'rennes-1'\n");
  EXPECT_EQ(Stored("rennes-1"), 0);
  EXPECT_EQ(Stored("lyon-1"), 0);
}

TEST_F(IngestTest, ABatchMixingNodesIsRefusedWhole) {
  v1::Batch batch;
  batch.ParseFromString(BatchOf("rennes-1", {1}));
  batch.MergeFromString(BatchOf("lyon-1", {2}));
  const HttpResponse response = ingest_->HandlePush("Bearer token-1", batch.SerializeAsString(), 1);
  EXPECT_EQ(response.status, HttpStatus::kBadRequest);
  EXPECT_EQ(Stored("rennes-1"), 0);
}

TEST_F(IngestTest, GarbageAndSchemaViolationsAre400WithTheReason) {
  EXPECT_EQ(ingest_->HandlePush("Bearer token-1", "\xff\xff\xff garbage", 1).status, HttpStatus::kBadRequest);
  const HttpResponse empty = ingest_->HandlePush("Bearer token-1", "", 1);
  EXPECT_EQ(empty.status, HttpStatus::kBadRequest);
  EXPECT_EQ(empty.body, "the batch holds no report\n");
  const HttpResponse zero = ingest_->HandlePush("Bearer token-1", BatchOf("rennes-1", {0}), 1);
  EXPECT_EQ(zero.status, HttpStatus::kBadRequest);
  EXPECT_EQ(zero.body, "report 0 has seq 0 (sequence numbers start at 1)\n");
  EXPECT_EQ(Stored("rennes-1"), 0);
}

TEST_F(IngestTest, WhatWasAcknowledgedIsThereAfterReopening) {
  ASSERT_EQ(ingest_->HandlePush("Bearer token-1", BatchOf("rennes-1", {7}), 99).status, HttpStatus::kOk);
  ingest_.reset();
  store_.reset();
  auto reopened = Store::Open(dir_.path() / "c.db");
  ASSERT_TRUE(reopened);
  auto nodes = (*reopened)->LoadNodes();
  ASSERT_TRUE(nodes);
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].last_seq, 7u);
  EXPECT_EQ((*nodes)[0].last_seen_ms, 99);
  EXPECT_DOUBLE_EQ((*nodes)[0].last_report.system().load1(), 7.0);
}

}  // namespace
}  // namespace vigie::collector
