// SwiGLU and GeGLU activations (Shazeer 2020, "GLU Variants Improve Transformer"): act(gate) * up,
// reading the fused gate|up projection output [rows, 2*ff]; act silu (Llama) or the tanh
// approximation of GELU (Gemma-3's gelu_pytorch_tanh, as torch's GeluCUDAKernelImpl computes it).
#include "model_core/cuda/cuda_check.hpp"
#include "model_core/cuda/dtype.cuh"
#include "model_core/cuda/kernels.hpp"
#include "model_core/cuda/launch.cuh"

namespace rb::cuda {
namespace {

constexpr float kBeta = 0.7978845608028654f;  // sqrt(2) * (2 / sqrt(pi)) * 0.5
constexpr float kKappa = 0.044715f;

template <typename T>
__device__ __forceinline__ T glu(T gate, T up, bool hf_rounding, GluAct which) {
  const float x = Elem<T>::to_float(gate);
  float act = which == GluAct::Silu ? x / (1.0f + expf(-x)) : 0.5f * x * (1.0f + tanhf(kBeta * (x + kKappa * (x * x * x))));
  if (hf_rounding) act = round_to<T>(act);
  return Elem<T>::from_float(act * Elem<T>::to_float(up));
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

}  // namespace

template <typename T>
void swiglu(const T* gate_up, T* out, int64_t rows, int64_t ff, bool hf_rounding, cudaStream_t stream, GluAct act) {
  if (rows <= 0 || ff <= 0) return;
  constexpr int64_t kVec = 16 / sizeof(T);
  const bool vec = ff % kVec == 0 && aligned_to(gate_up, 16) && aligned_to(out, 16);
  const int64_t columns = vec ? ff / kVec : ff;
  const dim3 grid(static_cast<unsigned>(std::min<int64_t>((columns + 255) / 256, 64)),
                  static_cast<unsigned>(std::min<int64_t>(rows, 65535)));
  if (vec)
    swiglu_vec_kernel<T><<<grid, 256, 0, stream>>>(gate_up, out, rows, ff, hf_rounding, act);
  else
    swiglu_kernel<T><<<grid, 256, 0, stream>>>(gate_up, out, rows, ff, hf_rounding, act);
  CUDA_CHECK_LAUNCH();
}

#define RB_INST(T) template void swiglu<T>(const T*, T*, int64_t, int64_t, bool, cudaStream_t, GluAct);
RB_INSTANTIATE_BOTH(RB_INST)
#undef RB_INST

}  // namespace rb::cuda
