#include "agent/smart/ata_logs.h"

#include <algorithm>

#include <fmt/format.h>

namespace vigie::agent::smart {
namespace {

// Summary SMART error log (T13/1321D table 39): byte 0 version, byte 1 index
// of the most recent of five 90-byte error log data structures (from byte
// 2), bytes 452-453 device error count, byte 511 checksum.
constexpr size_t kErrorCountOffset = 452;

// SMART self-test log (T13/1321D tables 44-45): bytes 0-1 revision, 21
// descriptors of 24 bytes from byte 2, byte 508 index of the most recent
// descriptor (1-based), byte 511 checksum. Descriptor: byte 0 test number
// (the subcommand that started it), byte 1 status, bytes 2-3 life-time
// power-on hours, byte 4 failure checkpoint, bytes 5-8 LBA of first failure.
constexpr size_t kDescriptorCount = 21;
constexpr size_t kDescriptorBytes = 24;
constexpr size_t kMostRecentIndexByte = 508;

// smartctl's Test_Description column (ataprint.cpp).
std::string TestTypeText(uint8_t type) {
  switch (type) {
    case 0x00: return "Offline";
    case 0x01: return "Short offline";
    case 0x02: return "Extended offline";
    case 0x03: return "Conveyance offline";
    case 0x04: return "Selective offline";
    case 0x7f: return "Abort offline test";
    case 0x81: return "Short captive";
    case 0x82: return "Extended captive";
    case 0x83: return "Conveyance captive";
    case 0x84: return "Selective captive";
    default:
      // ACS-3, SMART EXECUTE OFF-LINE IMMEDIATE subcommands: 40h-7Eh and
      // 90h-FFh are vendor specific.
      if ((type >= 0x40 && type <= 0x7e) || type >= 0x90) return fmt::format("Vendor ({:#04x})", type);
      return fmt::format("Reserved ({:#04x})", type);
  }
}

// smartctl's Status column: ACS-3's self-test execution status values (the
// same codes as SMART READ DATA byte 363, bits 7:4).
std::string StatusText(uint8_t status) {
  switch (status) {
    case 0x0: return "Completed without error";
    case 0x1: return "Aborted by host";
    case 0x2: return "Interrupted (host reset)";
    case 0x3: return "Fatal or unknown error";
    case 0x4: return "Completed: unknown failure";
    case 0x5: return "Completed: electrical failure";
    case 0x6: return "Completed: servo/seek failure";
    case 0x7: return "Completed: read failure";
    case 0x8: return "Completed: handling damage??";
    case 0xf: return "Self-test routine in progress";
    default: return fmt::format("Unknown status ({:#x})", status);
  }
}

bool IsEmpty(std::span<const std::byte> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; });
}

// Bytes 0-3 are the same in both self-test logs: type, status, life-time
// power-on hours; the failure LBA's width differs and is passed in.
AtaSelfTestEntry DecodeEntry(std::span<const std::byte> descriptor, uint64_t lba, bool lba_is_none) {
  AtaSelfTestEntry entry;
  entry.type = std::to_integer<uint8_t>(descriptor[0]);
  entry.status_byte = std::to_integer<uint8_t>(descriptor[1]);
  entry.status = static_cast<uint8_t>(entry.status_byte >> 4);
  entry.remaining_percent = static_cast<uint8_t>((entry.status_byte & 0x0f) * 10);
  entry.lifetime_hours = static_cast<uint16_t>(LoadLe(descriptor, 2, 2));
  entry.type_text = TestTypeText(entry.type);
  entry.status_text = StatusText(entry.status);
  entry.failed = entry.status >= 0x3 && entry.status <= 0x8;
  if (entry.failed && !lba_is_none) entry.first_failure_lba = lba;
  return entry;
}

Result<void> CheckSum(std::span<const std::byte> page, std::string_view what) {
  if (ByteSum(page) != 0) {
    return Fail(ErrorCode::kMalformed,
                fmt::format("{}: checksum mismatch (bytes sum to {:#04x}, not 0)", what, ByteSum(page)));
  }
  return {};
}

}  // namespace

Result<AtaErrorLogSummary> ParseAtaSummaryErrorLog(Page512 page, bool ignore_checksum) {
  if (!ignore_checksum) {
    if (Result<void> sum = CheckSum(page, "SMART summary error log"); !sum) return tl::unexpected(sum.error());
  }
  AtaErrorLogSummary log;
  log.version = std::to_integer<uint8_t>(page[0]);
  log.most_recent_index = std::to_integer<uint8_t>(page[1]);
  if (log.most_recent_index > 5) {
    return Fail(ErrorCode::kMalformed,
                fmt::format("SMART summary error log: error log index {} is above 5", log.most_recent_index));
  }
  log.error_count = static_cast<uint16_t>(LoadLe(page, kErrorCountOffset, 2));
  return log;
}

Result<AtaSelfTestLog> ParseAtaSelfTestLog(Page512 page, bool ignore_checksum) {
  if (!ignore_checksum) {
    if (Result<void> sum = CheckSum(page, "SMART self-test log"); !sum) return tl::unexpected(sum.error());
  }
  AtaSelfTestLog log;
  log.revision = static_cast<uint16_t>(LoadLe(page, 0, 2));
  const uint8_t most_recent = std::to_integer<uint8_t>(page[kMostRecentIndexByte]);
  if (most_recent > kDescriptorCount) {
    return Fail(ErrorCode::kMalformed,
                fmt::format("SMART self-test log: descriptor index {} is above {}", most_recent, kDescriptorCount));
  }
  if (most_recent == 0) return log;  // no self-test logged

  // Walk the circular buffer backwards from the most recent descriptor, as
  // smartctl numbers them (#1 = most recent), skipping never-written ones.
  for (size_t step = 0; step < kDescriptorCount; ++step) {
    const size_t index = (most_recent - 1 + kDescriptorCount - step) % kDescriptorCount;
    const std::span<const std::byte> descriptor = page.subspan(2 + index * kDescriptorBytes, kDescriptorBytes);
    if (IsEmpty(descriptor)) continue;
    // Bytes 5-8 hold a 32-bit LBA field; FFFFFFFFh means none.
    const uint64_t lba = LoadLe(descriptor, 5, 4);
    log.entries.push_back(DecodeEntry(descriptor, lba, lba == 0xffffffff));
  }
  return log;
}

Result<AtaExtErrorLogSummary> ParseAtaExtendedErrorLog(Page512 first_page, bool ignore_checksum) {
  if (!ignore_checksum) {
    if (Result<void> sum = CheckSum(first_page, "Extended Comprehensive SMART error log"); !sum) {
      return tl::unexpected(sum.error());
    }
  }
  // ATA8-ACS table A.7: byte 0 version, bytes 2-3 error log index, four
  // 124-byte error log data structures from byte 4, bytes 500-501 device
  // error count, byte 511 checksum.
  AtaExtErrorLogSummary log;
  log.version = std::to_integer<uint8_t>(first_page[0]);
  log.most_recent_index = static_cast<uint16_t>(LoadLe(first_page, 2, 2));
  log.error_count = static_cast<uint16_t>(LoadLe(first_page, 500, 2));
  return log;
}

Result<AtaSelfTestLog> ParseAtaExtendedSelfTestLog(std::span<const std::byte> pages, bool ignore_checksum) {
  if (pages.empty() || pages.size() % 512 != 0) {
    return Fail(ErrorCode::kMalformed,
                fmt::format("Extended SMART self-test log: {} bytes, expected a multiple of 512", pages.size()));
  }
  const size_t page_count = pages.size() / 512;
  for (size_t p = 0; p < page_count && !ignore_checksum; ++p) {
    const std::string what = fmt::format("Extended SMART self-test log page {}", p);
    if (Result<void> sum = CheckSum(pages.subspan(p * 512, 512), what); !sum) return tl::unexpected(sum.error());
  }
  // ATA8-ACS table A.12: byte 0 version, bytes 2-3 descriptor index (1-based
  // in practice, as smartctl notes), 19 descriptors of 26 bytes from byte 4
  // in every page. Table A.13: descriptor bytes 5-10 hold a 48-bit LBA.
  constexpr size_t kExtPerPage = 19;
  constexpr size_t kExtDescriptorBytes = 26;
  AtaSelfTestLog log;
  log.revision = std::to_integer<uint8_t>(pages[0]);
  const size_t most_recent = LoadLe(pages, 2, 2);
  const size_t total = page_count * kExtPerPage;
  if (most_recent > total) {
    return Fail(ErrorCode::kMalformed,
                fmt::format("Extended SMART self-test log: descriptor index {} is above {}", most_recent, total));
  }
  if (most_recent == 0) return log;
  for (size_t step = 0; step < total; ++step) {
    const size_t index = (most_recent - 1 + total - step) % total;
    const size_t offset = (index / kExtPerPage) * 512 + 4 + (index % kExtPerPage) * kExtDescriptorBytes;
    const std::span<const std::byte> descriptor = pages.subspan(offset, kExtDescriptorBytes);
    if (IsEmpty(descriptor)) continue;
    const uint64_t lba = LoadLe(descriptor, 5, 6);
    log.entries.push_back(DecodeEntry(descriptor, lba, lba == 0xffffffffffff));
  }
  return log;
}

}  // namespace vigie::agent::smart
