// Uploads (fp32 or 16-bit host tensors -> T on the device, round-to-nearest-even), the bias add of
// a Linear, and synthetic weights generated on the device for benchmarks without checkpoints.
#include <algorithm>

#include "model_core/cuda/cuda_check.hpp"
#include "model_core/cuda/dtype.cuh"
#include "model_core/cuda/kernels.hpp"
#include "model_core/cuda/launch.cuh"

namespace rb::cuda {
namespace {

template <typename T>
__global__ void convert_kernel(const float* __restrict__ src, T* __restrict__ dst, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    dst[i] = Elem<T>::from_float(src[i]);
}

// A 16-bit source widened exactly to fp32, then rounded to T: the same value as the host's exact
// conversion followed by convert_kernel.
template <typename S, typename T>
__global__ void convert16_kernel(const S* __restrict__ src, T* __restrict__ dst, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    dst[i] = Elem<T>::from_float(Elem<S>::to_float(src[i]));
}

// 2D grid: y strides over rows, x over columns (no 64-bit division per element).
template <typename T>
__global__ void add_bias_kernel(T* __restrict__ y, int64_t rows, int64_t cols, int64_t ld, const T* __restrict__ bias) {
  for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {
    T* row = y + r * ld;
    for (int64_t c = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; c < cols; c += int64_t{gridDim.x} * blockDim.x)
      row[c] = Elem<T>::from_float(Elem<T>::to_float(row[c]) + Elem<T>::to_float(bias[c]));
  }
}

// splitmix64 (Steele, Lea, Flood 2014): a counter-based generator, so element i's value depends
// on (seed, i) only.
__device__ __forceinline__ uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

template <typename T>
__global__ void uniform_kernel(T* __restrict__ dst, int64_t n, uint64_t seed, float bound) {
  const uint64_t key = splitmix64(seed);
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const uint64_t r = splitmix64(key ^ static_cast<uint64_t>(i));
    const float u = static_cast<float>(r >> 40) * (1.0f / 16777216.0f);  // [0, 1), 24 bits
    dst[i] = Elem<T>::from_float((2.0f * u - 1.0f) * bound);
  }
}

template <typename T>
__global__ void value_kernel(T* __restrict__ dst, int64_t n, float value) {
  const T v = Elem<T>::from_float(value);
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    dst[i] = v;
}

}  // namespace

template <typename T>
void convert_from_f32(const float* src, T* dst, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  convert_kernel<T><<<grid_for(n, 256), 256, 0, stream>>>(src, dst, n);
  CUDA_CHECK_LAUNCH();
}

template <typename T>
void convert_from_16(const void* src, bool src_is_bf16, T* dst, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  if (src_is_bf16)
    convert16_kernel<__nv_bfloat16, T><<<grid_for(n, 256), 256, 0, stream>>>(static_cast<const __nv_bfloat16*>(src), dst, n);
  else
    convert16_kernel<__half, T><<<grid_for(n, 256), 256, 0, stream>>>(static_cast<const __half*>(src), dst, n);
  CUDA_CHECK_LAUNCH();
}

template <typename T>
void add_bias(T* y, int64_t rows, int64_t cols, int64_t ld, const T* bias, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return;
  const dim3 grid(static_cast<unsigned>(std::min<int64_t>((cols + 255) / 256, 64)),
                  static_cast<unsigned>(std::min<int64_t>(rows, 65535)));
  add_bias_kernel<T><<<grid, 256, 0, stream>>>(y, rows, cols, ld, bias);
  CUDA_CHECK_LAUNCH();
}

template <typename T>
void fill_uniform(T* dst, int64_t n, uint64_t seed, float bound, cudaStream_t stream) {
  if (n <= 0) return;
  uniform_kernel<T><<<grid_for(n, 256), 256, 0, stream>>>(dst, n, seed, bound);
  CUDA_CHECK_LAUNCH();
}

template <typename T>
void fill_value(T* dst, int64_t n, float value, cudaStream_t stream) {
  if (n <= 0) return;
  value_kernel<T><<<grid_for(n, 256), 256, 0, stream>>>(dst, n, value);
  CUDA_CHECK_LAUNCH();
}

#define RB_INST(T)                                                                    \
  template void convert_from_f32<T>(const float*, T*, int64_t, cudaStream_t);        \
  template void convert_from_16<T>(const void*, bool, T*, int64_t, cudaStream_t);    \
  template void add_bias<T>(T*, int64_t, int64_t, int64_t, const T*, cudaStream_t);  \
  template void fill_uniform<T>(T*, int64_t, uint64_t, float, cudaStream_t);         \
  template void fill_value<T>(T*, int64_t, float, cudaStream_t);
RB_INSTANTIATE_BOTH(RB_INST)
#undef RB_INST

}  // namespace rb::cuda
