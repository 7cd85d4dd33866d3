// NVMe Device Self-test log page (Get Log Page, Log Identifier 06h): NVM
// Express Base Specification 2.0, section 5.16.1.7 (figures 259 and 260).
// Pure: decodes the 564-byte page; no I/O.
//
//   byte 0       Current Device Self-Test Operation: bits 3:0, the code of
//                the test running (0h none, 1h short, 2h extended, Eh vendor)
//   byte 1       Current Device Self-Test Completion: bits 6:0, percent done
//   bytes 3:2    reserved
//   bytes 4..563 twenty Self-test Result Data Structures of 28 bytes, newest
//                first:
//     byte 0       Device Self-test Status: bits 7:4 the test's code, bits 3:0
//                  its result (0h no error ... 7h failed segments, Fh unused)
//     byte 1       Segment Number (of the first failed segment)
//     byte 2       Valid Diagnostic Information: bit 0 NSID, bit 1 FLBA,
//                  bit 2 SCT, bit 3 SC
//     bytes 11:4   Power On Hours when the operation completed or aborted
//     bytes 15:12  Namespace Identifier
//     bytes 23:16  Failing LBA
//     byte 24      Status Code Type; byte 25 Status Code; 27:26 vendor
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace vigie::agent::smart {

inline constexpr size_t kNvmeSelfTestLogBytes = 564;

enum class NvmeSelfTestCode : uint8_t { kNone = 0x0, kShort = 0x1, kExtended = 0x2, kVendor = 0xE };

struct NvmeSelfTestResult {
  uint8_t code = 0;    // NvmeSelfTestCode's values; others as the drive wrote them
  uint8_t result = 0;  // 0h .. 9h as the specification names them (NvmeSelfTestResultText)
  uint8_t segment = 0;
  uint64_t power_on_hours = 0;
  std::optional<uint32_t> namespace_id;  // when marked valid
  std::optional<uint64_t> failing_lba;   // when marked valid
  std::optional<uint8_t> status_code_type;
  std::optional<uint8_t> status_code;

  // Results 5h (fatal error), 6h and 7h (failed segments): the disk failed
  // its test. Aborted tests (1h-4h, 8h, 9h) say nothing of the disk.
  bool Failed() const { return result >= 0x5 && result <= 0x7; }
};

struct NvmeSelfTestLog {
  uint8_t current_code = 0;  // 0 when no test runs
  uint8_t current_percent_done = 0;
  std::vector<NvmeSelfTestResult> results;  // newest first, unused entries left out
};

// Errors (kMalformed): `page` is not 564 bytes. Entries marked unused (Fh)
// end nothing: a drive may leave holes, and each used one is kept.
Result<NvmeSelfTestLog> ParseNvmeSelfTestLog(std::span<const std::byte> page);

// "Completed without error", "Aborted: Device Self-test command", ... as
// nvme-cli words them; "Reserved" for codes the specification does not
// define.
std::string_view NvmeSelfTestResultText(uint8_t result);

}  // namespace vigie::agent::smart
