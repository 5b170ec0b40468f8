// Lookup of weights under Hugging Face's canonical names, and the shape check against the config
// (shapes as transformers' LlamaModel / Qwen2Model create them: a Linear is [out, in]).
#include "model_core/weights.hpp"

#include <stdexcept>
#include <utility>

#include "common/error.hpp"

namespace rb {
namespace {

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string layer_prefix(int64_t i) { return "model.layers." + std::to_string(i) + "."; }

// Every tensor the config implies, with its shape, in a stable order.
std::vector<std::pair<std::string, std::vector<int64_t>>> expected_tensors(const ModelConfig& c) {
  const int64_t h = c.hidden_size, q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim;
  const int64_t inter = c.intermediate_size;
  std::vector<std::pair<std::string, std::vector<int64_t>>> out{
      {"model.embed_tokens.weight", {c.vocab_size, h}},
      {"model.norm.weight", {h}},
  };
  if (!c.tie_word_embeddings) out.push_back({"lm_head.weight", {c.vocab_size, h}});
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = layer_prefix(i);
    out.push_back({p + "input_layernorm.weight", {h}});
    out.push_back({p + "self_attn.q_proj.weight", {q, h}});
    out.push_back({p + "self_attn.k_proj.weight", {kv, h}});
    out.push_back({p + "self_attn.v_proj.weight", {kv, h}});
    out.push_back({p + "self_attn.o_proj.weight", {h, q}});
    if (c.attention_bias) {
      out.push_back({p + "self_attn.q_proj.bias", {q}});
      out.push_back({p + "self_attn.k_proj.bias", {kv}});
      out.push_back({p + "self_attn.v_proj.bias", {kv}});
    }
    out.push_back({p + "post_attention_layernorm.weight", {h}});
    out.push_back({p + "mlp.gate_proj.weight", {inter, h}});
    out.push_back({p + "mlp.up_proj.weight", {inter, h}});
    out.push_back({p + "mlp.down_proj.weight", {h, inter}});
  }
  return out;
}

}  // namespace

const HostTensor* ModelWeights::find(const std::string& name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

const HostTensor& ModelWeights::get(const std::string& name) const {
  if (const HostTensor* t = find(name)) return *t;
  throw InputError(source, name, "tensor not found");
}

const HostTensor& ModelWeights::lm_head(const ModelConfig& c) const {
  // tie_word_embeddings: transformers shares the embedding matrix and ignores any lm_head.weight.
  return c.tie_word_embeddings ? embed_tokens() : get("lm_head.weight");
}

LayerWeights ModelWeights::layer(const ModelConfig& c, int64_t i) const {
  if (i < 0 || i >= c.num_layers)
    throw std::out_of_range("layer " + std::to_string(i) + " of a model with " + std::to_string(c.num_layers));
  const std::string p = layer_prefix(i);
  LayerWeights w{};
  w.input_norm = &get(p + "input_layernorm.weight");
  w.q_proj = &get(p + "self_attn.q_proj.weight");
  w.k_proj = &get(p + "self_attn.k_proj.weight");
  w.v_proj = &get(p + "self_attn.v_proj.weight");
  w.o_proj = &get(p + "self_attn.o_proj.weight");
  if (c.attention_bias) {
    w.q_bias = &get(p + "self_attn.q_proj.bias");
    w.k_bias = &get(p + "self_attn.k_proj.bias");
    w.v_bias = &get(p + "self_attn.v_proj.bias");
  }
  w.post_norm = &get(p + "post_attention_layernorm.weight");
  w.gate_proj = &get(p + "mlp.gate_proj.weight");
  w.up_proj = &get(p + "mlp.up_proj.weight");
  w.down_proj = &get(p + "mlp.down_proj.weight");
  return w;
}

void ModelWeights::validate_against(const ModelConfig& c) const {
  for (const auto& [name, shape] : expected_tensors(c)) {
    const HostTensor* t = find(name);
    if (!t) throw InputError(source, name, "tensor is missing; expected shape " + shape_str(shape));
    if (t->shape != shape)
      throw InputError(source, name, "expected shape " + shape_str(shape) + " but found " + shape_str(t->shape));
    if (t->stored_values() != t->numel())
      throw InputError(source, name,
                       "holds " + std::to_string(t->stored_values()) + " values for shape " + shape_str(t->shape));
  }
}

}  // namespace rb
