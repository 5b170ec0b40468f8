// cuDNN fused attention (see attention_cudnn.hpp). The graph follows the cuDNN frontend's own
// forward sample (cudnn-frontend samples/cpp/sdpa/fp16_fwd.cpp): io type bf16/fp16, intermediate
// and compute type fp32, SDPA with generate_stats(false) (inference: no softmax statistics
// output), attn_scale as a value, causal mask = diagonal band right bound 0 aligned top-left.
#include "model_core/cuda/attention_cudnn.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "common/error.hpp"
#include "model_core/cuda/cuda_check.hpp"
#include "model_core/cuda/device_buffer.hpp"

#if ROPEBATCH_HAVE_CUDNN
#include <cudnn.h>
#include <cudnn_frontend.h>
#endif

namespace rb::cuda {

#if ROPEBATCH_HAVE_CUDNN

namespace fe = cudnn_frontend;

namespace {

// CUDNN_CHECK: every cuDNN call (cudnnStatus_t) and every frontend call (error_t) throws rb::Error
// with file:line, the call and the library's message.
[[noreturn]] void throw_cudnn(const std::string& what, const char* call, const char* file, int line) {
  throw Error(std::string(file) + ":" + std::to_string(line) + ": " + call + ": " + what);
}
void check_cudnn(cudnnStatus_t s, const char* call, const char* file, int line) {
  if (s != CUDNN_STATUS_SUCCESS) throw_cudnn(cudnnGetErrorString(s), call, file, line);
}
void check_cudnn(fe::error_t e, const char* call, const char* file, int line) {
  if (e.is_bad()) throw_cudnn("cuDNN frontend: " + e.get_message(), call, file, line);
}
#define CUDNN_CHECK(call) check_cudnn((call), #call, __FILE__, __LINE__)

// Variant-pack ids of the graph's four user tensors.
enum : int64_t { kQ = 1, kK = 2, kV = 3, kO = 4 };

template <typename T>
constexpr fe::DataType_t fe_type() {
  return std::is_same_v<T, __nv_bfloat16> ? fe::DataType_t::BFLOAT16 : fe::DataType_t::HALF;
}

template <typename T>
std::string shape_text(const AttnArgs<T>& a) {
  return "batch " + std::to_string(a.batch) + ", seq_len " + std::to_string(a.seq_len) + ", heads " +
         std::to_string(a.heads) + "/" + std::to_string(a.kv_heads) + ", head_dim " + std::to_string(a.head_dim) +
         (a.window > 0 ? ", sliding window " + std::to_string(a.window) : std::string());
}

}  // namespace

template <typename T>
struct CudnnAttention<T>::Impl {
  // Everything the graph bakes in; pointers are bound at run time.
  using Key = std::tuple<int, int, int, int, int, int64_t, int64_t, int64_t, uint32_t, int>;
  struct Entry {
    std::shared_ptr<fe::graph::Graph> graph;  // null when unsupported
    std::string error;                        // why unsupported
    int64_t workspace = 0;
  };

  cudnnHandle_t handle = nullptr;
  bool log = false;  // each graph's build steps to stderr
  std::map<Key, Entry> graphs;

  static Key key(const AttnArgs<T>& a) {
    uint32_t scale_bits = 0;
    std::memcpy(&scale_bits, &a.scale, sizeof scale_bits);
    return {a.batch, a.seq_len, a.heads, a.kv_heads, a.head_dim, a.q_stride, a.kv_stride, a.o_stride, scale_bits, a.window};
  }

  // The SDPA graph of one shape; throws (rb::Error or the frontend's std::exception) when cuDNN
  // cannot run it.
  std::shared_ptr<fe::graph::Graph> build(const AttnArgs<T>& a, int64_t& workspace) const {
    const int64_t B = a.batch, L = a.seq_len, H = a.heads, KV = a.kv_heads, D = a.head_dim;
    auto g = std::make_shared<fe::graph::Graph>();
    g->set_io_data_type(fe_type<T>())
        .set_intermediate_data_type(fe::DataType_t::FLOAT)
        .set_compute_data_type(fe::DataType_t::FLOAT);
    auto tensor = [&](const char* name, int64_t uid, int64_t heads, int64_t row_stride) {
      return g->tensor(fe::graph::Tensor_attributes()
                           .set_name(name)
                           .set_uid(uid)
                           .set_dim({B, heads, L, D})
                           .set_stride({L * row_stride, D, row_stride, 1}));
    };
    auto q = tensor("Q", kQ, H, a.q_stride);
    auto k = tensor("K", kK, KV, a.kv_stride);
    auto v = tensor("V", kV, KV, a.kv_stride);
    auto options = fe::graph::SDPA_attributes()
                       .set_name("rb_causal_attention")
                       .set_generate_stats(false)
                       .set_attn_scale(a.scale)
                       .set_diagonal_alignment(fe::DiagonalAlignment_t::TOP_LEFT)
                       .set_diagonal_band_right_bound(0);
    // A sliding window: keep col + window > row (diagonal_band_mask.h), i.e. keys row - window < k <= row.
    if (a.window > 0) options.set_diagonal_band_left_bound(a.window);
    auto outputs = g->sdpa(q, k, v, options);
    outputs[0]->set_output(true).set_uid(kO).set_dim({B, H, L, D}).set_stride({L * a.o_stride, D, a.o_stride, 1});
    // Graph::build(handle, modes) step by step (graph_interface.h), so RB_CUDA_ATTN_LOG=1 can say
    // where a shape's build time goes.
    using clock = std::chrono::steady_clock;
    double ms[5];
    auto step = [&, t = clock::now()](int i) mutable {
      const auto now = clock::now();
      ms[i] = std::chrono::duration<double, std::milli>(now - t).count();
      t = now;
    };
    CUDNN_CHECK(g->validate());
    step(0);
    CUDNN_CHECK(g->build_operation_graph(handle));
    step(1);
    CUDNN_CHECK(g->create_execution_plans({fe::HeurMode_t::A, fe::HeurMode_t::FALLBACK}));
    step(2);
    CUDNN_CHECK(g->check_support());
    step(3);
    CUDNN_CHECK(g->build_plans(fe::BuildPlanPolicy_t::HEURISTICS_CHOICE));
    step(4);
    CUDNN_CHECK(g->get_workspace_size(workspace));
    if (log)
      std::fprintf(stderr,
                   "cuDNN attention graph (%s): validate %.1f ms, operation graph %.1f ms, heuristics %.1f ms, "
                   "support check %.1f ms, plan build %.1f ms\n",
                   shape_text(a).c_str(), ms[0], ms[1], ms[2], ms[3], ms[4]);
    return g;
  }

  Entry& entry(const AttnArgs<T>& a) {
    const Key k = key(a);
    if (auto it = graphs.find(k); it != graphs.end()) return it->second;
    Entry e;
    try {
      if (a.heads <= 0 || a.kv_heads <= 0 || a.heads % a.kv_heads != 0)
        throw Error("heads must be a positive multiple of kv_heads");
      e.graph = build(a, e.workspace);
    } catch (const std::exception& ex) {  // the frontend throws std::runtime_error for some shapes
      e.graph.reset();
      e.error = ex.what();
    }
    return graphs.emplace(k, std::move(e)).first->second;
  }
};

template <typename T>
CudnnAttention<T>::CudnnAttention(bool log_builds) : impl_(std::make_unique<Impl>()) {
  CUDNN_CHECK(cudnnCreate(&impl_->handle));
  impl_->log = log_builds;
}

template <typename T>
CudnnAttention<T>::~CudnnAttention() {
  if (impl_ && impl_->handle) {
    impl_->graphs.clear();  // plans before the handle they were built with
    cudnnDestroy(impl_->handle);
  }
}

template <typename T>
std::string CudnnAttention<T>::prepare(const AttnArgs<T>& a) {
  return impl_->entry(a).error;
}

template <typename T>
std::size_t CudnnAttention<T>::workspace_bytes(const AttnArgs<T>& a) {
  const auto& e = impl_->entry(a);
  if (!e.graph) throw Error("cuDNN attention does not support " + shape_text(a) + ": " + e.error);
  return static_cast<std::size_t>(e.workspace);
}

template <typename T>
void CudnnAttention<T>::run(const AttnArgs<T>& a, void* workspace, std::size_t workspace_size, cudaStream_t stream) {
  if (a.batch <= 0 || a.seq_len <= 0) return;
  const auto& e = impl_->entry(a);
  if (!e.graph) throw Error("cuDNN attention does not support " + shape_text(a) + ": " + e.error);
  if (workspace_size < static_cast<std::size_t>(e.workspace))
    throw Error("cuDNN attention: workspace of " + std::to_string(workspace_size) + " bytes, " +
                std::to_string(e.workspace) + " needed");
  std::unordered_map<int64_t, void*> pack = {{kQ, const_cast<T*>(a.q)},
                                             {kK, const_cast<T*>(a.k)},
                                             {kV, const_cast<T*>(a.v)},
                                             {kO, a.o}};
  CUDNN_CHECK(cudnnSetStream(impl_->handle, stream));
  CUDNN_CHECK(e.graph->execute(impl_->handle, pack, workspace));
}

template <typename T>
std::size_t CudnnAttention<T>::shapes_prepared() const {
  return impl_->graphs.size();
}

std::string cudnn_attention_unavailable() { return ""; }

std::string cudnn_attention_version() {
  const std::size_t v = cudnnGetVersion();  // major * 10000 + minor * 100 + patch since cuDNN 9
  return "cuDNN " + std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100) +
         " (frontend " + std::to_string(CUDNN_FRONTEND_MAJOR_VERSION) + "." +
         std::to_string(CUDNN_FRONTEND_MINOR_VERSION) + "." + std::to_string(CUDNN_FRONTEND_PATCH_VERSION) + ")";
}

#else  // built without cuDNN: the class exists so callers compile; it cannot be constructed.

template <typename T>
struct CudnnAttention<T>::Impl {};

template <typename T>
CudnnAttention<T>::CudnnAttention(bool) {
  throw Error("cuDNN attention: " + cudnn_attention_unavailable());
}
template <typename T>
CudnnAttention<T>::~CudnnAttention() = default;
template <typename T>
std::string CudnnAttention<T>::prepare(const AttnArgs<T>&) {
  return cudnn_attention_unavailable();
}
template <typename T>
std::size_t CudnnAttention<T>::workspace_bytes(const AttnArgs<T>&) {
  return 0;
}
template <typename T>
void CudnnAttention<T>::run(const AttnArgs<T>&, void*, std::size_t, cudaStream_t) {
  throw Error("cuDNN attention: " + cudnn_attention_unavailable());
}

template <typename T>
std::size_t CudnnAttention<T>::shapes_prepared() const {
  return 0;
}

std::string cudnn_attention_unavailable() { return "built without"; }
std::string cudnn_attention_version() { return "built without"; }

#endif

template <typename T>
float cudnn_attention_max_diff(CudnnAttention<T>& attn, int head_dim, cudaStream_t stream) {
  DeviceBuffer<uint8_t> workspace;
  const auto run = [&](const AttnArgs<T>& a, cudaStream_t s) {
    if (const std::string why = attn.prepare(a); !why.empty()) throw Error("cuDNN attention: " + why);
    workspace.reset(attn.workspace_bytes(a));
    attn.run(a, workspace.get(), workspace.bytes(), s);
  };
  return attention_max_diff_vs_simple<T>(head_dim, run, stream);
}

template class CudnnAttention<__nv_bfloat16>;
template class CudnnAttention<__half>;
template float cudnn_attention_max_diff<__nv_bfloat16>(CudnnAttention<__nv_bfloat16>&, int, cudaStream_t);
template float cudnn_attention_max_diff<__half>(CudnnAttention<__half>&, int, cudaStream_t);

}  // namespace rb::cuda
