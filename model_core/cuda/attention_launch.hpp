#pragma once
// Internal: the two attention implementations behind flash_attention() (attention.cu).
#include "model_core/cuda/kernels.hpp"

namespace rb::cuda::detail {

// Any head_dim in [1, 256]; fp32 math on CUDA cores.
template <typename T>
void attention_simple(const AttnArgs<T>& args, cudaStream_t stream);
// head_dim in {64, 80, 96, 128}; strides and pointers 16-byte aligned; sm_80+ tensor cores.
template <typename T>
void attention_tensor_core(const AttnArgs<T>& args, cudaStream_t stream);

}  // namespace rb::cuda::detail
