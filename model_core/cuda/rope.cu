// Rotary position embedding (Su et al. 2021, "RoFormer"), applied exactly as the RopeSchedule
// comment in rope_methods/rope_method.hpp states: fp32 angles inv_freq * position, cos/sin times
// attention_scaling, rotate-half pairs, then query scale and per-band scales. The bias of
// q/k/v (Qwen2) is added in the same pass.
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

// One block per token row. Rotated pairs are owned by one thread each (in-place update).
template <typename T>
__global__ void qkv_bias_rope_kernel(T* __restrict__ qkv, const T* __restrict__ bias, const float* __restrict__ cos_t,
                                     const float* __restrict__ sin_t, const float* __restrict__ query_scale,
                                     const float* __restrict__ q_band, const float* __restrict__ k_band,
                                     QkvShape s) {
  const int64_t row = blockIdx.x;
  const int64_t t = row % s.seq_len;
  const int64_t D = s.head_dim, half = s.rotary_dim / 2;
  const int64_t width = (s.heads + 2 * s.kv_heads) * D;
  T* x = qkv + row * width;
  const float qs = query_scale ? query_scale[t] : 1.0f;
  auto load = [&](int64_t idx) {
    float v = Elem<T>::to_float(x[idx]);
    if (bias) v = round_to<T>(v + Elem<T>::to_float(bias[idx]));
    return v;
  };

  // Rotated pairs of q and k heads.
  const int64_t rot_heads = s.heads + s.kv_heads;
  for (int64_t item = threadIdx.x; item < rot_heads * half; item += blockDim.x) {
    const int64_t h = item / half, i = item - h * half;
    const int64_t i1 = h * D + i, i2 = i1 + half;
    const float x1 = load(i1), x2 = load(i2);
    const float c = cos_t[t * half + i], sn = sin_t[t * half + i];
    float scale;
    if (h < s.heads)
      scale = qs * (q_band ? q_band[i] : 1.0f);
    else
      scale = k_band ? k_band[i] : 1.0f;
    const float y1 = (x1 * c - x2 * sn) * scale;
    const float y2 = (x2 * c + x1 * sn) * scale;
    x[i1] = Elem<T>::from_float(y1);
    x[i2] = Elem<T>::from_float(y2);
  }
  // Dimensions past rotary_dim (partial rotary): bias and query scale only.
  const int64_t pass = D - s.rotary_dim;
  if (pass > 0 && (bias || query_scale)) {
    for (int64_t item = threadIdx.x; item < rot_heads * pass; item += blockDim.x) {
      const int64_t h = item / pass, idx = h * D + s.rotary_dim + (item - h * pass);
      const float v = load(idx) * (h < s.heads ? qs : 1.0f);
      x[idx] = Elem<T>::from_float(v);
    }
  }
  // v heads: bias only.
  if (bias) {
    const int64_t v0 = rot_heads * D;
    for (int64_t j = threadIdx.x; j < s.kv_heads * D; j += blockDim.x) x[v0 + j] = Elem<T>::from_float(load(v0 + j));
  }
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
  qkv_bias_rope_kernel<T><<<static_cast<unsigned>(shape.rows), 256, 0, stream>>>(
      qkv, bias, cos_table, sin_table, query_scale, q_band, k_band, shape);
  CUDA_CHECK_LAUNCH();
}

#define RB_INST(T)                                                                                                \
  template void qkv_bias_rope<T>(T*, const T*, const float*, const float*, const float*, const float*, const float*, \
                                 const QkvShape&, cudaStream_t);
RB_INSTANTIATE_BOTH(RB_INST)
#undef RB_INST

}  // namespace rb::cuda
