#include "model_core/cuda/device_weights.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.hpp"
#include "model_core/cuda/kernels.hpp"

namespace rb::cuda {
namespace {

enum class Kind { Matrix, Norm, Bias };

// One device tensor: its place in the allocation and, for uploads, the host tensors stacked in it.
struct Slot {
  std::string name;
  int64_t numel = 0;
  Kind kind = Kind::Matrix;
  std::size_t offset = 0;  // elements
  struct Part {
    const HostTensor* tensor;
    std::string name;
    int64_t numel;
  };
  std::vector<Part> parts;
};

struct Layout {
  std::vector<Slot> slots;
  std::size_t total = 0;  // elements
  bool tied = false;
};

// Every tensor the forward reads, in a fixed order; `w` (nullable) supplies host tensors.
Layout make_layout(const ModelConfig& c, const ModelWeights* w) {
  if (c.mlp_bias) throw Error("CUDA backend: mlp_bias models are not supported");
  const int64_t H = c.num_heads, KV = c.num_kv_heads, D = c.head_dim, hid = c.hidden_size, ff = c.intermediate_size;
  Layout L;
  L.tied = c.tie_word_embeddings;
  if (w) L.tied = &w->lm_head(c) == &w->embed_tokens();
  auto add = [&](std::string name, int64_t numel, Kind kind, std::vector<Slot::Part> parts) {
    Slot s{std::move(name), numel, kind, 0, std::move(parts)};
    s.offset = L.total;
    L.total += (static_cast<std::size_t>(numel) + 127) / 128 * 128;  // 256-byte aligned starts
    L.slots.push_back(std::move(s));
  };
  auto part = [&](const HostTensor* t, const std::string& name, int64_t numel) {
    return std::vector<Slot::Part>{{t, name, numel}};
  };
  add("model.embed_tokens.weight", c.vocab_size * hid, Kind::Matrix,
      part(w ? &w->embed_tokens() : nullptr, "model.embed_tokens.weight", c.vocab_size * hid));
  if (!L.tied)
    add("lm_head.weight", c.vocab_size * hid, Kind::Matrix,
        part(w ? &w->lm_head(c) : nullptr, "lm_head.weight", c.vocab_size * hid));
  add("model.norm.weight", hid, Kind::Norm, part(w ? &w->final_norm() : nullptr, "model.norm.weight", hid));
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    LayerWeights lw{};
    if (w) lw = w->layer(c, i);
    add(p + "input_layernorm.weight", hid, Kind::Norm, part(lw.input_norm, p + "input_layernorm.weight", hid));
    add(p + "self_attn.qkv", (H + 2 * KV) * D * hid, Kind::Matrix,
        {{lw.q_proj, p + "self_attn.q_proj.weight", H * D * hid},
         {lw.k_proj, p + "self_attn.k_proj.weight", KV * D * hid},
         {lw.v_proj, p + "self_attn.v_proj.weight", KV * D * hid}});
    if (c.attention_bias)
      add(p + "self_attn.qkv_bias", (H + 2 * KV) * D, Kind::Bias,
          {{lw.q_bias, p + "self_attn.q_proj.bias", H * D},
           {lw.k_bias, p + "self_attn.k_proj.bias", KV * D},
           {lw.v_bias, p + "self_attn.v_proj.bias", KV * D}});
    add(p + "self_attn.o_proj.weight", hid * H * D, Kind::Matrix, part(lw.o_proj, p + "self_attn.o_proj.weight", hid * H * D));
    add(p + "post_attention_layernorm.weight", hid, Kind::Norm,
        part(lw.post_norm, p + "post_attention_layernorm.weight", hid));
    add(p + "mlp.gate_up", 2 * ff * hid, Kind::Matrix,
        {{lw.gate_proj, p + "mlp.gate_proj.weight", ff * hid}, {lw.up_proj, p + "mlp.up_proj.weight", ff * hid}});
    add(p + "mlp.down_proj.weight", hid * ff, Kind::Matrix, part(lw.down_proj, p + "mlp.down_proj.weight", hid * ff));
  }
  return L;
}

template <typename T>
DeviceWeights<T> bind(const ModelConfig& c, const Layout& L, DeviceBuffer<T> storage) {
  DeviceWeights<T> dw;
  dw.storage = std::move(storage);
  const T* base = dw.storage.get();
  std::size_t k = 0;
  auto next = [&]() { return base + L.slots.at(k++).offset; };
  dw.embed = next();
  dw.lm_head = L.tied ? dw.embed : next();
  dw.final_norm = next();
  for (int64_t i = 0; i < c.num_layers; ++i) {
    DeviceLayer<T> d;
    d.input_norm = next();
    d.qkv = next();
    if (c.attention_bias) d.qkv_bias = next();
    d.o = next();
    d.post_norm = next();
    d.gate_up = next();
    d.down = next();
    dw.layers.push_back(d);
  }
  return dw;
}

}  // namespace

std::size_t device_weight_bytes(const ModelConfig& c, std::size_t elem_size) {
  return make_layout(c, nullptr).total * elem_size;
}

template <typename T>
DeviceWeights<T> upload_weights(const ModelConfig& c, const ModelWeights& w, cudaStream_t stream) {
  const Layout L = make_layout(c, &w);
  DeviceBuffer<T> storage(L.total);
  const int64_t staging_elems = int64_t{1} << 24;  // 64 MiB of fp32 staging
  DeviceBuffer<float> staging(staging_elems);
  for (const Slot& s : L.slots) {
    T* dst = storage.get() + s.offset;
    for (const Slot::Part& p : s.parts) {
      if (!p.tensor) throw InputError(w.source, p.name, "missing (required by the CUDA backend)");
      if (p.tensor->numel() != p.numel || static_cast<int64_t>(p.tensor->data.size()) != p.numel)
        throw InputError(w.source, p.name,
                         "expected " + std::to_string(p.numel) + " elements, found " + std::to_string(p.tensor->numel()));
      for (int64_t i = 0; i < p.numel; i += staging_elems) {
        const int64_t n = std::min(staging_elems, p.numel - i);
        CUDA_CHECK(cudaMemcpyAsync(staging.get(), p.tensor->data.data() + i, n * sizeof(float), cudaMemcpyHostToDevice,
                                   stream));
        convert_from_f32<T>(staging.get(), dst + i, n, stream);
        CUDA_CHECK(cudaStreamSynchronize(stream));  // staging is reused by the next chunk
      }
      dst += p.numel;
    }
  }
  return bind<T>(c, L, std::move(storage));
}

template <typename T>
DeviceWeights<T> random_weights(const ModelConfig& c, uint64_t seed, cudaStream_t stream) {
  const Layout L = make_layout(c, nullptr);
  DeviceBuffer<T> storage(L.total);
  const float bound = 0.02f * std::sqrt(3.0f);  // uniform(-b, b) has std 0.02
  for (std::size_t k = 0; k < L.slots.size(); ++k) {
    const Slot& s = L.slots[k];
    T* dst = storage.get() + s.offset;
    if (s.kind == Kind::Norm)
      fill_value<T>(dst, s.numel, 1.0f, stream);
    else
      fill_uniform<T>(dst, s.numel, seed * 1000003ull + k, bound, stream);
  }
  CUDA_CHECK(cudaStreamSynchronize(stream));
  return bind<T>(c, L, std::move(storage));
}

template DeviceWeights<__nv_bfloat16> upload_weights<__nv_bfloat16>(const ModelConfig&, const ModelWeights&, cudaStream_t);
template DeviceWeights<__half> upload_weights<__half>(const ModelConfig&, const ModelWeights&, cudaStream_t);
template DeviceWeights<__nv_bfloat16> random_weights<__nv_bfloat16>(const ModelConfig&, uint64_t, cudaStream_t);
template DeviceWeights<__half> random_weights<__half>(const ModelConfig&, uint64_t, cudaStream_t);

}  // namespace rb::cuda
