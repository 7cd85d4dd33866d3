#include "agent/spool_file.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/testing/testing.h"

namespace vigie::agent {
namespace {

SpoolContents Sample() {
  SpoolContents contents;
  contents.collectors = {{"http://primary:9470", 2}, {"https://standby:9470", 0}};
  contents.reports = {"first report", std::string(1000, 'x'), "third", ""};
  return contents;
}

TEST(SpoolFile, WhatIsWrittenIsReadBack) {
  testing::TempDir dir;
  const auto path = dir.path() / "spool";
  ASSERT_TRUE(WriteSpoolFile(path, Sample()));
  const SpoolFileRead read = ReadSpoolFile(path);
  EXPECT_EQ(read.warning, "");
  EXPECT_EQ(read.contents.reports, Sample().reports);
  ASSERT_EQ(read.contents.collectors.size(), 2u);
  EXPECT_EQ(read.contents.collectors[0].url, "http://primary:9470");
  EXPECT_EQ(read.contents.collectors[0].acknowledged, 2u);
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));
}

TEST(SpoolFile, AMissingFileIsAnEmptySpool) {
  testing::TempDir dir;
  const SpoolFileRead read = ReadSpoolFile(dir.path() / "spool");
  EXPECT_EQ(read.warning, "");
  EXPECT_TRUE(read.contents.reports.empty());
}

TEST(SpoolFile, AFileCutInARecordKeepsTheValidPrefixAndIsSetAside) {
  testing::TempDir dir;
  const auto path = dir.path() / "spool";
  ASSERT_TRUE(WriteSpoolFile(path, Sample()));
  // Cut in the middle of the second report's 1000 bytes.
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - (8 + 0) - (8 + 5) - 500);
  const SpoolFileRead read = ReadSpoolFile(path);
  EXPECT_EQ(read.contents.reports, (std::vector<std::string>{"first report"}));
  EXPECT_EQ(read.warning, "report 2 is cut or damaged; the 1 report(s) before it were kept");
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::exists(path.string() + ".damaged"));
}

TEST(SpoolFile, AFlippedByteIsCaughtByTheChecksum) {
  testing::TempDir dir;
  const auto path = dir.path() / "spool";
  ASSERT_TRUE(WriteSpoolFile(path, Sample()));
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  // The last record is empty (8 bytes of length and CRC); before it, "third".
  file.seekp(-(4 + 4 + 3), std::ios::end);
  file.put('T');
  file.close();
  const SpoolFileRead read = ReadSpoolFile(path);
  EXPECT_EQ(read.contents.reports.size(), 2u);
  EXPECT_NE(read.warning, "");
}

TEST(SpoolFile, ReadReportByReportHandsOverTheValidPrefixInOrder) {
  testing::TempDir dir;
  const auto path = dir.path() / "spool";
  ASSERT_TRUE(WriteSpoolFile(path, Sample()));
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 4);  // into the last record's header
  std::vector<SpoolCollectorState> collectors;
  std::vector<std::string> reports;
  const std::string warning =
      ReadSpoolFile(path, collectors, [&](std::string report) { reports.push_back(std::move(report)); });
  EXPECT_EQ(reports, (std::vector<std::string>{"first report", std::string(1000, 'x'), "third"}));
  EXPECT_EQ(warning, "report 4 is cut or damaged; the 3 report(s) before it were kept");
  ASSERT_EQ(collectors.size(), 2u);
  EXPECT_EQ(collectors[1].url, "https://standby:9470");
  EXPECT_EQ(collectors[0].acknowledged, 2u);
}

TEST(SpoolFile, ARecordLengthPastTheEndOfTheFileIsDamage) {
  testing::TempDir dir;
  const auto path = dir.path() / "spool";
  ASSERT_TRUE(WriteSpoolFile(path, SpoolContents{{}, {"only"}}));
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(-(4 + 4 + 4), std::ios::end);  // the record's length: 4 -> 0x00ffffff
  file.write("\xff\xff\xff\x00", 4);
  file.close();
  const SpoolFileRead read = ReadSpoolFile(path);
  EXPECT_TRUE(read.contents.reports.empty());
  EXPECT_EQ(read.warning, "report 1 is cut or damaged; the 0 report(s) before it were kept");
}

TEST(SpoolFile, ADamagedHeaderKeepsNothing) {
  testing::TempDir dir;
  const auto path = dir.Write("spool", "VIGIESPL\x01\x00\x00\x00garbage");
  const SpoolFileRead read = ReadSpoolFile(path);
  EXPECT_TRUE(read.contents.reports.empty());
  EXPECT_EQ(read.warning, "its header is damaged; no report could be kept");
}

}  // namespace
}  // namespace vigie::agent
