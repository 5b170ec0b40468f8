// Causal flash attention on tensor cores, FlashAttention-2 style (Dao 2023, "FlashAttention-2:
// Faster Attention with Better Parallelism and Work Partitioning", Algorithm 1):
//   * one block = 64 query rows of one (window, head), 4 warps x 16 rows; 64-key tiles;
//   * S = Q K^T and O += P V with mma.sync.m16n8k16 (bf16/fp16 in, fp32 accumulate);
//   * online softmax in fp32 registers (exp2 with log2(e) folded into the scale), the S
//     accumulator fragment reused directly as the A operand of P V (rounded to T, as FA2 does);
//   * K/V tiles staged in shared memory with cp.async: the next K tile loads while the softmax
//     and P V of this tile run, the next V tile while the next S is computed;
//   * GQA: query head h reads kv head h / (heads / kv_heads).
// Fragment layouts are those of the PTX ISA, "Matrix Fragments for mma.m16n8k16" (groupID =
// lane / 4, threadID_in_group = lane % 4). Never materializes L x L; memory O(L * head_dim).
#include "model_core/cuda/attention_launch.hpp"
#include "model_core/cuda/cuda_check.hpp"
#include "model_core/cuda/dtype.cuh"

namespace rb::cuda::detail {
namespace {

constexpr int kThreads = 128;
constexpr int kBr = 64;  // query rows per block (16 per warp)
constexpr int kBc = 64;  // keys per tile
static_assert(kBr == kBc, "the causal mask assumes the diagonal tile is kt == qt");
constexpr int kPad = 8;  // row padding (elements): 16 bytes, makes fragment loads bank-conflict free

__device__ __forceinline__ unsigned smem_addr(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

// 16-byte global -> shared copy; src_bytes = 0 fills zeros (rows past the window's end).
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src),
               "r"(valid ? 16 : 0)
               : "memory");
#endif
}
__device__ __forceinline__ void cp_async_commit() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}
template <int N>
__device__ __forceinline__ void cp_async_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
#endif
}

__device__ __forceinline__ unsigned ld_smem32(const void* p) { return *static_cast<const unsigned*>(p); }

// Four 8x8 b16 matrices, transposed: the B-operand fragments of two adjacent n-tiles of V.
__device__ __forceinline__ void ldmatrix_x4_trans(unsigned& r0, unsigned& r1, unsigned& r2, unsigned& r3,
                                                  const void* p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
               : "r"(smem_addr(p))
               : "memory");
#endif
}

// D += A(16x16, row) * B(16x8, col), fp32 accumulators.
template <typename T>
__device__ __forceinline__ void mma16816(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1);

template <>
__device__ __forceinline__ void mma16816<__nv_bfloat16>(float (&d)[4], const unsigned (&a)[4], unsigned b0,
                                                        unsigned b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#endif
}

template <>
__device__ __forceinline__ void mma16816<__half>(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#endif
}

// Issues the copies of rows [row0, row0 + 64) of a [L, stride] matrix (columns [0, D) from
// `base`) into a padded shared tile; rows >= L become zeros.
template <typename T, int D>
__device__ __forceinline__ void load_tile_async(T* tile, const T* base, int64_t stride, int row0, int L) {
  constexpr int kChunks = D / 8;  // 16-byte chunks per row
  constexpr int kLds = D + kPad;
  for (int idx = threadIdx.x; idx < kBc * kChunks; idx += kThreads) {
    const int r = idx / kChunks, c = idx - r * kChunks;
    const int row = row0 + r;
    const bool valid = row < L;
    const T* src = base + (valid ? int64_t{row} * stride : 0) + c * 8;
    cp_async16(tile + r * kLds + c * 8, src, valid);
  }
}

template <typename T, int D>
__global__ void __launch_bounds__(kThreads) attention_mma_kernel(AttnArgs<T> a) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  constexpr int kLds = D + kPad;
  constexpr int kKSlices = D / 16;  // k-steps of Q K^T
  constexpr int kOTiles = D / 8;    // n-tiles of O
  constexpr int kSTiles = kBc / 8;  // n-tiles of S
  __shared__ __align__(128) T sK[kBc * kLds];
  __shared__ __align__(128) T sV[kBc * kLds];

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, tig = lane & 3;
  const int L = a.seq_len;
  const int qt = gridDim.x - 1 - blockIdx.x;  // heaviest (last) query tiles first
  const int h = blockIdx.y, b = blockIdx.z;
  const int kvh = h / (a.heads / a.kv_heads);
  const int q0 = qt * kBr;
  const int64_t row_base = int64_t{b} * L;
  const T* qbase = a.q + row_base * a.q_stride + int64_t{h} * D;
  const T* kbase = a.k + row_base * a.kv_stride + int64_t{kvh} * D;
  const T* vbase = a.v + row_base * a.kv_stride + int64_t{kvh} * D;

  // Q tile through sK into registers (A fragments), then start the first K and V tiles.
  load_tile_async<T, D>(sK, qbase, a.q_stride, q0, L);
  cp_async_commit();
  cp_async_wait<0>();
  __syncthreads();
  const int r0 = warp * 16 + g;  // this thread's rows in the tile: r0 and r0 + 8
  unsigned qf[kKSlices][4];
#pragma unroll
  for (int kk = 0; kk < kKSlices; ++kk) {
    const T* p = sK + r0 * kLds + kk * 16 + tig * 2;
    qf[kk][0] = ld_smem32(p);
    qf[kk][1] = ld_smem32(p + 8 * kLds);
    qf[kk][2] = ld_smem32(p + 8);
    qf[kk][3] = ld_smem32(p + 8 * kLds + 8);
  }
  __syncthreads();
  load_tile_async<T, D>(sK, kbase, a.kv_stride, 0, L);
  cp_async_commit();
  load_tile_async<T, D>(sV, vbase, a.kv_stride, 0, L);
  cp_async_commit();

  float o[kOTiles][4];
#pragma unroll
  for (int n = 0; n < kOTiles; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f};
  const float scale_log2 = a.scale * 1.4426950408889634f;
  const int row_lo = q0 + r0, row_hi = row_lo + 8;

  for (int kt = 0; kt <= qt; ++kt) {
    // Outstanding groups: K(kt), V(kt). Wait for K(kt).
    cp_async_wait<1>();
    __syncthreads();

    float s[kSTiles][4];
#pragma unroll
    for (int j = 0; j < kSTiles; ++j) s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.0f;
#pragma unroll
    for (int kk = 0; kk < kKSlices; ++kk) {
#pragma unroll
      for (int j = 0; j < kSTiles; ++j) {
        const T* p = sK + (j * 8 + g) * kLds + kk * 16 + tig * 2;
        mma16816<T>(s[j], qf[kk], ld_smem32(p), ld_smem32(p + 8));
      }
    }
    __syncthreads();  // every warp is done with sK
    if (kt < qt) load_tile_async<T, D>(sK, kbase, a.kv_stride, (kt + 1) * kBc, L);
    cp_async_commit();  // possibly empty group: keeps the group count uniform

    // Online softmax (rows row_lo: elements 0,1; row_hi: elements 2,3).
    const bool diagonal = kt == qt;
    float mx[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int j = 0; j < kSTiles; ++j) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        float v = s[j][e] * scale_log2;
        if (diagonal) {
          const int col = kt * kBc + j * 8 + tig * 2 + (e & 1);
          const int row = e < 2 ? row_lo : row_hi;
          if (col > row) v = -INFINITY;
        }
        s[j][e] = v;
        mx[e >> 1] = fmaxf(mx[e >> 1], v);
      }
    }
    float alpha[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 1));
      mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 2));
      const float m_new = fmaxf(m[r], mx[r]);  // finite: key 0 of tile 0 is visible to every row
      alpha[r] = exp2f(m[r] - m_new);
      m[r] = m_new;
    }
    float rowsum[2] = {0.0f, 0.0f};
#pragma unroll
    for (int j = 0; j < kSTiles; ++j) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const float p = exp2f(s[j][e] - m[e >> 1]);
        s[j][e] = p;
        rowsum[e >> 1] += p;
      }
    }
#pragma unroll
    for (int r = 0; r < 2; ++r) l[r] = l[r] * alpha[r] + rowsum[r];  // per-thread partial sums
#pragma unroll
    for (int n = 0; n < kOTiles; ++n) {
      o[n][0] *= alpha[0];
      o[n][1] *= alpha[0];
      o[n][2] *= alpha[1];
      o[n][3] *= alpha[1];
    }

    // Outstanding: V(kt), K(kt+1). Wait for V(kt).
    cp_async_wait<1>();
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kBc / 16; ++kk) {
      unsigned pa[4];
      pa[0] = Elem<T>::pack2(s[2 * kk][0], s[2 * kk][1]);
      pa[1] = Elem<T>::pack2(s[2 * kk][2], s[2 * kk][3]);
      pa[2] = Elem<T>::pack2(s[2 * kk + 1][0], s[2 * kk + 1][1]);
      pa[3] = Elem<T>::pack2(s[2 * kk + 1][2], s[2 * kk + 1][3]);
      const int vrow = kk * 16 + ((lane >> 3) & 1) * 8 + (lane & 7);
#pragma unroll
      for (int n = 0; n < kOTiles; n += 2) {
        unsigned b0, b1, b2, b3;
        ldmatrix_x4_trans(b0, b1, b2, b3, sV + vrow * kLds + (n + (lane >> 4)) * 8);
        mma16816<T>(o[n], pa, b0, b1);
        mma16816<T>(o[n + 1], pa, b2, b3);
      }
    }
    __syncthreads();  // every warp is done with sV
    if (kt < qt) load_tile_async<T, D>(sV, vbase, a.kv_stride, (kt + 1) * kBc, L);
    cp_async_commit();
  }
  cp_async_wait<0>();

  // Row sums across the four threads of a row, normalize, store (2 elements per 32-bit store).
  float inv[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
    inv[r] = 1.0f / l[r];
  }
  T* obase = a.o + row_base * a.o_stride + int64_t{h} * D + tig * 2;
  if (row_lo < L) {
#pragma unroll
    for (int n = 0; n < kOTiles; ++n)
      *reinterpret_cast<unsigned*>(obase + int64_t{row_lo} * a.o_stride + n * 8) =
          Elem<T>::pack2(o[n][0] * inv[0], o[n][1] * inv[0]);
  }
  if (row_hi < L) {
#pragma unroll
    for (int n = 0; n < kOTiles; ++n)
      *reinterpret_cast<unsigned*>(obase + int64_t{row_hi} * a.o_stride + n * 8) =
          Elem<T>::pack2(o[n][2] * inv[1], o[n][3] * inv[1]);
  }
#else
  __trap();  // built only for sm_80+; the launcher never picks this kernel elsewhere
#endif
}

template <typename T, int D>
void launch(const AttnArgs<T>& a, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((a.seq_len + kBr - 1) / kBr), static_cast<unsigned>(a.heads),
                  static_cast<unsigned>(a.batch));
  attention_mma_kernel<T, D><<<grid, kThreads, 0, stream>>>(a);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

template <typename T>
void attention_tensor_core(const AttnArgs<T>& a, cudaStream_t stream) {
  switch (a.head_dim) {
    case 64: return launch<T, 64>(a, stream);
    case 80: return launch<T, 80>(a, stream);
    case 96: return launch<T, 96>(a, stream);
    case 128: return launch<T, 128>(a, stream);
    default: throw Error("attention: no tensor-core kernel for head_dim " + std::to_string(a.head_dim));
  }
}

template void attention_tensor_core<__nv_bfloat16>(const AttnArgs<__nv_bfloat16>&, cudaStream_t);
template void attention_tensor_core<__half>(const AttnArgs<__half>&, cudaStream_t);

}  // namespace rb::cuda::detail
