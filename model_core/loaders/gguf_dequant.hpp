#pragma once
// ggml tensor types and their dequantization to fp32, bit-exact with ggml's reference code
// (ggml/src/ggml-quants.c dequantize_row_*, ggml/src/ggml.c type_traits, ggml-impl.h fp16/bf16).
#include <cstdint>
#include <optional>

#include "model_core/tensor.hpp"

namespace rb::gguf {

// GGML_TYPE_* values (ggml/include/ggml.h) of the types ropebatch dequantizes.
enum GgmlType : uint32_t {
  GGML_TYPE_F32 = 0,
  GGML_TYPE_F16 = 1,
  GGML_TYPE_Q4_0 = 2,
  GGML_TYPE_Q4_1 = 3,
  GGML_TYPE_Q8_0 = 8,
  GGML_TYPE_Q4_K = 12,
  GGML_TYPE_Q5_K = 13,
  GGML_TYPE_Q6_K = 14,
  GGML_TYPE_BF16 = 30,
};

inline constexpr int64_t QK_K = 256;  // super-block size of the k-quants

// Storage layout of one ggml type: `block_size` elements take `type_size` bytes.
struct GgmlTypeInfo {
  const char* name;
  int64_t block_size;
  int64_t type_size;
  bool dequantizable;  // ropebatch can turn it into fp32
};

// nullptr when `type` is not a ggml type this reader knows (every type of ggml.h is known, so
// that files with other quantizations still open and list their tensors).
const GgmlTypeInfo* ggml_type_info(uint32_t type);
// The DType of a dequantizable type; std::nullopt otherwise.
std::optional<DType> ggml_dtype(uint32_t type);

// IEEE half / bfloat16 to float, exact (NaN payloads kept).
float fp16_to_fp32(uint16_t h);
float bf16_to_fp32(uint16_t h);

// Dequantizes `n` elements (a multiple of the type's block size) from `src` into `dst`.
// `src` must hold n / block_size * type_size bytes. Throws rb::Error for a type that is not
// dequantizable or an `n` that is not a multiple of the block size.
void dequantize_row(uint32_t type, const uint8_t* src, float* dst, int64_t n);

}  // namespace rb::gguf
