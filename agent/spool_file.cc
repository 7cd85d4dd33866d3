#include "agent/spool_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

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

// Reads little-endian integers and byte runs from a buffer, failing softly at its end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool U32(uint32_t& value) {
    if (data_.size() - pos_ < 4) return false;
    value = 0;
    for (int i = 0; i < 4; ++i) value |= static_cast<uint32_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    pos_ += 4;
    return true;
  }
  bool U64(uint64_t& value) {
    if (data_.size() - pos_ < 8) return false;
    value = 0;
    for (int i = 0; i < 8; ++i) value |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return true;
  }
  bool Bytes(size_t size, std::string_view& out) {
    if (data_.size() - pos_ < size) return false;
    out = data_.substr(pos_, size);
    pos_ += size;
    return true;
  }
  size_t pos() const { return pos_; }
  bool done() const { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
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
  // Writes what the buffer holds once it passes `threshold` bytes.
  const auto flush = [&](size_t threshold) {
    if (failed || buffer.size() < threshold) return;
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
  constexpr size_t kBufferBytes = 64 * 1024;

  buffer = kMagic;
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
    PutU32(buffer, static_cast<uint32_t>(report.size()));
    PutU32(buffer, Crc32(report));
    buffer += report;
    flush(kBufferBytes);
  }
  flush(0);
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

SpoolFileRead ReadSpoolFile(const std::filesystem::path& path) {
  SpoolFileRead result;
  std::ifstream in(path, std::ios::binary);
  if (!in) return result;
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string data = buffer.str();

  Reader reader(data);
  std::string_view magic;
  uint32_t version = 0, collectors = 0, header_crc = 0;
  bool header_ok = reader.Bytes(kMagic.size(), magic) && magic == kMagic && reader.U32(version) &&
                   version == kVersion && reader.U32(collectors) && collectors < 1024;
  for (uint32_t i = 0; header_ok && i < collectors; ++i) {
    uint32_t url_size = 0;
    std::string_view url;
    uint64_t acknowledged = 0;
    header_ok = reader.U32(url_size) && url_size < 4096 && reader.Bytes(url_size, url) && reader.U64(acknowledged);
    if (header_ok) result.contents.collectors.push_back({std::string(url), acknowledged});
  }
  const size_t header_end = reader.pos();
  header_ok = header_ok && reader.U32(header_crc) && header_crc == Crc32(std::string_view(data).substr(0, header_end));
  if (!header_ok) {
    result.contents = {};
    result.warning = "its header is damaged; no report could be kept";
  } else {
    while (!reader.done()) {
      uint32_t size = 0, crc = 0;
      std::string_view report;
      if (!reader.U32(size) || size > kMaxRecordBytes || !reader.U32(crc) || !reader.Bytes(size, report) ||
          Crc32(report) != crc) {
        result.warning = fmt::format("report {} is cut or damaged; the {} report(s) before it were kept",
                                     result.contents.reports.size() + 1, result.contents.reports.size());
        break;
      }
      result.contents.reports.emplace_back(report);
    }
  }
  if (!result.warning.empty()) {
    std::error_code ignored;
    std::filesystem::rename(path, path.string() + ".damaged", ignored);
  }
  return result;
}

}  // namespace vigie::agent
