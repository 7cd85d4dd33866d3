// ATA SMART logs: the summary SMART error log (log address 01h) and the
// SMART self-test log (06h), read with SMART READ LOG, and their 48-bit
// successors read with READ LOG EXT, the Extended Comprehensive SMART error
// log (03h) and the Extended SMART self-test log (07h), which `smartctl -x`
// prints instead. Layouts: ATA/ATAPI-5 (T13/1321D rev 1) tables 39-45 for
// 01h/06h, ATA8-ACS (T13/1699-D rev 6a) tables A.7 and A.12-A.13 for
// 03h/07h, unchanged in ACS-3 Annex A. Pure functions over the pages.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agent/smart/page.h"
#include "common/result.h"

namespace vigie::agent::smart {

struct AtaErrorLogSummary {
  // Byte 0: log version (01h).
  uint8_t version = 0;
  // Byte 1: error log index, 1-5 for the most recent of the 5 data
  // structures, 0 when none is in use.
  uint8_t most_recent_index = 0;
  // Bytes 452-453: device error count, errors since the device was made
  // (saturates at 65535 in the drive). smartctl's "ATA Error Count: N".
  uint16_t error_count = 0;
};

// Errors (kMalformed): the page does not sum to 0 mod 256 (unless
// ignore_checksum: smartctl warns and goes on, and some firmware, e.g.
// Samsung's, writes bad log checksums), or the index is above 5.
Result<AtaErrorLogSummary> ParseAtaSummaryErrorLog(Page512 page, bool ignore_checksum = false);

struct AtaSelfTestEntry {
  // Descriptor byte 0: the self-test subcommand (LBA low of SMART EXECUTE
  // OFF-LINE IMMEDIATE): 01h short offline, 02h extended, 81h short captive...
  uint8_t type = 0;
  // Descriptor byte 1: bits 7:4 status, bits 3:0 percent remaining in tens.
  uint8_t status_byte = 0;
  // status_byte >> 4, and smartctl's text for it ("Completed without error",
  // "Completed: read failure", "Self-test routine in progress", ...).
  uint8_t status = 0;
  std::string status_text;
  // smartctl's Test_Description column ("Short offline", "Extended offline").
  std::string type_text;
  // (status_byte & 0x0f) * 10.
  uint8_t remaining_percent = 0;
  // Descriptor bytes 2-3: power-on hours when the test completed.
  uint16_t lifetime_hours = 0;
  // LBA of the first failure (log 06h: descriptor bytes 5-8; log 07h: bytes
  // 5-10), when the status is one of the failures (3h-8h) and the value is
  // not all ones.
  std::optional<uint64_t> first_failure_lba;
  // smartctl's verdict: status 3h-8h is a failed test.
  bool failed = false;
};

struct AtaSelfTestLog {
  // Bytes 0-1: revision (0001h).
  uint16_t revision = 0;
  // Non-empty descriptors, most recent first (smartctl's "# 1" first), from
  // the circular buffer of 21 descriptors of 24 bytes at byte 2, whose most
  // recent one is given by byte 508 (1-based; 0: no test logged).
  std::vector<AtaSelfTestEntry> entries;
};

// Errors (kMalformed): the page does not sum to 0 mod 256 (unless
// ignore_checksum), or byte 508 is above 21.
Result<AtaSelfTestLog> ParseAtaSelfTestLog(Page512 page, bool ignore_checksum = false);

struct AtaExtErrorLogSummary {
  // Byte 0: log version.
  uint8_t version = 0;
  // Bytes 2-3: index of the most recent error log data structure (0: none).
  uint16_t most_recent_index = 0;
  // Bytes 500-501: device error count, smartctl's "Device Error Count: N".
  uint16_t error_count = 0;
};

// The first 512-byte page of the Extended Comprehensive SMART error log
// (03h), which carries the index and the count. Errors (kMalformed): the page
// does not sum to 0 mod 256 (unless ignore_checksum).
Result<AtaExtErrorLogSummary> ParseAtaExtendedErrorLog(Page512 first_page, bool ignore_checksum = false);

// The Extended SMART self-test log (07h): `pages` is all of it, a multiple of
// 512 bytes (19 descriptors of 26 bytes per page, from byte 4; page 0 bytes
// 2-3 hold the 1-based index of the most recent descriptor over all pages).
// Entries most recent first, as for log 06h. Errors (kMalformed): no page or
// a size that is not a multiple of 512, a page that does not sum to 0 mod
// 256 (unless ignore_checksum), or an index beyond the descriptors.
Result<AtaSelfTestLog> ParseAtaExtendedSelfTestLog(std::span<const std::byte> pages, bool ignore_checksum = false);

}  // namespace vigie::agent::smart
