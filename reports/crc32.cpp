#include "reports/crc32.hpp"

#include <zlib.h>

namespace rb::reports {

uint32_t crc32(std::span<const std::byte> data, uint32_t crc) {
  return static_cast<uint32_t>(
      ::crc32_z(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<z_size_t>(data.size())));
}

uint32_t crc32(std::string_view data, uint32_t crc) {
  return crc32(std::as_bytes(std::span<const char>(data.data(), data.size())), crc);
}

}  // namespace rb::reports
