// Dequantization of 4-bit weights (dequant.hpp). Two kernels: a fast one for the shapes of real
// models (cols % 8 == 0, and 8 consecutive columns share a group unless g_idx gives each column its
// own), one thread per 8 weights with a 32-bit load and a 16-byte store; and a plain one per weight
// for anything else (odd widths, bitsandbytes blocks that cross rows).
#include "model_core/cuda/cuda_check.hpp"
#include "model_core/cuda/dequant.hpp"
#include "model_core/cuda/dtype.cuh"
#include "model_core/cuda/launch.cuh"

namespace rb::cuda {
namespace {

// table: the 16 code values; the kernels read them from shared memory (indexing the parameter
// copy by a per-thread code serializes the warp on the constant cache).
__device__ __forceinline__ float dequant_value(const QuantView& q, const float* table, unsigned code, int64_t g) {
  const float t = table[code];
  const float z = q.zero ? q.zero[g] : 0.0f;
  const float b = q.bias ? q.bias[g] : 0.0f;
  float v = __fadd_rn(__fmul_rn(__fsub_rn(t, z), q.scale[g]), b);
  if (q.round_to_fp16) v = __half2float(__float2half_rn(v));
  return v;
}

// The code table in shared memory, for every thread of the block.
__device__ __forceinline__ const float* shared_table(const QuantView& q, float* table) {
  if (threadIdx.x < 16) table[threadIdx.x] = q.table[threadIdx.x];
  __syncthreads();
  return table;
}

template <typename T>
__global__ void dequant_by8_kernel(QuantView q, T* __restrict__ out) {
  __shared__ float table_storage[16];
  const float* table = shared_table(q, table_storage);
  const int64_t chunks_per_row = q.cols / 8;
  const int64_t n = q.rows * chunks_per_row;
  const int64_t row_bytes = (q.cols + 1) / 2;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / chunks_per_row, c0 = (i - r * chunks_per_row) * 8;
    const uint32_t packed = *reinterpret_cast<const uint32_t*>(q.codes + r * row_bytes + c0 / 2);
    union {
      uint4 vec;
      T elems[8];
    } o;
    if (q.g_idx == nullptr) {
      const int64_t g = r * q.groups_per_row + c0 / q.group_size;
#pragma unroll
      for (int j = 0; j < 8; ++j) o.elems[j] = Elem<T>::from_float(dequant_value(q, table, (packed >> (4 * j)) & 15u, g));
    } else {
#pragma unroll
      for (int j = 0; j < 8; ++j) {
        const int64_t g = r * q.groups_per_row + q.g_idx[c0 + j];
        o.elems[j] = Elem<T>::from_float(dequant_value(q, table, (packed >> (4 * j)) & 15u, g));
      }
    }
    *reinterpret_cast<uint4*>(out + r * q.cols + c0) = o.vec;
  }
}

template <typename T>
__global__ void dequant_plain_kernel(QuantView q, T* __restrict__ out) {
  __shared__ float table_storage[16];
  const float* table = shared_table(q, table_storage);
  const int64_t n = q.rows * q.cols;
  const int64_t row_bytes = (q.cols + 1) / 2;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / q.cols, c = i - r * q.cols;
    const unsigned byte = q.codes[r * row_bytes + c / 2];
    const unsigned code = (c & 1) ? byte >> 4 : byte & 15u;
    const int64_t g = q.g_idx ? r * q.groups_per_row + q.g_idx[c] : i / q.group_size;
    out[i] = Elem<T>::from_float(dequant_value(q, table, code, g));
  }
}

__global__ void random_bytes_kernel(uint8_t* __restrict__ dst, int64_t n, uint64_t seed) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    uint64_t x = seed ^ (static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ull);  // splitmix64 finalizer
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    dst[i] = static_cast<uint8_t>((x ^ (x >> 31)) >> 56);
  }
}

}  // namespace

template <typename T>
void dequantize(const QuantView& q, T* out, cudaStream_t stream) {
  const int64_t n = q.rows * q.cols;
  if (n <= 0) return;
  const bool by8 = q.cols % 8 == 0 && aligned_to(out, 16) && aligned_to(q.codes, 4) &&
                   (q.g_idx != nullptr || (q.group_size % 8 == 0 && q.cols % q.group_size == 0));
  if (by8) {
    dequant_by8_kernel<T><<<grid_for(n / 8, 256), 256, 0, stream>>>(q, out);
  } else {
    dequant_plain_kernel<T><<<grid_for(n, 256), 256, 0, stream>>>(q, out);
  }
  CUDA_CHECK_LAUNCH();
}

void fill_random_bytes(uint8_t* dst, int64_t n, uint64_t seed, cudaStream_t stream) {
  if (n <= 0) return;
  random_bytes_kernel<<<grid_for(n, 256), 256, 0, stream>>>(dst, n, seed);
  CUDA_CHECK_LAUNCH();
}

#define RB_INST(T) template void dequantize<T>(const QuantView&, T*, cudaStream_t);
RB_INSTANTIATE_BOTH(RB_INST)
#undef RB_INST

}  // namespace rb::cuda
