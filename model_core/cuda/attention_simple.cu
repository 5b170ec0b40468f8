// Causal attention (optionally within a sliding window: keys t - window < k <= t) for any
// head_dim <= 256 with fp32 math on CUDA cores: the online-softmax
// recurrence of FlashAttention (Dao et al. 2022) with one query row per warp at a time and
// 32-key tiles in shared memory (one key per lane). It is the fallback for head dims the
// tensor-core kernel does not cover (e.g. the 16/24 of tiny test models) and the GPU-side
// reference the tensor-core kernel is cross-checked against.
#include <string>

#include "common/error.hpp"
#include "model_core/cuda/attention_launch.hpp"
#include "model_core/cuda/cuda_check.hpp"
#include "model_core/cuda/dtype.cuh"

namespace rb::cuda::detail {
namespace {

constexpr int kWarps = 4;
constexpr int kRowsPerWarp = 4;
constexpr int kBlockRows = kWarps * kRowsPerWarp;  // 16 query rows per block
constexpr int kTileKeys = 32;                      // one key per lane

// Shared memory: q[16][D] (pre-scaled), k[32][D+1] (padded: lane j reads row j conflict-free),
// v[32][D], all fp32.
inline size_t simple_smem_bytes(int D) {
  return sizeof(float) * (size_t{kBlockRows} * D + size_t{kTileKeys} * (D + 1) + size_t{kTileKeys} * D);
}

// NPL: head-dim slots per lane, ceil(D / 32).
template <typename T, int NPL>
__global__ void __launch_bounds__(kWarps * 32) attention_simple_kernel(AttnArgs<T> a) {
  extern __shared__ float smem[];
  const int D = a.head_dim, L = a.seq_len;
  float* sQ = smem;
  float* sK = sQ + kBlockRows * D;
  float* sV = sK + kTileKeys * (D + 1);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int qt = gridDim.x - 1 - blockIdx.x;  // longest rows first
  const int h = blockIdx.y, b = blockIdx.z;
  const int kvh = h / (a.heads / a.kv_heads);
  const int q0 = qt * kBlockRows;
  const int64_t row_base = int64_t{b} * L;

  for (int idx = threadIdx.x; idx < kBlockRows * D; idx += blockDim.x) {
    const int r = idx / D, d = idx - r * D;
    const int t = q0 + r;
    sQ[idx] = t < L ? Elem<T>::to_float(a.q[(row_base + t) * a.q_stride + int64_t{h} * D + d]) * a.scale : 0.0f;
  }

  float m[kRowsPerWarp], l[kRowsPerWarp], o[kRowsPerWarp][NPL];
#pragma unroll
  for (int rr = 0; rr < kRowsPerWarp; ++rr) {
    m[rr] = -INFINITY;
    l[rr] = 0.0f;
#pragma unroll
    for (int i = 0; i < NPL; ++i) o[rr][i] = 0.0f;
  }

  const int last_row = min(q0 + kBlockRows, L) - 1;
  const int tiles = last_row / kTileKeys + 1;
  // With a sliding window the block's first row sees keys from q0 - window + 1 on.
  const int first_tile = a.window > 0 ? max(0, q0 - a.window + 1) / kTileKeys : 0;
  for (int kt = first_tile; kt < tiles; ++kt) {
    __syncthreads();  // sQ written (first pass) / previous tile no longer read
    for (int idx = threadIdx.x; idx < kTileKeys * D; idx += blockDim.x) {
      const int j = idx / D, d = idx - j * D;
      const int key = kt * kTileKeys + j;
      float kv = 0.0f, vv = 0.0f;
      if (key < L) {
        const int64_t off = (row_base + key) * a.kv_stride + int64_t{kvh} * D + d;
        kv = Elem<T>::to_float(a.k[off]);
        vv = Elem<T>::to_float(a.v[off]);
      }
      sK[j * (D + 1) + d] = kv;
      sV[j * D + d] = vv;
    }
    __syncthreads();
#pragma unroll
    for (int rr = 0; rr < kRowsPerWarp; ++rr) {
      const int r = warp * kRowsPerWarp + rr;
      const int row = q0 + r;
      if (row >= L) continue;  // warp-uniform
      const int key = kt * kTileKeys + lane;
      float s = -INFINITY;
      if (key <= row && (a.window <= 0 || key > row - a.window)) {
        const float* qr = sQ + r * D;
        const float* kr = sK + lane * (D + 1);
        float acc = 0.0f;
        for (int d = 0; d < D; ++d) acc = fmaf(qr[d], kr[d], acc);
        s = acc;
      }
      const float tile_max = warp_max(s);
      if (tile_max == -INFINITY) continue;  // whole tile masked for this row; warp-uniform
      const float m_new = fmaxf(m[rr], tile_max);
      const float alpha = expf(m[rr] - m_new);  // 0 on the first tile (m = -inf)
      const float p = expf(s - m_new);          // 0 for masked keys
      l[rr] = l[rr] * alpha + warp_sum(p);
      m[rr] = m_new;
#pragma unroll
      for (int i = 0; i < NPL; ++i) o[rr][i] *= alpha;
      for (int j = 0; j < kTileKeys; ++j) {
        const float pj = __shfl_sync(0xffffffffu, p, j);
        if (pj == 0.0f) continue;  // same value in every lane: uniform branch
        const float* vr = sV + j * D;
#pragma unroll
        for (int i = 0; i < NPL; ++i) {
          const int d = lane + 32 * i;
          if (d < D) o[rr][i] = fmaf(pj, vr[d], o[rr][i]);
        }
      }
    }
  }

#pragma unroll
  for (int rr = 0; rr < kRowsPerWarp; ++rr) {
    const int row = q0 + warp * kRowsPerWarp + rr;
    if (row >= L) continue;
    const float inv = 1.0f / l[rr];
    T* out = a.o + (row_base + row) * a.o_stride + int64_t{h} * D;
#pragma unroll
    for (int i = 0; i < NPL; ++i) {
      const int d = lane + 32 * i;
      if (d < D) out[d] = Elem<T>::from_float(o[rr][i] * inv);
    }
  }
}

template <typename T, int NPL>
void launch(const AttnArgs<T>& a, cudaStream_t stream) {
  const size_t smem = simple_smem_bytes(a.head_dim);
  if (smem > 48 * 1024)
    CUDA_CHECK(cudaFuncSetAttribute(attention_simple_kernel<T, NPL>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    static_cast<int>(smem)));
  const dim3 grid(static_cast<unsigned>((a.seq_len + kBlockRows - 1) / kBlockRows), static_cast<unsigned>(a.heads),
                  static_cast<unsigned>(a.batch));
  attention_simple_kernel<T, NPL><<<grid, kWarps * 32, smem, stream>>>(a);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

template <typename T>
void attention_simple(const AttnArgs<T>& a, cudaStream_t stream) {
  if (a.head_dim <= 0 || a.head_dim > 256)
    throw Error("attention: head_dim " + std::to_string(a.head_dim) + " is outside [1, 256]");
  switch ((a.head_dim + 31) / 32) {
    case 1: return launch<T, 1>(a, stream);
    case 2: return launch<T, 2>(a, stream);
    case 3: return launch<T, 3>(a, stream);
    case 4: return launch<T, 4>(a, stream);
    case 5: return launch<T, 5>(a, stream);
    case 6: return launch<T, 6>(a, stream);
    case 7: return launch<T, 7>(a, stream);
    default: return launch<T, 8>(a, stream);
  }
}

template void attention_simple<__nv_bfloat16>(const AttnArgs<__nv_bfloat16>&, cudaStream_t);
template void attention_simple<__half>(const AttnArgs<__half>&, cudaStream_t);

}  // namespace rb::cuda::detail
