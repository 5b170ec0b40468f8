#pragma once
// 4-bit weights on the device: quant/quantized_matrix.hpp's layout, uploaded as is, and its
// dequantization into T right before a projection's GEMM (W4A16: weights stay 4-bit in GPU memory,
// the GEMM reads a reused T buffer). Same formula as QuantizedMatrix::dequantize_rows, each op
// rounded separately (__fsub_rn, __fmul_rn, __fadd_rn), so a weight is the CPU's fp32 value rounded
// once to T; tests/gpu/test_dequant.cpp checks this bit for bit.
#include <cstdint>

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace rb::cuda {

struct QuantView {
  const uint8_t* codes = nullptr;  // rows * ((cols + 1) / 2) bytes, low nibble = even column
  const float* scale = nullptr;    // one per group
  const float* zero = nullptr;     // one per group, or null (0)
  const float* bias = nullptr;     // one per group, or null (0)
  const int32_t* g_idx = nullptr;  // cols entries, or null (flat groups of group_size)
  float table[16] = {};
  int64_t rows = 0, cols = 0, group_size = 0, groups_per_row = 0;
  bool round_to_fp16 = false;
};

// out[r * cols + c] = T(value(r, c)), r < rows, c < cols.
template <typename T>
void dequantize(const QuantView& q, T* out, cudaStream_t stream);

// Uniform random bytes, a pure function of (seed, index): synthetic 4-bit codes for benchmarks.
void fill_random_bytes(uint8_t* dst, int64_t n, uint64_t seed, cudaStream_t stream);

}  // namespace rb::cuda
