#include "collector/store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "tests/testing/testing.h"

namespace vigie::collector {
namespace {

constexpr const char* kBoot = "6ef63991-7ee5-4c0b-81a3-e6c91f946998";
constexpr const char* kNextBoot = "0f6e1d3c-1d2b-4b7e-9a51-6c2f0d7b8e11";

// Reports `seqs` of one boot, taken a second apart from `first_ms`.
v1::Batch BatchOf(const std::string& node, const std::string& boot, std::vector<uint64_t> seqs, int64_t first_ms) {
  v1::Batch batch;
  for (uint64_t seq : seqs) {
    v1::Report* report = batch.add_reports();
    report->set_node_id(node);
    report->set_boot_id(boot);
    report->set_seq(seq);
    report->set_timestamp_unix_ms(first_ms + (batch.reports_size() - 1) * 1000);
    report->mutable_system()->set_load1(static_cast<double>(seq));
  }
  return batch;
}

std::string Hex(std::string_view bytes) {
  std::string hex;
  for (const char c : bytes) hex += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return hex;
}

// A batch to write with its reports' bytes, as ingest hands it over.
struct Write {
  Write(std::string node, v1::Batch batch_in, int64_t received_ms)
      : node_id(std::move(node)), batch(std::move(batch_in)) {
    for (const v1::Report& report : batch.reports()) bodies.push_back(report.SerializeAsString());
    views.assign(bodies.begin(), bodies.end());
    write = BatchWrite{&node_id, &batch, views, received_ms};
  }
  std::string node_id;
  v1::Batch batch;
  std::vector<std::string> bodies;
  std::vector<std::string_view> views;
  BatchWrite write;
};

TEST(Store, BatchesOfOneNodeInOneTransactionLeaveItsNewestStateAndEachItsOwnFacts) {
  testing::TempDir dir;
  auto store = Store::Open(dir.path() / "c.db");
  ASSERT_TRUE(store) << store.error().message;
  // One transaction: two reports of one boot, then the next boot, then an
  // old report arriving late, and another node's batch between them.
  const Write first("rennes-1", BatchOf("rennes-1", kBoot, {1, 2}, 10'000), 1000);
  const Write other("lyon-1", BatchOf("lyon-1", kBoot, {1}, 10'000), 1500);
  const Write rebooted("rennes-1", BatchOf("rennes-1", kNextBoot, {1}, 20'000), 2000);
  const Write late("rennes-1", BatchOf("rennes-1", kBoot, {3}, 12'000), 3000);
  const std::vector<BatchWrite> writes = {first.write, other.write, rebooted.write, late.write};
  auto stored = (*store)->StoreBatches(writes);
  ASSERT_TRUE(stored) << stored.error().message;
  ASSERT_EQ(stored->size(), 4u);
  EXPECT_EQ((*stored)[0].facts.boots, 0u);
  EXPECT_EQ((*stored)[2].facts.boots, 1u);
  EXPECT_EQ((*stored)[3].stored, 1u);

  // The row as this store wrote it, then as a fresh one reads it.
  for (int reopen = 0; reopen < 2; ++reopen) {
    if (reopen == 1) {
      store->reset();
      store = Store::Open(dir.path() / "c.db");
      ASSERT_TRUE(store) << store.error().message;
    }
    auto nodes = (*store)->LoadNodes();
    ASSERT_TRUE(nodes) << nodes.error().message;
    ASSERT_EQ(nodes->size(), 2u);
    const NodeRecord& rennes = (*nodes)[1];
    ASSERT_EQ(rennes.node_id, "rennes-1");
    // Across boots the order is the arrival's (a node's clock is not
    // trusted): the report of the first boot that came after the reboot's
    // is the node's state, as an agent, which sends in order, would mean it.
    EXPECT_EQ(rennes.boot_id, kBoot);
    EXPECT_EQ(rennes.last_seq, 3u);
    EXPECT_EQ(rennes.last_report.boot_id(), kBoot);
    EXPECT_EQ(rennes.last_seen_ms, 3000);
    EXPECT_EQ(rennes.facts.boots, 2u);
    EXPECT_EQ((*nodes)[0].last_seq, 1u);
    EXPECT_EQ((*nodes)[0].last_seen_ms, 1500);
  }
  // The next transactions find the row the last one left: read back from
  // the table, then as this store keeps it.
  auto next = (*store)->StoreBatch("rennes-1", BatchOf("rennes-1", kBoot, {9}, 30'000), 4000);
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_EQ(next->facts.boots, 2u);
  next = (*store)->StoreBatch("rennes-1", BatchOf("rennes-1", kNextBoot, {2}, 40'000), 5000);
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_EQ(next->facts.boots, 3u);
}

TEST(Store, ADatabaseWithTheReportsTableOfBeforeIngestCpuOpensStoresAndDeduplicates) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "c.db").string();
  {
    // The reports table as collectors made it before (WITHOUT ROWID), holding seq 1.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const std::string sql = fmt::format(
        "CREATE TABLE reports (node_id TEXT NOT NULL, boot_id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "received_ms INTEGER NOT NULL, timestamp_ms INTEGER NOT NULL, body BLOB NOT NULL, "
        "PRIMARY KEY (node_id, boot_id, seq)) WITHOUT ROWID; "
        "INSERT INTO reports VALUES ('rennes-1', '{}', 1, 1000, 10000, x'{}');",
        kBoot, Hex(BatchOf("rennes-1", kBoot, {1}, 10'000).reports(0).SerializeAsString()));
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto store = Store::Open(path);
  ASSERT_TRUE(store) << store.error().message;
  auto stored = (*store)->StoreBatch("rennes-1", BatchOf("rennes-1", kBoot, {1, 2}, 10'000), 2000);
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(stored->stored, 1u);
  EXPECT_EQ(stored->duplicates, 1u);
  auto reports = (*store)->ListReports("rennes-1");
  ASSERT_TRUE(reports) << reports.error().message;
  ASSERT_EQ(reports->size(), 2u);
  EXPECT_EQ((*reports)[0].report.seq(), 1u);
  EXPECT_EQ((*reports)[1].report.seq(), 2u);
}

// Report `seq` of `node` with `padding` bytes of an unknown field (a newer
// agent's), which the store keeps as they came.
v1::Batch PaddedReport(const std::string& node, uint64_t seq, size_t padding) {
  // Timestamps of one varint size: every report of one padding has one size.
  v1::Batch batch = BatchOf(node, kBoot, {seq}, 1'700'000'000'000 + static_cast<int64_t>(seq) * 1000);
  std::string bytes = batch.reports(0).SerializeAsString();
  // Field 99, length-delimited: tag 99 << 3 | 2 as a varint, then the length.
  bytes += "\x9a\x06";
  bytes += static_cast<char>(0x80 | (padding & 0x7f));
  bytes += static_cast<char>(padding >> 7);
  bytes += std::string(padding, 'x');
  EXPECT_TRUE(batch.mutable_reports(0)->ParseFromString(bytes));
  return batch;
}

TEST(Store, ANodesHistoryOverItsBudgetLosesItsOldestReportsOnly) {
  testing::TempDir dir;
  const int64_t budget = 10 * 1024 + 512;
  auto store = Store::Open(dir.path() / "c.db", Store::Mode::kReadWrite, StoreLimits{budget});
  ASSERT_TRUE(store) << store.error().message;
  for (uint64_t seq = 1; seq <= 20; ++seq) {
    ASSERT_TRUE((*store)->StoreBatch("rennes-1", PaddedReport("rennes-1", seq, 1000), static_cast<int64_t>(seq)));
    if (seq <= 3) {
      ASSERT_TRUE((*store)->StoreBatch("brest-1", PaddedReport("brest-1", seq, 1000), 1));
    }
  }
  const int64_t report_bytes = static_cast<int64_t>(PaddedReport("rennes-1", 20, 1000).reports(0).ByteSizeLong());
  EXPECT_EQ(*(*store)->HistoryBytes("rennes-1"), 20 * report_bytes);

  // Nothing is old enough to go by age; rennes-1 is over its budget.
  EXPECT_EQ(*(*store)->PruneReports(0, 1000), 20 - budget / report_bytes);
  auto kept = (*store)->ListReports("rennes-1");
  ASSERT_TRUE(kept);
  ASSERT_EQ(static_cast<int64_t>(kept->size()), budget / report_bytes);
  EXPECT_EQ(kept->front().report.seq(), static_cast<uint64_t>(20 - budget / report_bytes + 1));
  EXPECT_EQ(kept->back().report.seq(), 20u);
  EXPECT_EQ(*(*store)->HistoryBytes("rennes-1"), budget / report_bytes * report_bytes);
  EXPECT_EQ(*(*store)->CountReports("brest-1"), 3);
  EXPECT_EQ(*(*store)->PruneReports(0, 1000), 0);
}

TEST(Store, ReportsPrunedByAgeLeaveTheirBytesAndAReopenKeepsTheCount) {
  testing::TempDir dir;
  const int64_t budget = 10 * 1024 + 512;
  {
    auto store = Store::Open(dir.path() / "c.db", Store::Mode::kReadWrite, StoreLimits{budget});
    ASSERT_TRUE(store) << store.error().message;
    for (uint64_t seq = 1; seq <= 10; ++seq) {
      ASSERT_TRUE((*store)->StoreBatch("rennes-1", PaddedReport("rennes-1", seq, 1000), static_cast<int64_t>(seq)));
    }
    EXPECT_EQ(*(*store)->PruneReports(6, 1000), 5);
    // Five more: ten in all, within the budget once the five pruned are off it.
    for (uint64_t seq = 11; seq <= 15; ++seq) {
      ASSERT_TRUE((*store)->StoreBatch("rennes-1", PaddedReport("rennes-1", seq, 1000), static_cast<int64_t>(seq)));
    }
    EXPECT_EQ(*(*store)->PruneReports(0, 1000), 0);
  }
  auto store = Store::Open(dir.path() / "c.db", Store::Mode::kReadWrite, StoreLimits{budget});
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE((*store)->StoreBatch("rennes-1", PaddedReport("rennes-1", 16, 1000), 16));
  EXPECT_EQ(*(*store)->PruneReports(0, 1000), 1);
  EXPECT_EQ(*(*store)->CountReports("rennes-1"), 10);
}

TEST(Store, ANodesTableOfBeforeHistoryBytesGetsThemCounted) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "c.db").string();
  {
    auto store = Store::Open(path);
    ASSERT_TRUE(store) << store.error().message;
    for (uint64_t seq = 1; seq <= 3; ++seq) {
      ASSERT_TRUE((*store)->StoreBatch("rennes-1", PaddedReport("rennes-1", seq, 500), 1));
    }
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "ALTER TABLE nodes DROP COLUMN history_bytes", nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto store = Store::Open(path);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ(*(*store)->HistoryBytes("rennes-1"),
            3 * static_cast<int64_t>(PaddedReport("rennes-1", 1, 500).reports(0).ByteSizeLong()));
}

}  // namespace
}  // namespace vigie::collector
