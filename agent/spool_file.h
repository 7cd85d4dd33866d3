// The spool on disk: written only on SIGTERM and when the oldest unsent
// report is older than a threshold, so a healthy agent never writes.
//
// Format (little-endian), version 1:
//   "VIGIESPL" u32 version
//   u32 collectors, then per collector: u32 url length, url, u64 acknowledged
//   u32 CRC-32 of everything above
//   then per report: u32 length, u32 CRC-32 of the bytes, the serialized v1::Report
// "acknowledged" counts the leading reports that collector already stored.
//
// Writing is atomic (temporary file, fsync, rename, fsync of the folder): a
// crash leaves the old file or the new one, never a mix.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"

namespace vigie::agent {

struct SpoolCollectorState {
  std::string url;
  uint64_t acknowledged = 0;
};

struct SpoolContents {
  std::vector<SpoolCollectorState> collectors;
  std::vector<std::string> reports;  // serialized v1::Report, oldest first
};

// Writes `count` reports, asking `report_at(i)` for each in turn, through a
// small buffer: the whole spool never needs to be expanded in RAM at once.
Result<void> WriteSpoolFile(const std::filesystem::path& path, const std::vector<SpoolCollectorState>& collectors,
                            size_t count, const std::function<std::string(size_t)>& report_at);
Result<void> WriteSpoolFile(const std::filesystem::path& path, const SpoolContents& contents);

struct SpoolFileRead {
  SpoolContents contents;
  // Set when the file was damaged: what was wrong, and that its valid prefix
  // was kept and the file set aside as <path>.damaged.
  std::string warning;
};

// A missing file reads as empty. A damaged one yields its valid prefix; it is
// renamed to <path>.damaged so that the evidence is kept and the next write
// starts clean.
SpoolFileRead ReadSpoolFile(const std::filesystem::path& path);

// The same, one report at a time: `collectors` gets the header's states, and
// each report of the valid prefix goes to `on_report` as soon as its CRC
// checks, oldest first, so that only one report is in RAM at a time (the
// file is read through the stream's buffer). Returns the warning, empty when
// the file was intact or missing.
std::string ReadSpoolFile(const std::filesystem::path& path, std::vector<SpoolCollectorState>& collectors,
                          const std::function<void(std::string)>& on_report);

}  // namespace vigie::agent
