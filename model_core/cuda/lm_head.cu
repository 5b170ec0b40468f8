// The LM head's reduction: log-softmax, gather of the target and argmax computed over vocab
// chunks with an online log-sum-exp (Milakov & Gimelshein 2018, "Online normalizer calculation
// for softmax"), so the L x V logits never exist at once. The GEMM producing each chunk's logits
// is the caller's (cuBLAS).
#include <cfloat>
#include <climits>
#include <type_traits>

#include "model_core/cuda/cuda_check.hpp"
#include "model_core/cuda/dtype.cuh"
#include "model_core/cuda/kernels.hpp"
#include "model_core/cuda/launch.cuh"

namespace rb::cuda {
namespace {

struct Partial {
  float max, sum, best;
  int32_t best_idx;
};

__device__ __forceinline__ Partial merge(const Partial& a, const Partial& b) {
  Partial r;
  r.max = fmaxf(a.max, b.max);
  r.sum = r.max == -INFINITY ? 0.0f : a.sum * expf(a.max - r.max) + b.sum * expf(b.max - r.max);
  const bool take_b = b.best > a.best || (b.best == a.best && b.best_idx < a.best_idx);
  r.best = take_b ? b.best : a.best;
  r.best_idx = take_b ? b.best_idx : a.best_idx;
  return r;
}

__device__ __forceinline__ Partial shfl_partial(const Partial& p, int offset) {
  Partial q;
  q.max = __shfl_xor_sync(0xffffffffu, p.max, offset);
  q.sum = __shfl_xor_sync(0xffffffffu, p.sum, offset);
  q.best = __shfl_xor_sync(0xffffffffu, p.best, offset);
  q.best_idx = __shfl_xor_sync(0xffffffffu, p.best_idx, offset);
  return q;
}

__global__ void init_kernel(LmState* state, int64_t rows) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < rows; i += int64_t{gridDim.x} * blockDim.x)
    state[i] = LmState{-INFINITY, 0.0f, -INFINITY, -INFINITY, INT_MAX};  // target -inf: not in this slice
}

// One block (256 threads) per row. Logits L: fp32 (rounded to T when round_logits), or T.
// Each thread takes groups of kGroup consecutive columns (thread t: groups t, t + 256, ...; the
// columns past the last whole group one at a time), folds a group into its running state with one
// rescale (the group's max, then its sum of exponentials), and loads it with 16-byte vectors when
// vector_loads says every row is aligned. The loads change nothing else: fp32 and T logits of the
// same values, aligned or not, take the same arithmetic in the same order.
constexpr int kGroup = 8;

// kN consecutive logits as floats (T logits converted, fp32 ones rounded to T when round_logits),
// with 16-byte vector loads when vector_loads (kN = kGroup, the row aligned).
template <typename T, typename L, int kN>
__device__ __forceinline__ void load_logits(const L* __restrict__ x, bool vector_loads, bool round_logits,
                                            float (&v)[kN]) {
  constexpr bool fp32 = std::is_same_v<L, float>;
  bool loaded = false;
  if constexpr (kN == kGroup) {
    if (vector_loads) {
      if constexpr (fp32) {
        const float4 a = reinterpret_cast<const float4*>(x)[0], b = reinterpret_cast<const float4*>(x)[1];
        v[0] = a.x, v[1] = a.y, v[2] = a.z, v[3] = a.w, v[4] = b.x, v[5] = b.y, v[6] = b.z, v[7] = b.w;
      } else {
        const Pack<L, kGroup> p = *reinterpret_cast<const Pack<L, kGroup>*>(x);
#pragma unroll
        for (int k = 0; k < kGroup; ++k) v[k] = Elem<T>::to_float(p.v[k]);
      }
      loaded = true;
    }
  }
  if (!loaded) {
#pragma unroll
    for (int k = 0; k < kN; ++k) {
      if constexpr (fp32) v[k] = x[k];
      else v[k] = Elem<T>::to_float(x[k]);
    }
  }
  if constexpr (fp32) {
    if (round_logits) {
#pragma unroll
      for (int k = 0; k < kN; ++k) v[k] = round_to<T>(v[k]);
    }
  }
}

// Folds kN consecutive logits v (vocabulary columns col .. col + kN - 1) into p: the first maximum,
// and the running max and sum of exp(x - max), the old sum rescaled once if the max grows. For
// kN = 1 this is the classic online softmax step. A NaN logit makes the sum NaN (no logit is dropped).
template <int kN>
__device__ __forceinline__ void fold(Partial& p, const float (&v)[kN], int64_t col) {
  float m = v[0];
  int at = 0;
#pragma unroll
  for (int k = 1; k < kN; ++k)
    if (v[k] > m) m = v[k], at = k;  // the first maximum of the group
  if (m > p.best) {  // columns visited in increasing order: the first maximum wins
    p.best = m;
    p.best_idx = static_cast<int32_t>(col + at);
  }
  const float new_max = fmaxf(p.max, m);
  float sum = 0.0f;
#pragma unroll
  for (int k = 0; k < kN; ++k) sum += expf(v[k] - new_max);
  p.sum = (new_max > p.max ? p.sum * expf(p.max - new_max) : p.sum) + sum;  // exp(-inf) = 0 at the start
  p.max = new_max;
}

template <typename T, typename L>
__global__ void update_kernel(const L* __restrict__ logits, int64_t cols, int64_t ld, int64_t col0,
                              const int32_t* __restrict__ targets, LmState* __restrict__ state, bool round_logits,
                              bool vector_loads) {
  __shared__ Partial warp_partials[32];
  const int64_t row = blockIdx.x;
  const L* x = logits + row * ld;
  const int64_t target = targets[row] - col0;  // column of the target in this chunk, if it is here
  Partial p{-INFINITY, 0.0f, -INFINITY, INT_MAX};
  const int64_t groups = cols / kGroup;
  for (int64_t g = threadIdx.x; g < groups; g += blockDim.x) {
    const int64_t c = g * kGroup;
    float v[kGroup];
    load_logits<T, L>(x + c, vector_loads, round_logits, v);
    fold(p, v, col0 + c);
    if (target >= c && target < c + kGroup) state[row].target = v[target - c];
  }
  for (int64_t c = groups * kGroup + threadIdx.x; c < cols; c += blockDim.x) {
    float v[1];
    load_logits<T, L>(x + c, false, round_logits, v);
    fold(p, v, col0 + c);
    if (c == target) state[row].target = v[0];
  }
  for (int o = 16; o > 0; o >>= 1) p = merge(p, shfl_partial(p, o));
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  if (lane == 0) warp_partials[warp] = p;
  __syncthreads();
  if (warp == 0) {
    p = lane < nwarps ? warp_partials[lane] : Partial{-INFINITY, 0.0f, -INFINITY, INT_MAX};
    for (int o = 16; o > 0; o >>= 1) p = merge(p, shfl_partial(p, o));
    if (lane == 0) {
      LmState s = state[row];
      const Partial merged = merge(Partial{s.max, s.sum, s.best, s.best_idx}, p);
      s.max = merged.max;
      s.sum = merged.sum;
      s.best = merged.best;
      s.best_idx = merged.best_idx;
      state[row].max = s.max;
      state[row].sum = s.sum;
      state[row].best = s.best;
      state[row].best_idx = s.best_idx;
    }
  }
}

// Every row of the chunk starts on a 16-byte boundary.
template <typename L>
bool rows_aligned(const L* logits, int64_t ld) {
  return aligned_to(logits, 16) && (ld * static_cast<int64_t>(sizeof(L))) % 16 == 0;
}

__global__ void finish_kernel(const LmState* __restrict__ state, const int32_t* __restrict__ targets, int64_t rows,
                              float* __restrict__ logprob, uint8_t* __restrict__ is_argmax) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < rows; i += int64_t{gridDim.x} * blockDim.x) {
    const LmState s = state[i];
    const bool has_target = targets[i] >= 0;
    logprob[i] = has_target ? s.target - (s.max + logf(s.sum)) : 0.0f;
    is_argmax[i] = has_target && s.best_idx == targets[i] ? 1 : 0;
  }
}

// The vocabulary-parallel fold (Megatron's _VocabParallelCrossEntropy, tensor_parallel/cross_entropy.py):
// maxima first, then the sums of exponentials rescaled to the group's max, then the first index
// of the group's best logit.
__global__ void pack_maxima_kernel(const LmState* __restrict__ state, int64_t rows, float* __restrict__ buf) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < rows; i += int64_t{gridDim.x} * blockDim.x) {
    buf[i] = state[i].max;
    buf[rows + i] = state[i].target;
    buf[2 * rows + i] = state[i].best;
  }
}

__global__ void rescale_kernel(const LmState* __restrict__ state, int64_t rows, float* __restrict__ buf) {
  int32_t* idx = reinterpret_cast<int32_t*>(buf + 4 * rows);
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < rows; i += int64_t{gridDim.x} * blockDim.x) {
    const LmState s = state[i];
    const float group_max = buf[i];
    buf[3 * rows + i] = s.max == -INFINITY ? 0.0f : s.sum * expf(s.max - group_max);
    idx[i] = s.best == buf[2 * rows + i] ? s.best_idx : INT_MAX;
  }
}

__global__ void unpack_kernel(LmState* __restrict__ state, int64_t rows, const float* __restrict__ buf) {
  const int32_t* idx = reinterpret_cast<const int32_t*>(buf + 4 * rows);
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < rows; i += int64_t{gridDim.x} * blockDim.x)
    state[i] = LmState{buf[i], buf[3 * rows + i], buf[rows + i], buf[2 * rows + i], idx[i]};
}

}  // namespace

void lm_state_pack_maxima(const LmState* state, int64_t rows, float* buf, cudaStream_t stream) {
  if (rows <= 0) return;
  pack_maxima_kernel<<<grid_for(rows, 256), 256, 0, stream>>>(state, rows, buf);
  CUDA_CHECK_LAUNCH();
}

void lm_state_rescale(const LmState* state, int64_t rows, float* buf, cudaStream_t stream) {
  if (rows <= 0) return;
  rescale_kernel<<<grid_for(rows, 256), 256, 0, stream>>>(state, rows, buf);
  CUDA_CHECK_LAUNCH();
}

void lm_state_unpack(LmState* state, int64_t rows, const float* buf, cudaStream_t stream) {
  if (rows <= 0) return;
  unpack_kernel<<<grid_for(rows, 256), 256, 0, stream>>>(state, rows, buf);
  CUDA_CHECK_LAUNCH();
}

void lm_state_init(LmState* state, int64_t rows, cudaStream_t stream) {
  if (rows <= 0) return;
  init_kernel<<<grid_for(rows, 256), 256, 0, stream>>>(state, rows);
  CUDA_CHECK_LAUNCH();
}

template <typename T>
void lm_state_update(const float* logits, int64_t rows, int64_t cols, int64_t ld, int64_t col0, const int32_t* targets,
                     LmState* state, bool round_logits, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return;
  update_kernel<T, float><<<static_cast<unsigned>(rows), 256, 0, stream>>>(logits, cols, ld, col0, targets, state,
                                                                           round_logits, rows_aligned(logits, ld));
  CUDA_CHECK_LAUNCH();
}

template <typename T>
void lm_state_update(const T* logits, int64_t rows, int64_t cols, int64_t ld, int64_t col0, const int32_t* targets,
                     LmState* state, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return;
  update_kernel<T, T><<<static_cast<unsigned>(rows), 256, 0, stream>>>(logits, cols, ld, col0, targets, state, true,
                                                                       rows_aligned(logits, ld));
  CUDA_CHECK_LAUNCH();
}

void lm_state_finish(const LmState* state, const int32_t* targets, int64_t rows, float* logprob, uint8_t* is_argmax,
                     cudaStream_t stream) {
  if (rows <= 0) return;
  finish_kernel<<<grid_for(rows, 256), 256, 0, stream>>>(state, targets, rows, logprob, is_argmax);
  CUDA_CHECK_LAUNCH();
}

#define RB_INST(T)                                                                                             \
  template void lm_state_update<T>(const float*, int64_t, int64_t, int64_t, int64_t, const int32_t*, LmState*, \
                                   bool, cudaStream_t);                                                          \
  template void lm_state_update<T>(const T*, int64_t, int64_t, int64_t, int64_t, const int32_t*, LmState*, cudaStream_t);
RB_INSTANTIATE_BOTH(RB_INST)
#undef RB_INST

}  // namespace rb::cuda
