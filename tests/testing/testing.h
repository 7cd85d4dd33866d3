// Helpers for tests: where the fixtures are, scratch folders that clean up
// after themselves.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace vigie::testing {

// tests/fixtures/<relative>, in the source tree.
std::filesystem::path FixturePath(std::string_view relative);

// The bytes of a fixture file; fails the test (ADD_FAILURE) if unreadable.
std::string ReadFixture(std::string_view relative);

// CPU time of the calling thread, in milliseconds: for tests that compare
// what two inputs cost, unaffected by what else the machine runs.
double ThreadCpuMs();

// A fresh folder under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `contents` to path()/relative (creating folders) and returns its path.
  std::filesystem::path Write(std::string_view relative, std::string_view contents) const;

 private:
  std::filesystem::path path_;
};

}  // namespace vigie::testing
