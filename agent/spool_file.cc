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

Result<void> WriteSpoolFile(const std::filesystem::path& path, const SpoolContents& contents) {
  std::string data(kMagic);
  PutU32(data, kVersion);
  PutU32(data, static_cast<uint32_t>(contents.collectors.size()));
  for (const SpoolCollectorState& collector : contents.collectors) {
    PutU32(data, static_cast<uint32_t>(collector.url.size()));
    data += collector.url;
    PutU64(data, collector.acknowledged);
  }
  PutU32(data, Crc32(data));
  for (const std::string& report : contents.reports) {
    PutU32(data, static_cast<uint32_t>(report.size()));
    PutU32(data, Crc32(report));
    data += report;
  }

  const std::filesystem::path temporary = path.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return tl::unexpected(Errno("cannot create", temporary));
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Error error = Errno("cannot write", temporary);
      ::close(fd);
      return tl::unexpected(error);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Error error = Errno("cannot fsync", temporary);
    ::close(fd);
    return tl::unexpected(error);
  }
  ::close(fd);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return tl::unexpected(Errno("cannot rename to", path));
  // The rename itself is durable only once the folder is synced.
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
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
