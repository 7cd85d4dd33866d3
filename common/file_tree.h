// Read-only view of a tree such as /sys or /proc. Production roots it at "/";
// tests at a recorded fixture (tests/fixtures/hosts/<machine>/).
//
// Paths given to it are absolute as on a live system ("/proc/loadavg") and are
// resolved under the root. Thread-compatible: const methods may run
// concurrently. Every failure is a Result error naming the full path.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace vigie {

// The whole file at `path`; an error naming the path when it cannot be read
// or holds more than `max_bytes`. Plain reads rather than an fstream: the
// static agent never sets up the C++ locale (BENCHMARKS.md, agent footprint).
Result<std::string> ReadFile(const std::filesystem::path& path, size_t max_bytes);

class FileTree {
 public:
  explicit FileTree(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }

  // The path under the root where `path` lives.
  std::filesystem::path Resolve(std::string_view path) const;

  // The whole file, with one trailing '\n' trimmed. At most 1 MiB: sysfs and
  // procfs files are far smaller.
  Result<std::string> ReadText(std::string_view path) const;

  // The entries of a directory, sorted by name; empty if it cannot be read.
  std::vector<std::string> List(std::string_view dir) const;

 private:
  std::filesystem::path root_;
};

}  // namespace vigie
