#pragma once
// SHA-256 (FIPS 180-4, section 6.2), written here because rb_datasets links no crypto library.
// Used for source content hashes and token-cache keys; not for anything security-relevant.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rb::data {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // Finishes the hash (the object must not be updated afterwards).
  std::array<std::uint8_t, 32> digest();
  // Lower-case hex of digest().
  std::string hex_digest();

 private:
  void compress(const std::uint8_t* block);
  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
  bool finished_ = false;
};

// Lower-case hex SHA-256 of the bytes.
std::string sha256_hex(std::string_view bytes);

// Lower-case hex of arbitrary bytes.
std::string to_hex(const std::uint8_t* bytes, std::size_t size);

}  // namespace rb::data
