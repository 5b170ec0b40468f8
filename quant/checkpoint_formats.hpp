#pragma once
// Pre-quantized tensors as they are published -> QuantizedMatrix (Linear layout [out, in]).
//   GPTQ (AutoGPTQ / GPTQModel / transformers): qweight int32 [in/8, out] (column-major nibbles:
//        weight[8i + j, o] = qweight[i, o] >> 4j & 15), qzeros int32 [groups, out/8] (same packing
//        along out), scales fp16 [groups, out], g_idx int32 [in] (act-order: any group per input
//        column; without it g_idx[i] = i / group_size). checkpoint_format "gptq" (v1) stores
//        zero - 1 and is read as nibble + 1 (1..16: a stored 15 is 16, as AutoGPTQ reads it);
//        "gptq_v2" stores zero. value = fp16(scales[g_idx[i], o] * (q - zero)).
//   AWQ (AutoAWQ GEMM, version "gemm"): qweight int32 [in, out/8], qzeros int32 [in/group, out/8],
//        scales fp16 [in/group, out]; nibbles packed in AWQ_ORDER [0, 2, 4, 6, 1, 3, 5, 7]
//        (awq/utils/packing_utils.py). value = fp16((q - zero) * scale).
//   GGUF Q4_0 / Q4_1 / Q4_K blocks (ggml-quants.c): kept 4-bit; values equal ggml's dequantize_row_*.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "quant/quantized_matrix.hpp"

namespace rb::quant {

struct Int32Tensor {
  std::vector<int64_t> shape;
  std::vector<int32_t> data;
};
struct FloatTensor {  // fp16 checkpoint values widened to fp32 exactly
  std::vector<int64_t> shape;
  std::vector<float> data;
};

enum class GptqZeros { V1StoredMinusOne, V2Exact };

// g_idx may be null (then i / group_size); a g_idx equal to i / group_size is the same flat layout
// and is not stored. group_size -1 means one group over all inputs. Every shape is checked against
// the others; a mismatch, a g_idx out of range or a group size that does not divide `in` throws
// rb::InputError(where, FIELD, ...) with FIELD "qweight", "qzeros", "scales", "g_idx" or
// "group_size"; a non-finite scale is reported by validate() as field "scale".
QuantizedMatrix unpack_gptq(const Int32Tensor& qweight, const Int32Tensor& qzeros, const FloatTensor& scales,
                            const Int32Tensor* g_idx, int64_t group_size, GptqZeros zeros, const std::string& where);

QuantizedMatrix unpack_awq(const Int32Tensor& qweight, const Int32Tensor& qzeros, const FloatTensor& scales,
                           int64_t group_size, const std::string& where);

// `blocks` holds rows * cols / block_elems ggml blocks of `scheme` (GGUF_Q4_0, GGUF_Q4_1, GGUF_Q4_K);
// `bytes` is what the file gave, checked against the shape (field "data"; a row length that is not
// a block multiple: field "shape"; a non-finite fp16 scale: "scale"). Another scheme: rb::Error.
QuantizedMatrix pack_gguf_q4(Scheme scheme, const uint8_t* blocks, std::size_t bytes, int64_t rows, int64_t cols,
                             const std::string& where);

}  // namespace rb::quant
