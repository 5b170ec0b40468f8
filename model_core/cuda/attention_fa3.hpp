#pragma once
// FlashAttention-3's forward kernels (fa3/fa3_forward.hpp) for the decoder's full causal
// attention, behind the AttnArgs interface of the own kernels (kernels.hpp) and of cuDNN
// (attention_cudnn.hpp): the same layout (q/k/v read in place from the fused qkv rows), the same
// mask (query t sees keys 0..t; with a sliding window of W keys, t - W < k <= t).
//
// Served: compute capability 9.0 (the kernels are sm_90a code), bf16, head_dim 64 or 128 for full
// causal layers, head_dim 128 for sliding-window ones (others: cuDNN's banded graph or the simple
// kernel). FlashAttention-3 needs no plan: no per-shape build, no first-call cost beyond
// loading the module. It writes each row's log-sum-exp (fp32, batch * heads * seq_len floats)
// into a buffer kept here, and its persistent scheduler counts tiles in one int, zeroed per call.
// Present only in builds with ROPEBATCH_HAVE_FA3 (model_core/CMakeLists.txt); otherwise
// fa3_attention_unavailable() says so and the constructor throws.
#include <cstddef>
#include <string>

#include "model_core/cuda/device_buffer.hpp"
#include "model_core/cuda/kernels.hpp"

namespace rb::cuda {

// "" when this build has the FlashAttention-3 kernels, else why not ("built without").
std::string fa3_attention_unavailable();

template <typename T>
class Fa3Attention {
 public:
  // Throws rb::Error when built without, or the current device is not compute capability 9.0.
  Fa3Attention();
  // "" when FlashAttention-3 runs this problem, else why not.
  std::string supports(const AttnArgs<T>& a) const;
  // Grows the log-sum-exp buffer for a (synchronizing `stream` first when it grows); returns
  // supports(a). Call before run() with a problem of this size, outside a forward.
  std::string prepare(const AttnArgs<T>& a, cudaStream_t stream);
  // Enqueues the attention on `stream`. Throws rb::Error when the problem is not served or was
  // not prepared, or CUDA fails.
  void run(const AttnArgs<T>& a, cudaStream_t stream);

 private:
  int num_sm_ = 0;
  DeviceBuffer<float> lse_;
  DeviceBuffer<int> semaphore_;
};

// Start-up cross-check against the simple fp32 kernel on attention_max_diff_vs_simple's problem
// (kernels.hpp); returns the largest absolute difference of the outputs. Synchronizes.
template <typename T>
float fa3_attention_max_diff(Fa3Attention<T>& attn, int head_dim, cudaStream_t stream);

}  // namespace rb::cuda
