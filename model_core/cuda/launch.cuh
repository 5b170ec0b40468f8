#pragma once
// Small helpers shared by the kernel files: grid sizes for grid-stride loops, pointer alignment
// and packs of values for vector loads, and explicit instantiation for both element types.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace rb::cuda {

// Blocks for a grid-stride loop over n items: enough to fill any current GPU, never more than
// needed, never zero (a zero-block launch is an error).
inline unsigned grid_for(int64_t n, int threads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(std::clamp<int64_t>(blocks, 1, 65536));
}

// Whether p is aligned to `bytes` (the condition of a kernel's vector-load path).
inline bool aligned_to(const void* p, std::size_t bytes) { return reinterpret_cast<std::uintptr_t>(p) % bytes == 0; }

// kW values of U side by side: one load or store of sizeof(U) * kW bytes (p must be aligned to it).
template <typename U, int kW>
struct alignas(sizeof(U) * kW) Pack {
  U v[kW];
};

}  // namespace rb::cuda

// Instantiates a launcher template for bf16 and fp16: RB_INSTANTIATE(template void f, (args...)).
#define RB_INSTANTIATE_BOTH(macro) \
  macro(__nv_bfloat16)             \
  macro(__half)
