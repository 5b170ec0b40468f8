#pragma once
// cuDNN's fused flash attention for the same problems as flash_attention() (kernels.hpp): causal,
// GQA (kv_heads divides heads), 16-bit q/k/v/o, fp32 softmax and accumulation. It is cuDNN 9's
// "SDPA" forward operation, built through the header-only cuDNN frontend graph API
// (cudnn_frontend::graph::Graph::sdpa; NVIDIA cudnn-frontend docs/operations/Attention.md).
//
// Layout, no transpose: AttnArgs rows are tokens, so q is the 4-d tensor [batch, heads, seq_len,
// head_dim] with strides [seq_len * q_stride, head_dim, q_stride, 1] (cuDNN's "BSHD" layout with
// a row pitch: q/k/v are read in place from the fused qkv projection output); k and v are
// [batch, kv_heads, seq_len, head_dim] with kv_stride, o is [batch, heads, seq_len, head_dim]
// with o_stride. The causal mask is cuDNN's top-left diagonal band (right bound 0): query t sees
// keys 0..t, as the own kernels.
//
// One graph is built per shape (batch, seq_len, heads, kv_heads, head_dim, strides, scale, dtype)
// and cached. The first build of a shape takes a while: cuDNN compiles its kernel at run time, per
// shape. Measured on one H200 with cuDNN 9.14: 500-800 ms for each new shape without the CUDA JIT
// cache, 53-72 ms with it (loading the cached kernel); dynamic-shape graphs sharing a
// cudnn_frontend::KernelCache did not avoid it (docs/PERFORMANCE.md). Present only in builds with
// ROPEBATCH_HAVE_CUDNN (CMake option ROPEBATCH_CUDNN with cuDNN 9 and the pinned frontend found);
// otherwise cudnn_attention_unavailable() says so and the constructor throws.
#include <cstddef>
#include <memory>
#include <string>

#include "model_core/cuda/kernels.hpp"

namespace rb::cuda {

// "" when this build has the cuDNN path, else why not ("built without").
std::string cudnn_attention_unavailable();
// "cuDNN 9.19.0 (frontend 1.32.0)": the loaded library's version; "built without" otherwise.
std::string cudnn_attention_version();

template <typename T>
class CudnnAttention {
 public:
  // One cuDNN handle on the current device. Throws rb::Error (built without cuDNN, or cudnnCreate
  // failing, e.g. libcudnn missing pieces on this machine).
  // log_builds: each graph's build time, step by step, to stderr.
  explicit CudnnAttention(bool log_builds = false);
  ~CudnnAttention();
  CudnnAttention(const CudnnAttention&) = delete;
  CudnnAttention& operator=(const CudnnAttention&) = delete;

  // Builds the graph for a's shape once (pointers are not read). Returns "" when cuDNN runs this
  // shape, else cuDNN's reason (remembered: an unsupported shape is not retried).
  std::string prepare(const AttnArgs<T>& a);
  // Device workspace the shape's graph needs; prepare() must have succeeded.
  std::size_t workspace_bytes(const AttnArgs<T>& a);
  // Enqueues the attention on `stream`, prepares the shape first if needed. `workspace` must hold
  // workspace_bytes(a) bytes (nullptr when 0). Pointers and strides must be 16-byte aligned.
  // Throws rb::Error when the shape is unsupported or cuDNN fails.
  void run(const AttnArgs<T>& a, void* workspace, std::size_t workspace_size, cudaStream_t stream);
  // How many shapes have been prepared (built, or found unsupported) so far.
  std::size_t shapes_prepared() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Start-up cross-check, as attention_kernels_max_diff (attention_check.cu) for the tensor-core
// kernel: cuDNN and the simple fp32 kernel on a small random GQA problem (2 windows of 200 tokens,
// 4 heads, 2 kv heads) with this head_dim; returns the largest absolute difference of the
// outputs (|o| <= 1; NaN counts as infinite). Throws rb::Error when cuDNN cannot run the shape.
// Synchronizes.
template <typename T>
float cudnn_attention_max_diff(CudnnAttention<T>& attn, int head_dim, cudaStream_t stream);

}  // namespace rb::cuda
