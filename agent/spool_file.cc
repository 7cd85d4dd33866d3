#include "agent/spool_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/crc32.h"

namespace vigie::agent {
namespace {

constexpr std::string_view kMagic = "VIGIESPL";
constexpr uint32_t kVersion = 1;
// No single report comes near this; a larger length is corruption.
constexpr uint32_t kMaxRecordBytes = 16 << 20;

void PutU32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}
void PutU64(std::string& out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

// Reads little-endian integers and byte runs from the file through a small
// buffer, failing softly at its end, and never asking for more than the file
// has left (a damaged length must not allocate megabytes).
class Reader {
 public:
  Reader(int fd, uint64_t size) : fd_(fd), left_(size) {}
  bool Bytes(size_t size, std::string& out) {
    if (size > left_) return false;
    out.clear();
    out.reserve(size);
    while (out.size() < size) {
      if (next_ == end_ && !Refill()) return false;
      const size_t take = std::min(size - out.size(), end_ - next_);
      out.append(buffer_ + next_, take);
      next_ += take;
    }
    left_ -= size;
    if (keep_) kept_ += out;
    return true;
  }
  bool U32(uint32_t& value) { return Integer(4, value); }
  bool U64(uint64_t& value) { return Integer(8, value); }
  bool done() const { return left_ == 0; }
  // The bytes read so far, for the header's CRC, while `keep` is on.
  void Keep(bool keep) { keep_ = keep; }
  const std::string& kept() const { return kept_; }

 private:
  template <class T>
  bool Integer(size_t size, T& value) {
    std::string bytes;
    if (!Bytes(size, bytes)) return false;
    value = 0;
    for (size_t i = 0; i < size; ++i) value |= static_cast<T>(static_cast<uint8_t>(bytes[i])) << (8 * i);
    return true;
  }

  bool Refill() {
    ssize_t n;
    do n = ::read(fd_, buffer_, sizeof buffer_);
    while (n < 0 && errno == EINTR);
    next_ = 0;
    end_ = n > 0 ? static_cast<size_t>(n) : 0;
    return end_ > 0;
  }

  int fd_;
  char buffer_[8192];
  size_t next_ = 0;
  size_t end_ = 0;
  uint64_t left_;
  bool keep_ = false;
  std::string kept_;
};

Error Errno(std::string_view what, const std::filesystem::path& path) {
  const int err = errno;
  return Error{ErrorCodeFromErrno(err), fmt::format("{} {}: {}", what, path.string(), std::strerror(err))};
}

}  // namespace

Result<void> WriteSpoolFile(const std::filesystem::path& path, const std::vector<SpoolCollectorState>& collectors,
                            size_t count, const std::function<std::string(size_t)>& report_at) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return tl::unexpected(Errno("cannot create", temporary));
  std::string buffer;
  bool failed = false;
  Error error;
  const auto flush = [&] {
    if (failed) return;
    size_t written = 0;
    while (written < buffer.size()) {
      const ssize_t n = ::write(fd, buffer.data() + written, buffer.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error = Errno("cannot write", temporary);
        failed = true;
        return;
      }
      written += static_cast<size_t>(n);
    }
    buffer.clear();
  };
  // Records gather in a buffer of fixed capacity, written out before the next
  // would not fit: it never grows, and this runs when the spool is fullest.
  constexpr size_t kBufferBytes = 16 * 1024;
  buffer.reserve(kBufferBytes);
  buffer.assign(kMagic);
  PutU32(buffer, kVersion);
  PutU32(buffer, static_cast<uint32_t>(collectors.size()));
  for (const SpoolCollectorState& collector : collectors) {
    PutU32(buffer, static_cast<uint32_t>(collector.url.size()));
    buffer += collector.url;
    PutU64(buffer, collector.acknowledged);
  }
  PutU32(buffer, Crc32(buffer));
  for (size_t i = 0; i < count && !failed; ++i) {
    const std::string report = report_at(i);
    if (buffer.size() + 8 + report.size() > kBufferBytes) flush();
    PutU32(buffer, static_cast<uint32_t>(report.size()));
    PutU32(buffer, Crc32(report));
    buffer += report;
  }
  flush();
  if (!failed && ::fsync(fd) != 0) {
    error = Errno("cannot fsync", temporary);
    failed = true;
  }
  ::close(fd);
  if (failed) return tl::unexpected(error);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return tl::unexpected(Errno("cannot rename to", path));
  // The rename itself is durable only once the folder is synced.
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

Result<void> WriteSpoolFile(const std::filesystem::path& path, const SpoolContents& contents) {
  return WriteSpoolFile(path, contents.collectors, contents.reports.size(),
                        [&](size_t i) { return contents.reports[i]; });
}

std::string ReadSpoolFile(const std::filesystem::path& path, std::vector<SpoolCollectorState>& collectors,
                          const std::function<void(std::string)>& on_report) {
  collectors.clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  struct stat file{};
  if (::fstat(fd, &file) != 0) {
    ::close(fd);
    return {};
  }
  Reader reader(fd, static_cast<uint64_t>(file.st_size));
  reader.Keep(true);
  std::string magic;
  uint32_t version = 0, count = 0, header_crc = 0;
  bool header_ok = reader.Bytes(kMagic.size(), magic) && magic == kMagic && reader.U32(version) &&
                   version == kVersion && reader.U32(count) && count < 1024;
  for (uint32_t i = 0; header_ok && i < count; ++i) {
    uint32_t url_size = 0;
    std::string url;
    uint64_t acknowledged = 0;
    header_ok = reader.U32(url_size) && url_size < 4096 && reader.Bytes(url_size, url) && reader.U64(acknowledged);
    if (header_ok) collectors.push_back({std::move(url), acknowledged});
  }
  reader.Keep(false);
  header_ok = header_ok && reader.U32(header_crc) && header_crc == Crc32(reader.kept());
  std::string warning;
  if (!header_ok) {
    collectors.clear();
    warning = "its header is damaged; no report could be kept";
  } else {
    std::string report;
    for (size_t kept = 0; !reader.done(); ++kept) {
      uint32_t record_size = 0, crc = 0;
      if (!reader.U32(record_size) || record_size > kMaxRecordBytes || !reader.U32(crc) ||
          !reader.Bytes(record_size, report) || Crc32(report) != crc) {
        warning = fmt::format("report {} is cut or damaged; the {} report(s) before it were kept", kept + 1, kept);
        break;
      }
      on_report(std::move(report));
    }
  }
  ::close(fd);
  if (!warning.empty()) {
    std::error_code ignored;
    std::filesystem::rename(path, path.string() + ".damaged", ignored);
  }
  return warning;
}

SpoolFileRead ReadSpoolFile(const std::filesystem::path& path) {
  SpoolFileRead result;
  result.warning = ReadSpoolFile(path, result.contents.collectors,
                                 [&](std::string report) { result.contents.reports.push_back(std::move(report)); });
  return result;
}

}  // namespace vigie::agent
