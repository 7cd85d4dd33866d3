#include "agent/smart/nvme_self_test.h"

#include <fmt/format.h>

#include "agent/smart/page.h"

namespace vigie::agent::smart {
namespace {

constexpr size_t kFirstResult = 4;
constexpr size_t kResultBytes = 28;
constexpr size_t kResults = 20;
constexpr uint8_t kUnused = 0xF;

constexpr uint8_t kValidNamespace = 0x1;
constexpr uint8_t kValidFailingLba = 0x2;
constexpr uint8_t kValidStatusCodeType = 0x4;
constexpr uint8_t kValidStatusCode = 0x8;

uint8_t Byte(std::span<const std::byte> bytes, size_t offset) { return static_cast<uint8_t>(bytes[offset]); }

}  // namespace

Result<NvmeSelfTestLog> ParseNvmeSelfTestLog(std::span<const std::byte> page) {
  if (page.size() != kNvmeSelfTestLogBytes) {
    return Fail(ErrorCode::kMalformed, fmt::format("NVMe self-test log: {} bytes, expected {}", page.size(),
                                                   kNvmeSelfTestLogBytes));
  }
  NvmeSelfTestLog log;
  log.current_code = Byte(page, 0) & 0x0F;
  log.current_percent_done = Byte(page, 1) & 0x7F;
  for (size_t i = 0; i < kResults; ++i) {
    const std::span<const std::byte> entry = page.subspan(kFirstResult + i * kResultBytes, kResultBytes);
    const uint8_t status = Byte(entry, 0);
    if ((status & 0x0F) == kUnused) continue;
    NvmeSelfTestResult result;
    result.code = status >> 4;
    result.result = status & 0x0F;
    result.segment = Byte(entry, 1);
    const uint8_t valid = Byte(entry, 2);
    result.power_on_hours = LoadLe(entry, 4, 8);
    if (valid & kValidNamespace) result.namespace_id = static_cast<uint32_t>(LoadLe(entry, 12, 4));
    if (valid & kValidFailingLba) result.failing_lba = LoadLe(entry, 16, 8);
    if (valid & kValidStatusCodeType) result.status_code_type = Byte(entry, 24);
    if (valid & kValidStatusCode) result.status_code = Byte(entry, 25);
    log.results.push_back(result);
  }
  return log;
}

std::string_view NvmeSelfTestResultText(uint8_t result) {
  switch (result) {
    case 0x0: return "Completed without error";
    case 0x1: return "Aborted: Device Self-test command";
    case 0x2: return "Aborted: Controller Level Reset";
    case 0x3: return "Aborted: Namespace removed";
    case 0x4: return "Aborted: Format NVM command";
    case 0x5: return "Fatal or unknown test error";
    case 0x6: return "Completed: failed segment (unknown)";
    case 0x7: return "Completed: failed segments";
    case 0x8: return "Aborted: unknown reason";
    case 0x9: return "Aborted: sanitize operation";
    default: return "Reserved";
  }
}

}  // namespace vigie::agent::smart
