// Cheap start-up cross-checks of the faster attentions (tensor cores, cuDNN, FlashAttention-3)
// against the simple fp32 kernel, so a backend never silently runs a kernel that disagrees with
// the plain one on this GPU.
#include <algorithm>
#include <vector>

#include "model_core/cuda/cuda_check.hpp"
#include "model_core/cuda/device_buffer.hpp"
#include "model_core/cuda/dtype.cuh"
#include "model_core/cuda/kernels.hpp"

namespace rb::cuda {
namespace {
template <typename T>
__global__ void max_abs_diff_kernel(const T* a, const T* b, int64_t n, float* out) {
  float m = 0.0f;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const float d = fabsf(Elem<T>::to_float(a[i]) - Elem<T>::to_float(b[i]));
    m = fmaxf(m, d != d ? INFINITY : d);  // NaN counts as infinitely wrong
  }
  m = warp_max(m);
  if ((threadIdx.x & 31) == 0) atomicMax(reinterpret_cast<int*>(out), __float_as_int(m));  // m >= 0: int order
}
}  // namespace

template <typename T>
float attention_max_diff_vs_simple(int head_dim, const AttnCandidate<T>& candidate, cudaStream_t stream) {
  const int B = 2, L = 200, H = 4, KV = 2;
  const int64_t width = int64_t{H + 2 * KV} * head_dim;
  const int64_t rows = int64_t{B} * L;
  DeviceBuffer<T> qkv(rows * width), o1(rows * H * head_dim), o2(rows * H * head_dim);
  DeviceBuffer<float> result(1);
  fill_uniform<T>(qkv.get(), rows * width, 12345, 1.0f, stream);
  AttnArgs<T> a;
  a.q = qkv.get();
  a.k = qkv.get() + int64_t{H} * head_dim;
  a.v = qkv.get() + int64_t{H + KV} * head_dim;
  a.q_stride = a.kv_stride = width;
  a.o_stride = int64_t{H} * head_dim;
  a.batch = B;
  a.seq_len = L;
  a.heads = H;
  a.kv_heads = KV;
  a.head_dim = head_dim;
  a.scale = 1.0f / sqrtf(static_cast<float>(head_dim));
  a.o = o1.get();
  candidate(a, stream);
  a.o = o2.get();
  flash_attention<T>(a, AttnKernel::Simple, stream);
  CUDA_CHECK(cudaMemsetAsync(result.get(), 0, sizeof(float), stream));
  max_abs_diff_kernel<T><<<64, 256, 0, stream>>>(o1.get(), o2.get(), rows * H * head_dim, result.get());
  CUDA_CHECK_LAUNCH();
  float host = 0.0f;
  CUDA_CHECK(cudaMemcpyAsync(&host, result.get(), sizeof(float), cudaMemcpyDeviceToHost, stream));
  CUDA_CHECK(cudaStreamSynchronize(stream));
  return host;
}

template <typename T>
float attention_kernels_max_diff(int head_dim, cudaStream_t stream) {
  return attention_max_diff_vs_simple<T>(
      head_dim, [](const AttnArgs<T>& a, cudaStream_t s) { flash_attention<T>(a, AttnKernel::TensorCore, s); }, stream);
}

template float attention_kernels_max_diff<__nv_bfloat16>(int, cudaStream_t);
template float attention_kernels_max_diff<__half>(int, cudaStream_t);
template float attention_max_diff_vs_simple<__nv_bfloat16>(int, const AttnCandidate<__nv_bfloat16>&, cudaStream_t);
template float attention_max_diff_vs_simple<__half>(int, const AttnCandidate<__half>&, cudaStream_t);

}  // namespace rb::cuda
