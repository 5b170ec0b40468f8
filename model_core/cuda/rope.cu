// Rotary position embedding (Su et al. 2021, "RoFormer"), applied exactly as the RopeSchedule
// comment in rope_methods/rope_method.hpp states: fp32 angles inv_freq * position, cos/sin times
// attention_scaling, rotate-half pairs, then query scale and per-band scales. The bias of
// q/k/v (Qwen2) is added in the same pass.
#include <algorithm>
#include <string>

#include "common/error.hpp"

#include "model_core/cuda/cuda_check.hpp"
#include "model_core/cuda/dtype.cuh"
#include "model_core/cuda/kernels.hpp"
#include "model_core/cuda/launch.cuh"

namespace rb::cuda {
namespace {

__global__ void rope_table_kernel(const float* __restrict__ inv_freq, const float* __restrict__ positions,
                                  int64_t seq_len, int64_t half, float attention_scaling, float* __restrict__ cos_out,
                                  float* __restrict__ sin_out) {
  const int64_t n = seq_len * half;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t t = i / half, f = i - t * half;
    const float angle = __fmul_rn(inv_freq[f], positions[t]);  // one fp32 product, as torch computes it
    cos_out[i] = cosf(angle) * attention_scaling;
    sin_out[i] = sinf(angle) * attention_scaling;
  }
}

// Row x (position t) of the fused projection, in place; threadIdx.x and blockDim.x share out its work.
template <typename T, int kW>
__device__ __forceinline__ void qkv_bias_rope_row(T* __restrict__ x, int64_t t, const T* __restrict__ bias,
                                                  const float* __restrict__ cos_t, const float* __restrict__ sin_t,
                                                  const float* __restrict__ query_scale,
                                                  const float* __restrict__ q_band, const float* __restrict__ k_band,
                                                  const QkvShape& s) {
  const int D = static_cast<int>(s.head_dim), half = static_cast<int>(s.rotary_dim / 2);
  const float qs = query_scale ? query_scale[t] : 1.0f;
  auto load = [&](int64_t idx) {
    float v = Elem<T>::to_float(x[idx]);
    if (bias) v = round_to<T>(v + Elem<T>::to_float(bias[idx]));
    return v;
  };
  auto load_pack = [&](int idx, float (&out)[kW]) {
    const Pack<T, kW> p = *reinterpret_cast<const Pack<T, kW>*>(x + idx);
#pragma unroll
    for (int k = 0; k < kW; ++k) {
      float v = Elem<T>::to_float(p.v[k]);
      if (bias) v = round_to<T>(v + Elem<T>::to_float(bias[idx + k]));
      out[k] = v;
    }
  };
  const float* cos_row = cos_t + t * half;
  const float* sin_row = sin_t + t * half;

  // Rotated pairs of q and k heads.
  const int rot_heads = static_cast<int>(s.heads + s.kv_heads), groups = half / kW;
  for (int item = threadIdx.x; item < rot_heads * groups; item += blockDim.x) {
    const int h = item / groups, i = (item - h * groups) * kW;
    const int i1 = h * D + i, i2 = i1 + half;
    float x1[kW], x2[kW];
    load_pack(i1, x1);
    load_pack(i2, x2);
    Pack<T, kW> y1, y2;
#pragma unroll
    for (int k = 0; k < kW; ++k) {
      // cos/sin one at a time: loading the kW of each as vectors cost 11 more registers and a
      // quarter of the blocks per SM (RoPE 2.4 -> 3.0 ms per TinyLlama call on one H200).
      const float c = cos_row[i + k], sn = sin_row[i + k];
      const float scale = h < s.heads ? qs * (q_band ? q_band[i + k] : 1.0f) : (k_band ? k_band[i + k] : 1.0f);
      y1.v[k] = Elem<T>::from_float((x1[k] * c - x2[k] * sn) * scale);
      y2.v[k] = Elem<T>::from_float((x2[k] * c + x1[k] * sn) * scale);
    }
    *reinterpret_cast<Pack<T, kW>*>(x + i1) = y1;
    *reinterpret_cast<Pack<T, kW>*>(x + i2) = y2;
  }
  // Dimensions past rotary_dim (partial rotary): bias and query scale only.
  const int pass = D - static_cast<int>(s.rotary_dim);
  if (pass > 0 && (bias || query_scale)) {
    for (int item = threadIdx.x; item < rot_heads * pass; item += blockDim.x) {
      const int h = item / pass, idx = h * D + static_cast<int>(s.rotary_dim) + (item - h * pass);
      const float v = load(idx) * (h < s.heads ? qs : 1.0f);
      x[idx] = Elem<T>::from_float(v);
    }
  }
  // v heads: bias only.
  if (bias) {
    const int64_t v0 = int64_t{rot_heads} * D;
    for (int64_t j = threadIdx.x; j < s.kv_heads * D; j += blockDim.x) x[v0 + j] = Elem<T>::from_float(load(v0 + j));
  }
}

// Each block takes blockDim.y consecutive positions of one window (blockIdx.x: the group of
// positions, blockIdx.y and its stride: the window; no 64-bit division per thread), one row per
// threadIdx.y, with about one thread per unit of work along x (qkv_bias_rope picks the sizes):
// each thread owns kW consecutive rotated pairs (i .. i+kW-1 with their partners at + half) of
// one q or k head and updates them in place; kW = 2, 4 or 8 loads and stores that many values at a
// time (half a multiple of kW, rows aligned), with the same arithmetic per element as kW = 1.
template <typename T, int kW>
__global__ void qkv_bias_rope_kernel(T* __restrict__ qkv, const T* __restrict__ bias, const float* __restrict__ cos_t,
                                     const float* __restrict__ sin_t, const float* __restrict__ query_scale,
                                     const float* __restrict__ q_band, const float* __restrict__ k_band,
                                     QkvShape s, int64_t windows) {
  const int64_t t = int64_t{blockIdx.x} * blockDim.y + threadIdx.y;
  if (t >= s.seq_len) return;
  for (int64_t w = blockIdx.y; w < windows; w += gridDim.y)
    qkv_bias_rope_row<T, kW>(qkv + (w * s.seq_len + t) * ((s.heads + 2 * s.kv_heads) * s.head_dim), t, bias, cos_t,
                             sin_t, query_scale, q_band, k_band, s);
}

}  // namespace

void rope_table(const float* inv_freq, const float* positions, int64_t seq_len, int64_t half_rotary,
                float attention_scaling, float* cos_out, float* sin_out, cudaStream_t stream) {
  if (seq_len <= 0 || half_rotary <= 0) return;
  rope_table_kernel<<<grid_for(seq_len * half_rotary, 256), 256, 0, stream>>>(inv_freq, positions, seq_len, half_rotary,
                                                                              attention_scaling, cos_out, sin_out);
  CUDA_CHECK_LAUNCH();
}

template <typename T>
void qkv_bias_rope(T* qkv, const T* bias, const float* cos_table, const float* sin_table, const float* query_scale,
                   const float* q_band, const float* k_band, const QkvShape& shape, cudaStream_t stream) {
  if (shape.rows <= 0) return;
  // The widest pack of consecutive pairs the shape and the pointers allow (head_dim % w == 0 makes
  // every row, a whole number of heads, start aligned too).
  auto fits = [&](int w) {
    return shape.rotary_dim % (2 * w) == 0 && shape.head_dim % w == 0 && aligned_to(qkv, w * sizeof(T)) &&
           (!bias || aligned_to(bias, w * sizeof(T)));
  };
  // One thread per kW rotated pairs of a row (a whole number of warps, at most 1024; rows with
  // more work loop), and as many rows per block as fit in 256 threads, at most 8 (a larger block
  // holds fewer of them per SM: 3 TinyLlama rows, 480 threads, ran slower than one).
  if (shape.seq_len <= 0 || shape.rows % shape.seq_len != 0)
    throw Error("qkv_bias_rope: " + std::to_string(shape.rows) + " rows are not whole windows of " +
                std::to_string(shape.seq_len));
  const int64_t windows = shape.rows / shape.seq_len;
  const auto launch = [&](auto kernel, int w) {
    const int64_t items = (shape.heads + shape.kv_heads) * (shape.rotary_dim / 2) / w;
    const int threads = static_cast<int>(std::clamp<int64_t>((items + 31) / 32 * 32, 64, 1024));
    const int per_block = static_cast<int>(std::clamp<int64_t>(256 / threads, 1, std::min<int64_t>(8, shape.seq_len)));
    const dim3 grid(static_cast<unsigned>((shape.seq_len + per_block - 1) / per_block),
                    static_cast<unsigned>(std::min<int64_t>(windows, 65535)));
    kernel<<<grid, dim3(static_cast<unsigned>(threads), static_cast<unsigned>(per_block)), 0, stream>>>(
        qkv, bias, cos_table, sin_table, query_scale, q_band, k_band, shape, windows);
  };
  if (fits(8)) launch(qkv_bias_rope_kernel<T, 8>, 8);
  else if (fits(4)) launch(qkv_bias_rope_kernel<T, 4>, 4);
  else if (fits(2)) launch(qkv_bias_rope_kernel<T, 2>, 2);
  else launch(qkv_bias_rope_kernel<T, 1>, 1);
  CUDA_CHECK_LAUNCH();
}

#define RB_INST(T)                                                                                                \
  template void qkv_bias_rope<T>(T*, const T*, const float*, const float*, const float*, const float*, const float*, \
                                 const QkvShape&, cudaStream_t);
RB_INSTANTIATE_BOTH(RB_INST)
#undef RB_INST

}  // namespace rb::cuda
