// statvfs(3) behind a seam: the live system asks the kernel; a recorded host
// replays the numbers saved with its tree.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "common/file_tree.h"
#include "common/result.h"

namespace vigie::agent {

struct FilesystemUsage {
  uint64_t size_bytes = 0;
  uint64_t free_bytes = 0;   // f_bfree: free for root
  uint64_t avail_bytes = 0;  // f_bavail: free for everyone else
  uint64_t files = 0;
  uint64_t files_free = 0;
};

class FilesystemUsageReader {
 public:
  virtual ~FilesystemUsageReader() = default;
  // Usage of the filesystem mounted at `mountpoint`. statvfs answers from the
  // superblock in memory: it never touches the disk.
  virtual Result<FilesystemUsage> Read(const std::string& mountpoint) const = 0;
};

// statvfs(2) on the running system.
class LiveFilesystemUsageReader : public FilesystemUsageReader {
 public:
  Result<FilesystemUsage> Read(const std::string& mountpoint) const override;
};

// A recorded host keeps its statvfs results in <root>/statvfs.tsv, one line a
// mount: "MOUNTPOINT FRSIZE BLOCKS BFREE BAVAIL FILES FFREE" (the fields of
// `stat -f -c '%n %S %b %f %a %c %d'`).
class RecordedFilesystemUsageReader : public FilesystemUsageReader {
 public:
  explicit RecordedFilesystemUsageReader(const FileTree& tree);
  Result<FilesystemUsage> Read(const std::string& mountpoint) const override;

 private:
  std::map<std::string, FilesystemUsage> usage_;
  Error load_error_;
  bool loaded_ = false;
};

// The live reader for a tree rooted at "/", the recorded one otherwise.
std::unique_ptr<FilesystemUsageReader> MakeFilesystemUsageReader(const FileTree& tree);

}  // namespace vigie::agent
