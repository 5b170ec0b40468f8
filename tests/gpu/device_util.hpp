#pragma once
// Host <-> device helpers for the GPU tests: random host data, uploads in T (bf16/fp16 bits),
// downloads back to float, and the rounding function matching T.
#include <cstdint>
#include <cstring>
#include <random>
#include <type_traits>
#include <vector>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "model_core/cuda/cuda_check.hpp"
#include "model_core/cuda/device_buffer.hpp"
#include "model_core/cuda/host_dtype.hpp"

namespace rbtest {

template <typename T>
float round_t(float f) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return rb::cuda::round_bf16(f);
  else return rb::cuda::round_half(f);
}

template <typename T>
uint16_t bits_t(float f) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return rb::cuda::float_to_bf16_bits(f);
  else return rb::cuda::float_to_half_bits(f);
}

template <typename T>
float value_t(uint16_t b) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return rb::cuda::bf16_bits_to_float(b);
  else return rb::cuda::half_bits_to_float(b);
}

// Uniform in [lo, hi), already rounded to T so host references see exactly the device values.
template <typename T>
std::vector<float> random_t(std::size_t n, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = round_t<T>(dist(rng));
  return v;
}

template <typename T>
rb::cuda::DeviceBuffer<T> upload_t(const std::vector<float>& v) {
  std::vector<uint16_t> bits(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) bits[i] = bits_t<T>(v[i]);
  rb::cuda::DeviceBuffer<T> d(std::max<std::size_t>(v.size(), 1));
  if (!v.empty()) CUDA_CHECK(cudaMemcpy(d.get(), bits.data(), bits.size() * 2, cudaMemcpyHostToDevice));
  return d;
}

template <typename T>
std::vector<float> download_t(const T* d, std::size_t n) {
  std::vector<uint16_t> bits(n);
  CUDA_CHECK(cudaDeviceSynchronize());
  CUDA_CHECK(cudaMemcpy(bits.data(), d, n * 2, cudaMemcpyDeviceToHost));
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = value_t<T>(bits[i]);
  return v;
}

template <typename U>
rb::cuda::DeviceBuffer<U> upload(const std::vector<U>& v) {
  rb::cuda::DeviceBuffer<U> d(std::max<std::size_t>(v.size(), 1));
  if (!v.empty()) CUDA_CHECK(cudaMemcpy(d.get(), v.data(), v.size() * sizeof(U), cudaMemcpyHostToDevice));
  return d;
}

template <typename U>
std::vector<U> download(const U* d, std::size_t n) {
  std::vector<U> v(n);
  CUDA_CHECK(cudaDeviceSynchronize());
  if (n) CUDA_CHECK(cudaMemcpy(v.data(), d, n * sizeof(U), cudaMemcpyDeviceToHost));
  return v;
}

}  // namespace rbtest
