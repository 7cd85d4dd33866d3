#include "agent/sources/filesystem_usage.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include <fmt/format.h>

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
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string mountpoint;
    uint64_t frsize = 0, blocks = 0, bfree = 0, bavail = 0, files = 0, ffree = 0;
    if (!(fields >> mountpoint >> frsize >> blocks >> bfree >> bavail >> files >> ffree)) {
      load_error_ = Error{ErrorCode::kMalformed, fmt::format("statvfs.tsv: bad line '{}'", line)};
      return;
    }
    usage_[mountpoint] = FromBlocks(frsize, blocks, bfree, bavail, files, ffree);
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
