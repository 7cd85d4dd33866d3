#include "agent/smart/recorded_device_io.h"

#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "common/file_tree.h"
#include "common/log.h"

namespace vigie::agent::smart {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kIdentify = "identify.bin";
constexpr std::string_view kSmartData = "smart_data.bin";
constexpr std::string_view kSmartThresholds = "smart_thresholds.bin";
constexpr std::string_view kPowerMode = "power_mode";
constexpr std::string_view kSmartStatus = "smart_status";
constexpr std::string_view kNvmeIdentify = "nvme_identify.bin";
constexpr std::string_view kErrors = "errors";

std::string LogFile(uint8_t log_address) { return fmt::format("log_{:02x}.bin", log_address); }
std::string NvmeLogFile(uint8_t log_id) { return fmt::format("nvme_log_{:02x}.bin", log_id); }

// Tokens of the `errors` file, one word each.
constexpr std::pair<ErrorCode, std::string_view> kCodeTokens[] = {
    {ErrorCode::kNotFound, "not_found"},     {ErrorCode::kPermissionDenied, "permission_denied"},
    {ErrorCode::kUnavailable, "unavailable"}, {ErrorCode::kMalformed, "malformed"},
    {ErrorCode::kIo, "io"},
};

std::string_view CodeToken(ErrorCode code) {
  for (const auto& [c, token] : kCodeTokens) {
    if (c == code) return token;
  }
  return "io";
}

Result<std::string> ReadWhole(const fs::path& path) {
  constexpr size_t kMaxRecordedBytes = 1 << 20;
  Result<std::string> bytes = ReadFile(path, kMaxRecordedBytes);
  if (!bytes) return Fail(ErrorCode::kNotFound, path.string() + ": not recorded");
  return bytes;
}

// The first space-separated word of `line`, which is left after it.
std::string_view NextWord(std::string_view& line) {
  const size_t start = std::min(line.find_first_not_of(' '), line.size());
  const size_t end = std::min(line.find(' ', start), line.size());
  const std::string_view word = line.substr(start, end - start);
  line.remove_prefix(end);
  return word;
}

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.pop_back();
  return text;
}

class RecordedDeviceIo : public DeviceIo {
 public:
  explicit RecordedDeviceIo(fs::path dir) : dir_(std::move(dir)) {}

  Result<PowerMode> CheckPowerMode(const DiskRef& disk) override {
    return Text(disk, std::string(kPowerMode)).and_then(ParsePowerModeName);
  }
  Result<Block512> Identify(const DiskRef& disk) override { return Block<512>(disk, std::string(kIdentify)); }
  Result<SmartStatus> SmartReturnStatus(const DiskRef& disk) override {
    return Text(disk, std::string(kSmartStatus)).and_then(ParseSmartStatusName);
  }
  Result<Block512> ReadSmartData(const DiskRef& disk) override { return Block<512>(disk, std::string(kSmartData)); }
  Result<Block512> ReadSmartThresholds(const DiskRef& disk) override {
    return Block<512>(disk, std::string(kSmartThresholds));
  }
  Result<Block512> ReadSmartLog(const DiskRef& disk, uint8_t log_address) override {
    return Block<512>(disk, LogFile(log_address));
  }
  Result<Block4096> NvmeIdentifyController(const DiskRef& disk) override {
    return Block<4096>(disk, std::string(kNvmeIdentify));
  }
  Result<Block512> NvmeGetLogPage(const DiskRef& disk, uint8_t log_id) override {
    return Block<512>(disk, NvmeLogFile(log_id));
  }

 private:
  // The error recorded for `file`, if any.
  std::optional<Error> RecordedError(const DiskRef& disk, const std::string& file) const {
    const Result<std::string> errors = ReadWhole(dir_ / disk.name / kErrors);
    if (!errors) return std::nullopt;
    // One line per failed command: "<file> <code token> <message>".
    std::string_view rest = *errors;
    while (!rest.empty()) {
      const size_t end = rest.find('\n');
      std::string_view line = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      const std::string_view name = NextWord(line);
      const std::string_view token = NextWord(line);
      const std::string message(line.substr(std::min(line.find_first_not_of(' '), line.size())));
      if (name != file) continue;
      for (const auto& [code, known] : kCodeTokens) {
        if (token == known) return Error{code, message};
      }
      return Error{ErrorCode::kIo, message};
    }
    return std::nullopt;
  }

  Result<std::string> Raw(const DiskRef& disk, const std::string& file) const {
    if (std::optional<Error> error = RecordedError(disk, file)) return tl::unexpected(*error);
    Result<std::string> bytes = ReadWhole(dir_ / disk.name / file);
    if (!bytes) {
      return Fail(ErrorCode::kUnavailable, fmt::format("{}: {} was not recorded", disk.name, file));
    }
    return bytes;
  }

  Result<std::string> Text(const DiskRef& disk, const std::string& file) const {
    return Raw(disk, file).map(Trim);
  }

  template <size_t N>
  Result<std::array<std::byte, N>> Block(const DiskRef& disk, const std::string& file) const {
    const Result<std::string> bytes = Raw(disk, file);
    if (!bytes) return tl::unexpected(bytes.error());
    if (bytes->size() != N) {
      return Fail(ErrorCode::kMalformed,
                  fmt::format("{}/{}: {} bytes, expected {}", disk.name, file, bytes->size(), N));
    }
    std::array<std::byte, N> block;
    std::memcpy(block.data(), bytes->data(), N);
    return block;
  }

  fs::path dir_;
};

template <size_t N>
std::string_view AsBytes(const std::array<std::byte, N>& block) {
  return std::string_view(reinterpret_cast<const char*>(block.data()), N);
}

}  // namespace

std::unique_ptr<DeviceIo> MakeRecordedDeviceIo(std::filesystem::path dir) {
  return std::make_unique<RecordedDeviceIo>(std::move(dir));
}

std::vector<DiskRef> ListRecordedDisks(const std::filesystem::path& dir) {
  std::vector<DiskRef> disks;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_directory()) continue;
    DiskRef disk;
    disk.name = entry.path().filename().string();
    disk.node = "/dev/" + disk.name;
    const bool nvme = disk.name.starts_with("nvme") || fs::exists(entry.path() / kNvmeIdentify) ||
                      fs::exists(entry.path() / NvmeLogFile(kNvmeLogHealth));
    disk.transport = nvme ? DiskTransport::kNvme : DiskTransport::kAta;
    disks.push_back(std::move(disk));
  }
  std::sort(disks.begin(), disks.end(), [](const DiskRef& a, const DiskRef& b) { return a.name < b.name; });
  return disks;
}

RecordingDeviceIo::RecordingDeviceIo(DeviceIo& live, std::filesystem::path dir)
    : live_(live), dir_(std::move(dir)) {}

void RecordingDeviceIo::PrepareFolder(const DiskRef& disk) {
  std::error_code ec;
  if (prepared_.insert(disk.name).second) fs::remove_all(dir_ / disk.name, ec);
  fs::create_directories(dir_ / disk.name, ec);
}

void RecordingDeviceIo::Save(const DiskRef& disk, const std::string& file, std::string_view bytes) {
  PrepareFolder(disk);
  std::ofstream out(dir_ / disk.name / file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out && !write_failed_) {
    write_failed_ = true;
    LogError("recording disk commands: cannot write {}", (dir_ / disk.name / file).string());
  }
}

void RecordingDeviceIo::SaveError(const DiskRef& disk, const std::string& file, const Error& error) {
  PrepareFolder(disk);
  std::ofstream out(dir_ / disk.name / kErrors, std::ios::app);
  std::string message = error.message;
  std::replace(message.begin(), message.end(), '\n', ' ');
  out << file << ' ' << CodeToken(error.code) << ' ' << message << '\n';
  out.close();
  if (!out && !write_failed_) {
    write_failed_ = true;
    LogError("recording disk commands: cannot write {}", (dir_ / disk.name / kErrors).string());
  }
}

Result<PowerMode> RecordingDeviceIo::CheckPowerMode(const DiskRef& disk) {
  Result<PowerMode> mode = live_.CheckPowerMode(disk);
  if (mode) {
    Save(disk, std::string(kPowerMode), std::string(PowerModeName(*mode)) + "\n");
  } else {
    SaveError(disk, std::string(kPowerMode), mode.error());
  }
  return mode;
}

Result<SmartStatus> RecordingDeviceIo::SmartReturnStatus(const DiskRef& disk) {
  Result<SmartStatus> status = live_.SmartReturnStatus(disk);
  if (status) {
    Save(disk, std::string(kSmartStatus), std::string(SmartStatusName(*status)) + "\n");
  } else {
    SaveError(disk, std::string(kSmartStatus), status.error());
  }
  return status;
}

#define VIGIE_RECORD_BLOCK(call, file)          \
  auto block = (call);                          \
  if (block) {                                  \
    Save(disk, (file), AsBytes(*block));        \
  } else {                                      \
    SaveError(disk, (file), block.error());     \
  }                                             \
  return block

Result<Block512> RecordingDeviceIo::Identify(const DiskRef& disk) {
  VIGIE_RECORD_BLOCK(live_.Identify(disk), std::string(kIdentify));
}
Result<Block512> RecordingDeviceIo::ReadSmartData(const DiskRef& disk) {
  VIGIE_RECORD_BLOCK(live_.ReadSmartData(disk), std::string(kSmartData));
}
Result<Block512> RecordingDeviceIo::ReadSmartThresholds(const DiskRef& disk) {
  VIGIE_RECORD_BLOCK(live_.ReadSmartThresholds(disk), std::string(kSmartThresholds));
}
Result<Block512> RecordingDeviceIo::ReadSmartLog(const DiskRef& disk, uint8_t log_address) {
  VIGIE_RECORD_BLOCK(live_.ReadSmartLog(disk, log_address), LogFile(log_address));
}
Result<Block4096> RecordingDeviceIo::NvmeIdentifyController(const DiskRef& disk) {
  VIGIE_RECORD_BLOCK(live_.NvmeIdentifyController(disk), std::string(kNvmeIdentify));
}
Result<Block512> RecordingDeviceIo::NvmeGetLogPage(const DiskRef& disk, uint8_t log_id) {
  VIGIE_RECORD_BLOCK(live_.NvmeGetLogPage(disk, log_id), NvmeLogFile(log_id));
}

#undef VIGIE_RECORD_BLOCK

Result<void> WriteRecordingProvenance(const std::filesystem::path& dir, std::string_view command) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  utsname host{};
  ::uname(&host);
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char date[32] = {};
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::ofstream out(dir / "PROVENANCE.md", std::ios::trunc);
  out << "# Recorded disk commands\n\n"
      << "Recorded " << date << " on " << host.nodename << " (" << host.sysname << ' ' << host.release << ' '
      << host.machine << ") with:\n\n    " << command << "\n\n"
      << "Each folder holds the exact bytes the drive returned to the agent's\n"
      << "commands (agent/smart/recorded_device_io.h describes the files).\n";
  out.close();
  if (!out) return Fail(ErrorCode::kIo, (dir / "PROVENANCE.md").string() + ": cannot write");
  return {};
}

}  // namespace vigie::agent::smart
