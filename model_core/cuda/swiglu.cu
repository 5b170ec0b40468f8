// SwiGLU and GeGLU activations (Shazeer 2020, "GLU Variants Improve Transformer"): act(gate) * up,
// reading the fused gate|up projection output [rows, 2*ff]; act silu (Llama) or the tanh
// approximation of GELU (Gemma-3's gelu_pytorch_tanh, as torch's GeluCUDAKernelImpl computes it).
#include "model_core/cuda/cuda_check.hpp"
#include "model_core/cuda/dtype.cuh"
#include "model_core/cuda/kernels.hpp"
#include "model_core/cuda/launch.cuh"

namespace rb::cuda {
namespace {

template <typename T>
__global__ void swiglu_kernel(const T* __restrict__ gate_up, T* __restrict__ out, int64_t rows, int64_t ff,
                              bool hf_rounding, GluAct which) {
  constexpr float kBeta = 0.7978845608028654f;  // sqrt(2) * (2 / sqrt(pi)) * 0.5
  constexpr float kKappa = 0.044715f;
  // 2D grid: y strides over rows, x over columns (no 64-bit division per element).
  for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const T* g = gate_up + r * 2 * ff;
    const T* u = g + ff;
    T* o = out + r * ff;
    for (int64_t j = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; j < ff; j += int64_t{gridDim.x} * blockDim.x) {
      const float x = Elem<T>::to_float(g[j]);
      float act = which == GluAct::Silu ? x / (1.0f + expf(-x))
                                        : 0.5f * x * (1.0f + tanhf(kBeta * (x + kKappa * (x * x * x))));
      if (hf_rounding) act = round_to<T>(act);
      o[j] = Elem<T>::from_float(act * Elem<T>::to_float(u[j]));
    }
  }
}

}  // namespace

template <typename T>
void swiglu(const T* gate_up, T* out, int64_t rows, int64_t ff, bool hf_rounding, cudaStream_t stream, GluAct act) {
  if (rows <= 0 || ff <= 0) return;
  const dim3 grid(static_cast<unsigned>(std::min<int64_t>((ff + 255) / 256, 64)),
                  static_cast<unsigned>(std::min<int64_t>(rows, 65535)));
  swiglu_kernel<T><<<grid, 256, 0, stream>>>(gate_up, out, rows, ff, hf_rounding, act);
  CUDA_CHECK_LAUNCH();
}

#define RB_INST(T) template void swiglu<T>(const T*, T*, int64_t, int64_t, bool, cudaStream_t, GluAct);
RB_INSTANTIATE_BOTH(RB_INST)
#undef RB_INST

}  // namespace rb::cuda
