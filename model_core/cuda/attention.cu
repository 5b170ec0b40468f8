// Chooses the attention kernel: tensor cores (attention_mma.cu) where head_dim and alignment
// allow, else the simple fp32 kernel (attention_simple.cu).
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "model_core/cuda/attention_launch.hpp"
#include "model_core/cuda/kernels.hpp"
#include "model_core/cuda/launch.cuh"

namespace rb::cuda {

bool tensor_core_attention_supported(int head_dim) {
  return head_dim == 64 || head_dim == 80 || head_dim == 96 || head_dim == 128;
}

namespace {
template <typename T>
bool aligned16(const AttnArgs<T>& a) {
  auto ok = [](const void* p) { return aligned_to(p, 16); };
  return ok(a.q) && ok(a.k) && ok(a.v) && ok(a.o) && a.q_stride % 8 == 0 && a.kv_stride % 8 == 0 &&
         a.o_stride % 8 == 0;
}
}  // namespace

template <typename T>
void flash_attention(const AttnArgs<T>& a, AttnKernel which, cudaStream_t stream) {
  if (a.batch <= 0 || a.seq_len <= 0) return;
  if (a.heads <= 0 || a.kv_heads <= 0 || a.heads % a.kv_heads != 0)
    throw Error("attention: heads (" + std::to_string(a.heads) + ") must be a positive multiple of kv_heads (" +
                std::to_string(a.kv_heads) + ")");
  const bool tc_ok = tensor_core_attention_supported(a.head_dim) && aligned16(a);
  if (which == AttnKernel::TensorCore && !tc_ok)
    throw Error("attention: the tensor-core kernel needs head_dim 64/80/96/128 and 16-byte aligned rows (head_dim " +
                std::to_string(a.head_dim) + ")");
  // A sliding window runs on the simple kernel (the tensor-core kernel masks causally only; cuDNN
  // takes sliding layers where available: attention_cudnn.hpp).
  if (which == AttnKernel::TensorCore && a.window > 0)
    throw Error("attention: the tensor-core kernel has no sliding window (window " + std::to_string(a.window) + ")");
  if (a.window == 0 && (which == AttnKernel::TensorCore || (which == AttnKernel::Auto && tc_ok)))
    detail::attention_tensor_core(a, stream);
  else
    detail::attention_simple(a, stream);
}

template void flash_attention<__nv_bfloat16>(const AttnArgs<__nv_bfloat16>&, AttnKernel, cudaStream_t);
template void flash_attention<__half>(const AttnArgs<__half>&, AttnKernel, cudaStream_t);

}  // namespace rb::cuda
