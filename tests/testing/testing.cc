#include "tests/testing/testing.h"

#include <stdlib.h>
#include <time.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace vigie::testing {

std::filesystem::path FixturePath(std::string_view relative) {
  return std::filesystem::path(VIGIE_SOURCE_DIR) / "tests" / "fixtures" / relative;
}

std::string ReadFixture(std::string_view relative) {
  const std::filesystem::path path = FixturePath(relative);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read fixture " << path;
    return {};
  }
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

double ThreadCpuMs() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

TempDir::TempDir() {
  const char* base = getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/vigie-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed for " << pattern;
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempDir::Write(std::string_view relative, std::string_view contents) const {
  const std::filesystem::path path = path_ / relative;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << contents;
  return path;
}

}  // namespace vigie::testing
