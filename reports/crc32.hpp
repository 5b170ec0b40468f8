#pragma once
// CRC-32 (IEEE 802.3, as zlib and gzip compute it): the checksum of every journal record.
// A thin span/string_view face over zlib's crc32_z.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace rb::reports {

// Continues a running CRC: crc32(b, crc32(a)) == crc32(a + b). Start with 0.
uint32_t crc32(std::span<const std::byte> data, uint32_t crc = 0);
uint32_t crc32(std::string_view data, uint32_t crc = 0);

}  // namespace rb::reports
