#pragma once
// The FlashAttention-3 forward kernels this build compiles (third_party/flash_attention_hopper:
// Dao-AILab/flash-attention hopper/, "FlashAttention-3", Shah et al. 2024, arXiv:2407.08608), for
// the problems the decoder has: causal self-attention of whole windows, GQA, 16-bit q/k/v/o,
// fp32 softmax and accumulation, no dropout, no softcap; optionally a sliding window (its "local"
// attention with window (W - 1, 0): query t sees keys t - W < k <= t). Only sm_90a code is
// compiled (warp-specialized WGMMA + TMA); the caller checks the device is compute capability 9.0.
// Built into rb_fa3 only when CMake finds the pinned CUTLASS headers (model_core/CMakeLists.txt).
#include <cstdint>

#include <cuda_runtime.h>

namespace rb::cuda::fa3 {

// Element strides between rows (tokens) as AttnArgs has them: q[(b*L + t) * q_stride + h*D + d].
struct Problem {
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  void* o = nullptr;
  int64_t q_stride = 0, kv_stride = 0, o_stride = 0;
  int batch = 0, seq_len = 0, heads = 0, kv_heads = 0, head_dim = 0;
  float scale = 0.0f;
  int window = 0;            // > 0: sliding window of this many keys (the query's own included)
  bool bf16 = true;          // else fp16
  float* lse = nullptr;      // [batch * heads * seq_len] fp32 log-sum-exp, written (the kernel needs it)
  int* semaphore = nullptr;  // one int of device memory: the persistent scheduler's tile counter
  int num_sm = 0;            // SMs of the device (the persistent grid)
};

// Whether a kernel for this head_dim, dtype and kind (sliding window or not) is compiled.
bool compiled(int head_dim, bool bf16, bool sliding);
// Zeroes the semaphore and enqueues the kernel on `stream`. Throws std::runtime_error when no
// kernel is compiled for the problem or CUDA reports an error.
void forward(const Problem& p, cudaStream_t stream);

}  // namespace rb::cuda::fa3
