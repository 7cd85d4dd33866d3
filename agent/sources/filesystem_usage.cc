#include "agent/sources/filesystem_usage.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "agent/sources/procfs.h"

namespace vigie::agent {
namespace {

FilesystemUsage FromBlocks(uint64_t fragment_size, uint64_t blocks, uint64_t bfree, uint64_t bavail, uint64_t files,
                           uint64_t ffree) {
  // statvfs(3): f_blocks, f_bfree and f_bavail count units of f_frsize.
  return FilesystemUsage{blocks * fragment_size, bfree * fragment_size, bavail * fragment_size, files, ffree};
}

}  // namespace

Result<FilesystemUsage> LiveFilesystemUsageReader::Read(const std::string& mountpoint) const {
  struct statvfs st {};
  if (::statvfs(mountpoint.c_str(), &st) != 0) {
    const int err = errno;
    return Fail(ErrorCodeFromErrno(err), fmt::format("statvfs {}: {}", mountpoint, std::strerror(err)));
  }
  return FromBlocks(st.f_frsize, st.f_blocks, st.f_bfree, st.f_bavail, st.f_files, st.f_ffree);
}

RecordedFilesystemUsageReader::RecordedFilesystemUsageReader(const FileTree& tree) {
  const Result<std::string> text = tree.ReadText("/statvfs.tsv");
  if (!text) {
    load_error_ = text.error();
    return;
  }
  for (std::string_view rest = *text; !rest.empty();) {
    const std::string_view line = NextLine(rest);
    const std::vector<std::string_view> fields = Fields(line);
    if (fields.empty()) continue;
    uint64_t numbers[6] = {};
    bool ok = fields.size() == 7;
    for (size_t i = 0; ok && i < 6; ++i) ok = ParseNumber(fields[i + 1], numbers[i]);
    if (!ok) {
      load_error_ = Error{ErrorCode::kMalformed, fmt::format("statvfs.tsv: bad line '{}'", line)};
      return;
    }
    usage_[std::string(fields[0])] = FromBlocks(numbers[0], numbers[1], numbers[2], numbers[3], numbers[4], numbers[5]);
  }
  loaded_ = true;
}

Result<FilesystemUsage> RecordedFilesystemUsageReader::Read(const std::string& mountpoint) const {
  if (!loaded_) return tl::unexpected<Error>(load_error_);
  const auto it = usage_.find(mountpoint);
  if (it == usage_.end()) {
    return Fail(ErrorCode::kNotFound, fmt::format("statvfs.tsv has no line for {}", mountpoint));
  }
  return it->second;
}

std::unique_ptr<FilesystemUsageReader> MakeFilesystemUsageReader(const FileTree& tree) {
  if (tree.root() == "/") return std::make_unique<LiveFilesystemUsageReader>();
  return std::make_unique<RecordedFilesystemUsageReader>(tree);
}

}  // namespace vigie::agent
