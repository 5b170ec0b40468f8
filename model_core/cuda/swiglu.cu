// SwiGLU and GeGLU activations (Shazeer 2020, "GLU Variants Improve Transformer"): act(gate) * up,
// reading the fused gate|up projection output [rows, 2*ff]; act silu (Llama) or the tanh
// approximation of GELU (Gemma-3's gelu_pytorch_tanh, as torch's GeluCUDAKernelImpl computes it).
#include <type_traits>

#include "model_core/cuda/cuda_check.hpp"
#include "model_core/cuda/dtype.cuh"
#include "model_core/cuda/kernels.hpp"
#include "model_core/cuda/launch.cuh"

namespace rb::cuda {
namespace {

constexpr float kBeta = 0.7978845608028654f;  // sqrt(2) * (2 / sqrt(pi)) * 0.5
constexpr float kKappa = 0.044715f;

template <typename T>
__device__ __forceinline__ T from_bits(unsigned short bits) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return __ushort_as_bfloat16(bits);
  else return __ushort_as_half(bits);
}

template <typename T>
__device__ __forceinline__ unsigned short bits_of(T x) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return __bfloat16_as_ushort(x);
  else return __half_as_ushort(x);
}

__device__ __forceinline__ float act_of(float x, GluAct which) {
  return which == GluAct::Silu ? x / (1.0f + expf(-x)) : 0.5f * x * (1.0f + tanhf(kBeta * (x + kKappa * (x * x * x))));
}

template <typename T>
__device__ __forceinline__ T glu(T gate, T up, bool hf_rounding, GluAct which) {
  float act = act_of(Elem<T>::to_float(gate), which);
  if (hf_rounding) act = round_to<T>(act);
  return Elem<T>::from_float(act * Elem<T>::to_float(up));
}

// table[bits] = act(x) rounded to T, for every 16-bit pattern of x: the values glu() multiplies by
// up when hf_rounding.
template <typename T>
__global__ void glu_table_kernel(T* __restrict__ table, GluAct which) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < kGluTableSize; i += gridDim.x * blockDim.x) {
    const T x = from_bits<T>(static_cast<unsigned short>(i));
    table[i] = Elem<T>::from_float(act_of(Elem<T>::to_float(x), which));
  }
}

// 2D grid: y strides over rows, x over columns (no 64-bit division per element).
template <typename T>
__global__ void swiglu_kernel(const T* __restrict__ gate_up, T* __restrict__ out, int64_t rows, int64_t ff,
                              bool hf_rounding, GluAct which) {
  for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const T* g = gate_up + r * 2 * ff;
    const T* u = g + ff;
    T* o = out + r * ff;
    for (int64_t j = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; j < ff; j += int64_t{gridDim.x} * blockDim.x)
      o[j] = glu(g[j], u[j], hf_rounding, which);
  }
}

// The same arithmetic per element, 16 bytes per load and store (8 bf16/fp16 values): the
// memory-bound pass at the device's bandwidth. Needs ff % 8 == 0 and 16-byte aligned rows.
template <typename T>
__global__ void swiglu_vec_kernel(const T* __restrict__ gate_up, T* __restrict__ out, int64_t rows, int64_t ff,
                                  bool hf_rounding, GluAct which) {
  constexpr int kVec = 16 / sizeof(T);
  const int64_t vecs = ff / kVec;
  for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const uint4* g = reinterpret_cast<const uint4*>(gate_up + r * 2 * ff);
    const uint4* u = reinterpret_cast<const uint4*>(gate_up + r * 2 * ff + ff);
    uint4* o = reinterpret_cast<uint4*>(out + r * ff);
    for (int64_t j = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; j < vecs; j += int64_t{gridDim.x} * blockDim.x) {
      const uint4 gv = g[j], uv = u[j];
      uint4 ov;
      const T* ge = reinterpret_cast<const T*>(&gv);
      const T* ue = reinterpret_cast<const T*>(&uv);
      T* oe = reinterpret_cast<T*>(&ov);
#pragma unroll
      for (int k = 0; k < kVec; ++k) oe[k] = glu(ge[k], ue[k], hf_rounding, which);
      o[j] = ov;
    }
  }
}

// hf_rounding with a table: act(gate) rounded to T is a function of the gate's 16 bits, so it is
// looked up (the table in shared memory, 128 KB) instead of computed; the product with up is
// glu()'s. The same bits as swiglu_vec_kernel by construction (the table holds act_of's values;
// the GPU test compares both over every gate pattern). A persistent grid, one block per SM; each
// thread takes two 16-byte vectors per step, items flattened over rows (32-bit indices).
template <typename T>
__global__ void __launch_bounds__(1024) swiglu_table_kernel(const T* __restrict__ gate_up, T* __restrict__ out,
                                                            uint32_t rows, uint32_t vecs, const T* __restrict__ table) {
  extern __shared__ unsigned short lut[];
  const uint4* src = reinterpret_cast<const uint4*>(table);
  uint4* dst = reinterpret_cast<uint4*>(lut);
  for (int i = threadIdx.x; i < kGluTableSize * 2 / 16; i += blockDim.x) dst[i] = src[i];
  __syncthreads();
  constexpr int kVec = 16 / sizeof(T);
  const uint32_t items = rows * vecs, stride = gridDim.x * blockDim.x;
  // Item i: row i / vecs, vector i % vecs of it.
  auto one = [&](uint32_t r, uint32_t j, const uint4& gv, const uint4& uv) {
    const T* ge = reinterpret_cast<const T*>(&gv);
    const T* ue = reinterpret_cast<const T*>(&uv);
    uint4 ov;
    T* oe = reinterpret_cast<T*>(&ov);
#pragma unroll
    for (int k = 0; k < kVec; ++k) {
      const float act = Elem<T>::to_float(from_bits<T>(lut[bits_of(ge[k])]));
      oe[k] = Elem<T>::from_float(act * Elem<T>::to_float(ue[k]));
    }
    reinterpret_cast<uint4*>(out + size_t{r} * vecs * kVec)[j] = ov;
  };
  auto load = [&](uint32_t r, uint32_t j, uint4& gv, uint4& uv) {
    const uint4* g = reinterpret_cast<const uint4*>(gate_up + size_t{r} * 2 * vecs * kVec);
    gv = g[j];
    uv = g[vecs + j];
  };
  uint32_t item = blockIdx.x * blockDim.x + threadIdx.x;
  for (; item + stride < items; item += 2 * stride) {
    const uint32_t r0 = item / vecs, j0 = item - r0 * vecs, r1 = (item + stride) / vecs, j1 = item + stride - r1 * vecs;
    uint4 g0, u0, g1, u1;
    load(r0, j0, g0, u0);
    load(r1, j1, g1, u1);
    one(r0, j0, g0, u0);
    one(r1, j1, g1, u1);
  }
  if (item < items) {
    const uint32_t r = item / vecs, j = item - r * vecs;
    uint4 g0, u0;
    load(r, j, g0, u0);
    one(r, j, g0, u0);
  }
}

}  // namespace

template <typename T>
void glu_table(T* table, GluAct act, cudaStream_t stream) {
  glu_table_kernel<T><<<kGluTableSize / 256, 256, 0, stream>>>(table, act);
  CUDA_CHECK_LAUNCH();
}

template <typename T>
void swiglu(const T* gate_up, T* out, int64_t rows, int64_t ff, bool hf_rounding, cudaStream_t stream, GluAct act,
            const T* table) {
  if (rows <= 0 || ff <= 0) return;
  constexpr int64_t kVec = 16 / sizeof(T);
  const bool vec = ff % kVec == 0 && aligned_to(gate_up, 16) && aligned_to(out, 16);
  const int64_t columns = vec ? ff / kVec : ff;
  if (vec && hf_rounding && table != nullptr && aligned_to(table, 16) && rows * columns <= INT32_MAX) {
    constexpr int kLutBytes = kGluTableSize * 2;
    int device = 0, optin = 0, sms = 0;
    CUDA_CHECK(cudaGetDevice(&device));
    CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    if (optin >= kLutBytes) {
      CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
      CUDA_CHECK(cudaFuncSetAttribute(swiglu_table_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize, kLutBytes));
      const int64_t blocks = std::min<int64_t>(sms, (rows * columns + 1023) / 1024);
      swiglu_table_kernel<T><<<static_cast<unsigned>(blocks), 1024, kLutBytes, stream>>>(
          gate_up, out, static_cast<uint32_t>(rows), static_cast<uint32_t>(columns), table);
      CUDA_CHECK_LAUNCH();
      return;
    }
  }
  const dim3 grid(static_cast<unsigned>(std::min<int64_t>((columns + 255) / 256, 64)),
                  static_cast<unsigned>(std::min<int64_t>(rows, 65535)));
  if (vec)
    swiglu_vec_kernel<T><<<grid, 256, 0, stream>>>(gate_up, out, rows, ff, hf_rounding, act);
  else
    swiglu_kernel<T><<<grid, 256, 0, stream>>>(gate_up, out, rows, ff, hf_rounding, act);
  CUDA_CHECK_LAUNCH();
}

#define RB_INST(T)                                                                          \
  template void swiglu<T>(const T*, T*, int64_t, int64_t, bool, cudaStream_t, GluAct, const T*); \
  template void glu_table<T>(T*, GluAct, cudaStream_t);
RB_INSTANTIATE_BOTH(RB_INST)
#undef RB_INST

}  // namespace rb::cuda
