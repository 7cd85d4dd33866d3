#include "collector/ingest.h"

#include <gtest/gtest.h>

#include <future>
#include <limits>

#include "collector/token.h"
#include "common/report_limits.h"
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
    committer_ = std::make_unique<GroupCommitter>(*store_);
    ingest_ = std::make_unique<Ingest>(config_, *committer_, state_);
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

  // HandlePush, and for a valid push its deferred answer, as the HTTP server
  // gives it: Start, wait for ready(), Finish.
  HttpResponse Push(std::string_view authorization, std::string_view body, int64_t now_ms) {
    HttpResponse response = ingest_->HandlePush(authorization, body, now_ms);
    if (!response.deferred) return response;
    std::promise<void> ready;
    response.deferred->Start([&ready] { ready.set_value(); });
    ready.get_future().wait();
    return response.deferred->Finish();
  }

  int64_t Stored(const std::string& node) { return store_->CountReports(node).value(); }

  testing::TempDir dir_;
  CollectorConfig config_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<GroupCommitter> committer_;
  FleetState state_;
  std::unique_ptr<Ingest> ingest_;
};

TEST_F(IngestTest, StoresAndAcknowledges) {
  const HttpResponse response = Push("Bearer token-1", BatchOf("rennes-1", {1, 2, 3}), 5000);
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

TEST_F(IngestTest, AValidPushIsStoredOnlyOnceStartedAndReadyOnlyOnceCommitted) {
  const HttpResponse deferred = ingest_->HandlePush("Bearer token-1", BatchOf("rennes-1", {1, 2}), 5000);
  ASSERT_TRUE(deferred.deferred);
  EXPECT_EQ(Stored("rennes-1"), 0);
  std::promise<int64_t> stored_when_ready;
  deferred.deferred->Start([&] { stored_when_ready.set_value(Stored("rennes-1")); });
  EXPECT_EQ(stored_when_ready.get_future().get(), 2);
  EXPECT_EQ(deferred.deferred->Finish().status, HttpStatus::kOk);
}

TEST_F(IngestTest, AReplayedBatchIsAcknowledgedAndNotStoredTwice) {
  ASSERT_EQ(Push("Bearer token-1", BatchOf("rennes-1", {1, 2}), 1).status, HttpStatus::kOk);
  const HttpResponse again = Push("Bearer token-1", BatchOf("rennes-1", {1, 2, 3}), 2);
  ASSERT_EQ(again.status, HttpStatus::kOk);
  v1::PushAck ack;
  ASSERT_TRUE(ack.ParseFromString(again.body));
  EXPECT_EQ(ack.stored(), 1u);
  EXPECT_EQ(ack.duplicates(), 2u);
  EXPECT_EQ(Stored("rennes-1"), 3);
}

TEST_F(IngestTest, AWrongTokenIs401AndStoresNothing) {
  EXPECT_EQ(Push("Bearer nope", BatchOf("rennes-1", {1}), 1).status, HttpStatus::kUnauthorized);
  EXPECT_EQ(Push("", BatchOf("rennes-1", {1}), 1).status, HttpStatus::kUnauthorized);
  EXPECT_EQ(Push("Basic dG9rZW4tMQ==", BatchOf("rennes-1", {1}), 1).status, HttpStatus::kUnauthorized);
  EXPECT_EQ(Stored("rennes-1"), 0);
  EXPECT_TRUE(state_.Snapshot().empty());
}

TEST_F(IngestTest, ANodesTokenCannotSpeakForAnother) {
  const HttpResponse response = Push("Bearer token-2", BatchOf("rennes-1", {1}), 1);
  EXPECT_EQ(response.status, HttpStatus::kForbidden);
  EXPECT_EQ(response.body, "this token belongs to node lyon-1; it cannot push for 'rennes-1'\n");
  EXPECT_EQ(Stored("rennes-1"), 0);
  EXPECT_EQ(Stored("lyon-1"), 0);
}

TEST_F(IngestTest, ABatchMixingNodesIsRefusedWhole) {
  v1::Batch batch;
  batch.ParseFromString(BatchOf("rennes-1", {1}));
  batch.MergeFromString(BatchOf("lyon-1", {2}));
  const HttpResponse response = Push("Bearer token-1", batch.SerializeAsString(), 1);
  EXPECT_EQ(response.status, HttpStatus::kBadRequest);
  EXPECT_EQ(Stored("rennes-1"), 0);
}

TEST_F(IngestTest, GarbageAndSchemaViolationsAre400WithTheReason) {
  EXPECT_EQ(Push("Bearer token-1", "\xff\xff\xff garbage", 1).status, HttpStatus::kBadRequest);
  const HttpResponse empty = Push("Bearer token-1", "", 1);
  EXPECT_EQ(empty.status, HttpStatus::kBadRequest);
  EXPECT_EQ(empty.body, "the batch holds no report\n");
  const HttpResponse zero = Push("Bearer token-1", BatchOf("rennes-1", {0}), 1);
  EXPECT_EQ(zero.status, HttpStatus::kBadRequest);
  EXPECT_EQ(zero.body, "report 0 has seq 0 (sequence numbers start at 1)\n");
  EXPECT_EQ(Stored("rennes-1"), 0);
}

TEST_F(IngestTest, AFloodFromOneNodeGets429WithRetryAfterAndOthersAreUnaffected) {
  config_.max_pushes_per_minute = 3;
  ingest_ = std::make_unique<Ingest>(config_, *committer_, state_);
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    ASSERT_EQ(Push("Bearer token-1", BatchOf("rennes-1", {seq}), 0).status, HttpStatus::kOk);
  }
  const HttpResponse limited = Push("Bearer token-1", BatchOf("rennes-1", {4}), 0);
  EXPECT_EQ(limited.status, HttpStatus::kTooManyRequests);
  ASSERT_EQ(limited.headers.size(), 1u);
  EXPECT_EQ(limited.headers[0], (std::pair<std::string, std::string>{"Retry-After", "20"}));
  EXPECT_EQ(Push("Bearer token-2", BatchOf("lyon-1", {1}), 0).status, HttpStatus::kOk);
  EXPECT_EQ(Stored("rennes-1"), 3);
}

TEST_F(IngestTest, RebootsAndTheLastShutdownAreTracked) {
  v1::Batch batch;
  batch.ParseFromString(BatchOf("rennes-1", {1}));
  ASSERT_EQ(Push("Bearer token-1", batch.SerializeAsString(), 1000).status, HttpStatus::kOk);
  // The machine lost power: a new boot id, and the agent found no clean-shutdown marker.
  v1::Report& report = *batch.mutable_reports(0);
  report.set_boot_id("0f6e1d3c-1d2b-4b7e-9a51-6c2f0d7b8e11");
  report.set_timestamp_unix_ms(report.timestamp_unix_ms() + 600'000);
  v1::Event* started = report.add_events();
  started->set_kind(v1::Event::AGENT_STARTED);
  started->set_previous_shutdown_clean(false);
  ASSERT_EQ(Push("Bearer token-1", batch.SerializeAsString(), 601'000).status, HttpStatus::kOk);
  const std::vector<NodeState> nodes = state_.Snapshot();
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].facts.boots, 1u);
  EXPECT_FALSE(nodes[0].facts.last_shutdown_clean);
  // The report's clock (1'700'000'601'000) against the receive time (601'000).
  EXPECT_EQ(nodes[0].facts.clock_skew_ms, 1'700'000'000'000);
}

TEST_F(IngestTest, OldReportsArePrunedAndRecentOnesKept) {
  ASSERT_EQ(Push("Bearer token-1", BatchOf("rennes-1", {1, 2}), 1'000).status, HttpStatus::kOk);
  ASSERT_EQ(Push("Bearer token-1", BatchOf("rennes-1", {3}), 5'000).status, HttpStatus::kOk);
  auto pruned = store_->PruneReports(2'000, 1);
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 1);
  EXPECT_EQ(*store_->PruneReports(2'000, 1000), 1);
  EXPECT_EQ(*store_->PruneReports(2'000, 1000), 0);
  EXPECT_EQ(Stored("rennes-1"), 1);
}

TEST_F(IngestTest, WhatWasAcknowledgedIsThereAfterReopening) {
  ASSERT_EQ(Push("Bearer token-1", BatchOf("rennes-1", {7}), 99).status, HttpStatus::kOk);
  ingest_.reset();
  committer_.reset();
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

TEST_F(IngestTest, AReportIsStoredAsTheBytesTheAgentSentNewerFieldsIncluded) {
  v1::Batch batch;
  batch.ParseFromString(BatchOf("rennes-1", {1}));
  // A newer agent's field in the report (number 99, varint 42), and one in the batch (7, varint 1) before it.
  const std::string report = batch.reports(0).SerializeAsString() + std::string("\x98\x06\x2a", 3);
  const std::string body = std::string("\x38\x01", 2) + "\x0a" + static_cast<char>(report.size()) + report;
  ASSERT_EQ(Push("Bearer token-1", body, 1000).status, HttpStatus::kOk);
  const auto stored = store_->ListReports("rennes-1");
  ASSERT_TRUE(stored) << stored.error().message;
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].report.SerializeAsString(), report);
  EXPECT_EQ((*stored)[0].report.seq(), 1u);
}

TEST_F(IngestTest, TheBearerSchemeIsCaseInsensitive) {
  EXPECT_EQ(Push("bearer token-1", BatchOf("rennes-1", {1}), 1).status, HttpStatus::kOk);
  EXPECT_EQ(Push("BEARER  token-1", BatchOf("rennes-1", {2}), 2).status, HttpStatus::kOk);
  EXPECT_EQ(Push("Bearertoken-1", BatchOf("rennes-1", {3}), 3).status, HttpStatus::kUnauthorized);
  EXPECT_EQ(Push("Bearer ", BatchOf("rennes-1", {3}), 3).status, HttpStatus::kUnauthorized);
  EXPECT_EQ(Stored("rennes-1"), 2);
}

TEST_F(IngestTest, AnUnknownTokenIs401BeforeTheBodyIsParsed) {
  // Garbage would be a 400 once parsed: the 401 says it never was.
  const HttpResponse response = Push("Bearer nope", std::string(800 * 1024, '\xff'), 1);
  EXPECT_EQ(response.status, HttpStatus::kUnauthorized);
  EXPECT_EQ(response.body, "unknown token\n");
  EXPECT_EQ(ingest_->counters().pushes_unauthorized.load(), 1u);
  EXPECT_EQ(ingest_->counters().pushes_bad_request.load(), 0u);
}

TEST_F(IngestTest, AReportOverALimitIs400WithTheReasonAndNothingIsStored) {
  v1::Batch batch;
  batch.ParseFromString(BatchOf("rennes-1", {1, 2}));
  for (size_t i = 0; i <= ReportLimits{}.max_disks; ++i) batch.mutable_reports(1)->add_disks()->set_device("sda");
  const HttpResponse response = Push("Bearer token-1", batch.SerializeAsString(), 1);
  EXPECT_EQ(response.status, HttpStatus::kBadRequest);
  EXPECT_EQ(response.body, "report 1 (seq 2): 257 disks, over the limit of 256\n");
  EXPECT_EQ(Stored("rennes-1"), 0);
  EXPECT_TRUE(state_.Snapshot().empty());
  EXPECT_EQ(ingest_->counters().pushes_over_limits.load(), 1u);
  EXPECT_EQ(ingest_->counters().pushes_bad_request.load(), 1u);
}

TEST_F(IngestTest, AStringThatIsNotPrintableIs400NamingTheField) {
  v1::Batch batch;
  batch.ParseFromString(BatchOf("rennes-1", {1}));
  batch.mutable_reports(0)->add_disks()->set_serial("WD-\x1b[2J");
  const HttpResponse response = Push("Bearer token-1", batch.SerializeAsString(), 1);
  EXPECT_EQ(response.status, HttpStatus::kBadRequest);
  EXPECT_EQ(response.body, "report 0 (seq 1): disks[0].serial is not printable UTF-8\n");
  EXPECT_EQ(Stored("rennes-1"), 0);
}

TEST_F(IngestTest, AStringThatIsNotUtf8Is400SayingSo) {
  // Protobuf's parser refuses a proto3 string that is not UTF-8 itself.
  v1::Batch batch;
  batch.ParseFromString(BatchOf("rennes-1", {1}));
  const std::string serial = "WD-\xff\xfe";
  // Disk (field 11) holding serial (field 4), written by hand: protobuf would not serialize it.
  const std::string disk = std::string("\x22") + static_cast<char>(serial.size()) + serial;
  const std::string report_bytes =
      batch.reports(0).SerializeAsString() + "\x5a" + static_cast<char>(disk.size()) + disk;
  const std::string body = "\x0a" + std::string(1, static_cast<char>(report_bytes.size())) + report_bytes;
  const HttpResponse response = Push("Bearer token-1", body, 1);
  EXPECT_EQ(response.status, HttpStatus::kBadRequest);
  EXPECT_EQ(response.body, "the body is not a vigie.v1.Batch protobuf, or one of its strings is not UTF-8\n");
  EXPECT_EQ(Stored("rennes-1"), 0);
}

TEST_F(IngestTest, TheConfiguredLimitsAreTheOnesApplied) {
  config_.report_limits.max_sensors = 5000;
  ingest_ = std::make_unique<Ingest>(config_, *committer_, state_);
  v1::Batch batch;
  batch.ParseFromString(BatchOf("rennes-1", {1}));
  for (int i = 0; i < 2000; ++i) batch.mutable_reports(0)->add_sensors()->set_label("temp1");
  EXPECT_EQ(Push("Bearer token-1", batch.SerializeAsString(), 1).status, HttpStatus::kOk);
  for (int i = 0; i < 3001; ++i) batch.mutable_reports(0)->add_sensors()->set_label("temp1");
  batch.mutable_reports(0)->set_seq(2);
  const HttpResponse over = Push("Bearer token-1", batch.SerializeAsString(), 2);
  EXPECT_EQ(over.status, HttpStatus::kBadRequest);
  EXPECT_EQ(over.body, "report 0 (seq 2): 5001 sensors, over the limit of 5000\n");
  EXPECT_EQ(Stored("rennes-1"), 1);
}

TEST_F(IngestTest, AReportDatedInTheFutureDoesNotFreezeTheNodesState) {
  v1::Batch batch;
  batch.ParseFromString(BatchOf("rennes-1", {1}));
  batch.mutable_reports(0)->set_timestamp_unix_ms(4'102'444'800'000);  // 2100-01-01
  ASSERT_EQ(Push("Bearer token-1", batch.SerializeAsString(), 1'700'000'000'000).status, HttpStatus::kOk);
  // The clock is set right: the next report, older by its clock, is newer by its seq.
  ASSERT_EQ(Push("Bearer token-1", BatchOf("rennes-1", {2}), 1'700'000'002'000).status, HttpStatus::kOk);
  std::vector<NodeState> nodes = state_.Snapshot();
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].last_report->seq(), 2u);
  // And so after a restart, from the store.
  auto loaded = store_->LoadNodes();
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].last_report.seq(), 2u);
}

TEST_F(IngestTest, TheNewestReportOfABatchIsChosenBySeqNotByTimestamp) {
  v1::Batch batch;
  batch.ParseFromString(BatchOf("rennes-1", {1, 2, 3}));
  batch.mutable_reports(0)->set_timestamp_unix_ms(std::numeric_limits<int64_t>::max());
  ASSERT_EQ(Push("Bearer token-1", batch.SerializeAsString(), 1'700'000'000'000).status, HttpStatus::kOk);
  const std::vector<NodeState> nodes = state_.Snapshot();
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].last_report->seq(), 3u);
}

TEST_F(IngestTest, AnExtremeTimestampSaturatesTheSkewAndIsStored) {
  for (const int64_t timestamp : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    v1::Batch batch;
    batch.ParseFromString(BatchOf("rennes-1", {timestamp < 0 ? 1u : 2u}));
    batch.mutable_reports(0)->set_timestamp_unix_ms(timestamp);
    ASSERT_EQ(Push("Bearer token-1", batch.SerializeAsString(), 1'700'000'000'000).status, HttpStatus::kOk);
    const std::vector<NodeState> nodes = state_.Snapshot();
    ASSERT_EQ(nodes.size(), 1u);
    // INT64_MIN minus the receive time saturates; INT64_MAX minus it does not overflow.
    EXPECT_EQ(nodes[0].facts.clock_skew_ms, timestamp < 0 ? timestamp : timestamp - 1'700'000'000'000);
  }
  EXPECT_EQ(Stored("rennes-1"), 2);
}

}  // namespace
}  // namespace vigie::collector
