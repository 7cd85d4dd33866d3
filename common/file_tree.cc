#include "common/file_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace vigie {
namespace {

constexpr size_t kMaxFileBytes = 1 << 20;

}  // namespace

Result<std::string> ReadFile(const std::filesystem::path& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return Fail(ErrorCodeFromErrno(err), fmt::format("{}: {}", path.string(), std::strerror(err)));
  }
  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return Fail(ErrorCodeFromErrno(err), fmt::format("{}: {}", path.string(), std::strerror(err)));
    }
    if (n == 0) break;
    if (text.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      return Fail(ErrorCode::kMalformed, fmt::format("{}: larger than {} bytes", path.string(), max_bytes));
    }
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

FileTree::FileTree(std::filesystem::path root) : root_(std::move(root)) {}

std::filesystem::path FileTree::Resolve(std::string_view path) const {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return root_ / path;
}

Result<std::string> FileTree::ReadText(std::string_view path) const {
  Result<std::string> text = ReadFile(Resolve(path), kMaxFileBytes);
  if (text && !text->empty() && text->back() == '\n') text->pop_back();
  return text;
}

std::vector<std::string> FileTree::List(std::string_view dir) const {
  std::vector<std::string> names;
  const std::filesystem::path full = Resolve(dir);
  DIR* d = ::opendir(full.c_str());
  if (d == nullptr) return names;
  while (const dirent* entry = ::readdir(d)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace vigie
