// CRC-32 (IEEE 802.3, the polynomial of zlib and PNG), for detecting torn or
// corrupted records in files the daemons write themselves.
#pragma once

#include <cstdint>
#include <string_view>

namespace vigie {

uint32_t Crc32(std::string_view bytes, uint32_t crc = 0);

}  // namespace vigie
