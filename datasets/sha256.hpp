#pragma once
// SHA-256 (FIPS 180-4) through OpenSSL's EVP interface: source content hashes and token-cache
// keys; not for anything security-relevant.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace rb::data {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // Finishes the hash (the object must not be updated afterwards: std::logic_error).
  std::array<std::uint8_t, 32> digest();
  // Lower-case hex of digest().
  std::string hex_digest();

 private:
  struct Free {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, Free> ctx_;
  bool finished_ = false;
};

// Lower-case hex SHA-256 of the bytes.
std::string sha256_hex(std::string_view bytes);

// Lower-case hex of arbitrary bytes.
std::string to_hex(const std::uint8_t* bytes, std::size_t size);

}  // namespace rb::data
