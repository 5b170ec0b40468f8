// F16 -> F32 by re-biasing the exponent (F. Giesen, "half_to_float_fast5", public domain): the
// subnormal case is renormalized by one exact fp32 subtraction, so the result is exact. Written with
// selects instead of branches so that the compiler vectorizes the loops below.
#include "model_core/loaders/safetensors_convert.hpp"

#include <bit>
#include <cstring>

namespace rb {

static_assert(std::endian::native == std::endian::little, "the loaders assume a little-endian host");

float f16_to_f32(uint16_t h) {
  constexpr uint32_t shifted_exp = 0x7c00u << 13;         // F16 exponent mask, in fp32 position
  const float magic = std::bit_cast<float>(113u << 23);  // 2^-14
  const uint32_t bits = (static_cast<uint32_t>(h) & 0x7fffu) << 13;
  const uint32_t exp = shifted_exp & bits;
  uint32_t u = bits + ((127u - 15u) << 23);                // re-bias the exponent
  // Inf / NaN: the exponent becomes all ones.
  const uint32_t is_special = 0u - static_cast<uint32_t>(exp == shifted_exp);  // all ones or zero
  u += is_special & ((128u - 16u) << 23);
  // Zero / subnormal: value = mantissa * 2^-24, renormalized by an exact subtraction.
  const uint32_t subnormal = std::bit_cast<uint32_t>(std::bit_cast<float>(u + (1u << 23)) - magic);
  const uint32_t is_small = 0u - static_cast<uint32_t>(exp == 0);
  u = (subnormal & is_small) | (u & ~is_small);
  return std::bit_cast<float>(u | ((static_cast<uint32_t>(h) & 0x8000u) << 16));  // sign
}

float bf16_to_f32(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

void convert_f16(const uint8_t* src, float* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, src + 2 * i, 2);
    dst[i] = f16_to_f32(h);
  }
}

void convert_bf16(const uint8_t* src, float* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    uint16_t b;
    std::memcpy(&b, src + 2 * i, 2);
    dst[i] = bf16_to_f32(b);
  }
}

void convert_f32(const uint8_t* src, float* dst, size_t n) {
  if (n > 0) std::memcpy(dst, src, n * sizeof(float));
}

}  // namespace rb
