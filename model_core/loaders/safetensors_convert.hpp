#pragma once
// Exact conversion of little-endian 16-bit floats to fp32 (every F16 and BF16 value, subnormals,
// infinities and NaNs included, is representable in fp32). Sources may be unaligned.
#include <cstddef>
#include <cstdint>

namespace rb {

float f16_to_f32(uint16_t h);
float bf16_to_f32(uint16_t b);

// dst[i] = value of the i-th 2-byte element at src.
void convert_f16(const uint8_t* src, float* dst, size_t n);
void convert_bf16(const uint8_t* src, float* dst, size_t n);
// dst[i] = the i-th little-endian fp32 at src.
void convert_f32(const uint8_t* src, float* dst, size_t n);

}  // namespace rb
