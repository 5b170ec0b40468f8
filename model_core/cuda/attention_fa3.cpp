#include "model_core/cuda/attention_fa3.hpp"

#include <cmath>
#include <exception>
#include <type_traits>

#include "common/error.hpp"
#include "model_core/cuda/cuda_check.hpp"
#include "model_core/cuda/fa3/fa3_forward.hpp"

namespace rb::cuda {

#if ROPEBATCH_HAVE_FA3

std::string fa3_attention_unavailable() { return ""; }

template <typename T>
Fa3Attention<T>::Fa3Attention() {
  int device = 0, major = 0, minor = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
  if (major != 9 || minor != 0)
    throw Error("FlashAttention-3 kernels are sm_90a code; device " + std::to_string(device) + " is compute capability " +
                std::to_string(major) + "." + std::to_string(minor));
  CUDA_CHECK(cudaDeviceGetAttribute(&num_sm_, cudaDevAttrMultiProcessorCount, device));
  semaphore_.reset(1);
}

template <typename T>
std::string Fa3Attention<T>::supports(const AttnArgs<T>& a) const {
  constexpr bool bf16 = std::is_same_v<T, __nv_bfloat16>;
  const bool sliding = a.window > 0 && a.window < a.seq_len;  // a window over the whole sequence is causal
  if (!fa3::compiled(a.head_dim, bf16, sliding))
    return std::string("no kernel compiled for head_dim ") + std::to_string(a.head_dim) + (bf16 ? " (bf16" : " (fp16") +
           (sliding ? ", sliding window)" : ")");
  if (a.heads <= 0 || a.kv_heads <= 0 || a.heads % a.kv_heads != 0) return "kv_heads must divide heads";
  // TMA loads rows by their 16-byte aligned pitch.
  if (a.q_stride % 8 != 0 || a.kv_stride % 8 != 0 || a.o_stride % 8 != 0) return "row strides must be multiples of 8";
  return "";
}

template <typename T>
std::string Fa3Attention<T>::prepare(const AttnArgs<T>& a, cudaStream_t stream) {
  if (std::string why = supports(a); !why.empty()) return why;
  const std::size_t rows = static_cast<std::size_t>(a.batch) * a.heads * a.seq_len;
  if (lse_.size() < rows) {
    CUDA_CHECK(cudaStreamSynchronize(stream));
    lse_.reset(rows);
  }
  return "";
}

template <typename T>
void Fa3Attention<T>::run(const AttnArgs<T>& a, cudaStream_t stream) {
  if (const std::string why = supports(a); !why.empty()) throw Error("FlashAttention-3: " + why);
  if (lse_.size() < static_cast<std::size_t>(a.batch) * a.heads * a.seq_len)
    throw Error("FlashAttention-3: run() before prepare() for " + std::to_string(a.batch) + " x " + std::to_string(a.seq_len));
  fa3::Problem p;
  p.q = a.q;
  p.k = a.k;
  p.v = a.v;
  p.o = a.o;
  p.q_stride = a.q_stride;
  p.kv_stride = a.kv_stride;
  p.o_stride = a.o_stride;
  p.batch = a.batch;
  p.seq_len = a.seq_len;
  p.heads = a.heads;
  p.kv_heads = a.kv_heads;
  p.head_dim = a.head_dim;
  p.scale = a.scale;
  p.window = a.window;
  p.bf16 = std::is_same_v<T, __nv_bfloat16>;
  p.lse = lse_.get();
  p.semaphore = semaphore_.get();
  p.num_sm = num_sm_;
  try {
    fa3::forward(p, stream);
  } catch (const std::exception& e) {
    throw Error(e.what());
  }
}

#else  // built without FlashAttention-3: the class exists so callers compile; it cannot be constructed.

std::string fa3_attention_unavailable() { return "built without"; }

template <typename T>
Fa3Attention<T>::Fa3Attention() {
  throw Error("FlashAttention-3: this build has no FlashAttention-3 kernels");
}
template <typename T>
std::string Fa3Attention<T>::supports(const AttnArgs<T>&) const {
  return "built without";
}
template <typename T>
std::string Fa3Attention<T>::prepare(const AttnArgs<T>&, cudaStream_t) {
  return "built without";
}
template <typename T>
void Fa3Attention<T>::run(const AttnArgs<T>&, cudaStream_t) {
  throw Error("FlashAttention-3: this build has no FlashAttention-3 kernels");
}

#endif

template <typename T>
float fa3_attention_max_diff(Fa3Attention<T>& attn, int head_dim, cudaStream_t stream) {
  const auto run = [&](const AttnArgs<T>& a, cudaStream_t s) {
    if (const std::string why = attn.prepare(a, s); !why.empty()) throw Error("FlashAttention-3: " + why);
    attn.run(a, s);
  };
  return attention_max_diff_vs_simple<T>(head_dim, run, stream);
}

template class Fa3Attention<__nv_bfloat16>;
template class Fa3Attention<__half>;
template float fa3_attention_max_diff<__nv_bfloat16>(Fa3Attention<__nv_bfloat16>&, int, cudaStream_t);
template float fa3_attention_max_diff<__half>(Fa3Attention<__half>&, int, cudaStream_t);

}  // namespace rb::cuda
