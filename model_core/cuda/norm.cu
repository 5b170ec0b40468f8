// Token embedding and the fused residual add + RMSNorm (Zhang & Sennrich 2019, as
// transformers' LlamaRMSNorm evaluates it).
#include <type_traits>

#include "common/error.hpp"
#include "model_core/cuda/cuda_check.hpp"
#include "model_core/cuda/dtype.cuh"
#include "model_core/cuda/kernels.hpp"
#include "model_core/cuda/launch.cuh"

namespace rb::cuda {
namespace {

// The residual stream is stored in fp32, or in T when every value it holds is already a T (the
// Hugging Face rounding: then storing it in T loses nothing and halves its traffic).
__device__ __forceinline__ float load_residual(const float& r) { return r; }
template <typename R>
__device__ __forceinline__ float load_residual(const R& r) { return Elem<R>::to_float(r); }
__device__ __forceinline__ void store_residual(float* r, float v) { *r = v; }
template <typename R>
__device__ __forceinline__ void store_residual(R* r, float v) { *r = Elem<R>::from_float(v); }

template <typename T, typename R>
__global__ void embed_kernel(const int32_t* __restrict__ tokens, int64_t rows, const T* __restrict__ table,
                             int64_t hidden, int64_t vocab, R* __restrict__ residual, float scale, bool round_to_t) {
  const int64_t n = rows * hidden;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / hidden, c = i - r * hidden;
    int64_t tok = tokens[r];
    if (tok < 0 || tok >= vocab) tok = 0;
    const float e = Elem<T>::to_float(table[tok * hidden + c]);
    store_residual(residual + i, scale == 1.0f ? e : round_to_t ? round_to<T>(e * round_to<T>(scale)) : e * scale);
  }
}

// The weight applied to a normalized value v (norm weight w, offset as ModelConfig::norm_weight_offset).
template <typename T>
__device__ __forceinline__ T apply_norm_weight(float v, T w, float offset) {
  if (offset == 0.0f) return Elem<T>::from_float(Elem<T>::to_float(w) * round_to<T>(v));  // LlamaRMSNorm
  return Elem<T>::from_float(v * (offset + Elem<T>::to_float(w)));                        // Gemma3RMSNorm
}

// One block per row. Phase 1 adds delta and accumulates the sum of squares; phase 2 normalizes.
// Each element is read and written by the same thread in both phases, so out may alias delta.
// kW consecutive elements per thread step (kW = 4: vector loads; hidden % 4 == 0, rows aligned).
// The residual R is fp32, or T when round_residual (its values are then exactly T's).
template <typename T, typename R, int kW>
__global__ void add_rmsnorm_kernel(R* __restrict__ residual, const T* delta, const T* __restrict__ weight, T* out,
                                   int64_t hidden, float eps, bool round_residual, float offset) {
  __shared__ float scratch[32];
  const int64_t row = blockIdx.x;
  R* x = residual + row * hidden;
  const T* d = delta ? delta + row * hidden : nullptr;
  float ss = 0.0f;
  for (int64_t i = int64_t{threadIdx.x} * kW; i < hidden; i += int64_t{blockDim.x} * kW) {
    Pack<R, kW> r = *reinterpret_cast<const Pack<R, kW>*>(x + i);
    float v[kW];
#pragma unroll
    for (int k = 0; k < kW; ++k) v[k] = load_residual(r.v[k]);
    if (d) {
      const Pack<T, kW> dv = *reinterpret_cast<const Pack<T, kW>*>(d + i);
#pragma unroll
      for (int k = 0; k < kW; ++k) {
        v[k] += Elem<T>::to_float(dv.v[k]);
        if (round_residual) v[k] = round_to<T>(v[k]);
        store_residual(&r.v[k], v[k]);
      }
      *reinterpret_cast<Pack<R, kW>*>(x + i) = r;
    }
#pragma unroll
    for (int k = 0; k < kW; ++k) ss += v[k] * v[k];
  }
  const float total = block_sum(ss, scratch);
  const float inv = rsqrtf(total / static_cast<float>(hidden) + eps);
  T* y = out + row * hidden;
  for (int64_t i = int64_t{threadIdx.x} * kW; i < hidden; i += int64_t{blockDim.x} * kW) {
    const Pack<R, kW> r = *reinterpret_cast<const Pack<R, kW>*>(x + i);
    const Pack<T, kW> w = *reinterpret_cast<const Pack<T, kW>*>(weight + i);
    Pack<T, kW> o;
#pragma unroll
    for (int k = 0; k < kW; ++k) o.v[k] = apply_norm_weight<T>(load_residual(r.v[k]) * inv, w.v[k], offset);
    *reinterpret_cast<Pack<T, kW>*>(y + i) = o;
  }
}

// Qwen3RMSNorm / Gemma3RMSNorm per head, in place: one warp per (row, head) of x[rows, ld], head h
// at h * head_dim (heads of the q or k part of the fused qkv rows; or one "head" of a whole row).
// As transformers in T: the values in fp32, normalized, the weight applied as apply_norm_weight.
template <typename T>
__global__ void head_rmsnorm_kernel(T* x, int64_t rows, int heads, int head_dim, int64_t ld, const T* __restrict__ weight,
                                    float eps, float offset) {
  const int64_t warp = (blockIdx.x * int64_t{blockDim.x} + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (warp >= rows * heads) return;
  T* h = x + (warp / heads) * ld + (warp % heads) * int64_t{head_dim};
  float ss = 0.0f;
  for (int d = lane; d < head_dim; d += 32) {
    const float v = Elem<T>::to_float(h[d]);
    ss += v * v;
  }
  for (int o = 16; o > 0; o >>= 1) ss += __shfl_xor_sync(0xffffffffu, ss, o);
  const float inv = rsqrtf(ss / static_cast<float>(head_dim) + eps);
  for (int d = lane; d < head_dim; d += 32) h[d] = apply_norm_weight<T>(Elem<T>::to_float(h[d]) * inv, weight[d], offset);
}

}  // namespace

template <typename T>
void head_rmsnorm(T* x, int64_t rows, int heads, int head_dim, int64_t ld, const T* weight, float eps, cudaStream_t stream,
                  float weight_offset) {
  if (rows <= 0 || heads <= 0) return;
  const int64_t threads = rows * heads * 32;
  head_rmsnorm_kernel<T><<<static_cast<unsigned>((threads + 255) / 256), 256, 0, stream>>>(x, rows, heads, head_dim, ld,
                                                                                          weight, eps, weight_offset);
  CUDA_CHECK_LAUNCH();
}

template <typename T, typename R>
void embed_rows(const int32_t* tokens, int64_t rows, const T* table, int64_t hidden, int64_t vocab, R* residual,
                cudaStream_t stream, float scale, bool round_to_t) {
  if (rows <= 0) return;
  if (!std::is_same_v<R, float> && scale != 1.0f && !round_to_t)
    throw Error("embed_rows: a residual stored in the activation dtype needs the scaled embedding rounded to it");
  embed_kernel<T, R><<<grid_for(rows * hidden, 256), 256, 0, stream>>>(tokens, rows, table, hidden, vocab, residual, scale,
                                                                       round_to_t);
  CUDA_CHECK_LAUNCH();
}

template <typename T, typename R>
void add_rmsnorm(R* residual, const T* delta, const T* weight, T* out, int64_t rows, int64_t hidden, float eps,
                 bool round_residual, cudaStream_t stream, float weight_offset) {
  if (rows <= 0) return;
  if (!std::is_same_v<R, float> && delta && !round_residual)
    throw Error("add_rmsnorm: a residual stored in the activation dtype needs round_residual");
  const bool vec = hidden % 4 == 0 && aligned_to(residual, 4 * sizeof(R)) && aligned_to(weight, 4 * sizeof(T)) &&
                   aligned_to(out, 4 * sizeof(T)) && (!delta || aligned_to(delta, 4 * sizeof(T)));
  if (vec) {
    const int threads = hidden >= 4096 ? 256 : 128;
    add_rmsnorm_kernel<T, R, 4><<<static_cast<unsigned>(rows), threads, 0, stream>>>(residual, delta, weight, out, hidden,
                                                                                    eps, round_residual, weight_offset);
  } else {
    const int threads = hidden >= 4096 ? 512 : 256;
    add_rmsnorm_kernel<T, R, 1><<<static_cast<unsigned>(rows), threads, 0, stream>>>(residual, delta, weight, out, hidden,
                                                                                    eps, round_residual, weight_offset);
  }
  CUDA_CHECK_LAUNCH();
}

#define RB_INST_RESIDUAL(T, R)                                                                                  \
  template void embed_rows<T, R>(const int32_t*, int64_t, const T*, int64_t, int64_t, R*, cudaStream_t, float, bool); \
  template void add_rmsnorm<T, R>(R*, const T*, const T*, T*, int64_t, int64_t, float, bool, cudaStream_t, float);
#define RB_INST(T)           \
  RB_INST_RESIDUAL(T, float) \
  RB_INST_RESIDUAL(T, T)     \
  template void head_rmsnorm<T>(T*, int64_t, int, int, int64_t, const T*, float, cudaStream_t, float);
RB_INSTANTIATE_BOTH(RB_INST)
#undef RB_INST
#undef RB_INST_RESIDUAL

}  // namespace rb::cuda
