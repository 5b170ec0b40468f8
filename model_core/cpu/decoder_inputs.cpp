#include "model_core/cpu/decoder_inputs.hpp"

#include <string>

#include "common/error.hpp"

namespace rb::cpu {
namespace {

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Only the seven projections of a layer may be held 4-bit; embeddings, norms, biases and the LM
// head are read as fp32 values.
void expect_shape(const HostTensor* t, const std::vector<int64_t>& shape, const std::string& name,
                  const std::string& source, bool may_be_packed = false) {
  if (t == nullptr) throw InputError(source, name, "tensor is missing");
  if (t->is_packed() && !may_be_packed)
    throw InputError(source, name, "is 4-bit; only the attention and MLP projections may be quantized");
  if (t->shape != shape)
    throw InputError(source, name, "expected shape " + shape_str(shape) + ", found " + shape_str(t->shape));
  if (t->stored_values() != t->numel())
    throw InputError(source, name, "holds " + std::to_string(t->stored_values()) + " values for shape " + shape_str(shape));
}

}  // namespace

DecoderWeights resolve_decoder_weights(const Model& model) {
  const ModelConfig& c = model.config;
  const ModelWeights& mw = model.weights;
  const std::string& src = mw.source.empty() ? model.path.string() : mw.source;
  if (c.num_heads <= 0 || c.num_kv_heads <= 0 || c.num_heads % c.num_kv_heads != 0)
    throw InputError(src, "num_key_value_heads", "must divide num_attention_heads");
  if (c.head_dim <= 0 || c.hidden_size <= 0 || c.vocab_size <= 0 || c.intermediate_size <= 0 || c.num_layers <= 0)
    throw InputError(src, "config", "hidden_size, head_dim, vocab_size, intermediate_size and num_layers must be > 0");

  const int64_t H = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  const int64_t Q = c.num_heads * c.head_dim, KV = c.num_kv_heads * c.head_dim;
  DecoderWeights d;
  d.embed = &mw.embed_tokens();
  d.final_norm = &mw.final_norm();
  d.lm_head = &mw.lm_head(c);
  expect_shape(d.embed, {V, H}, "model.embed_tokens.weight", src);
  expect_shape(d.final_norm, {H}, "model.norm.weight", src);
  expect_shape(d.lm_head, {V, H}, "lm_head.weight", src);

  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    DecoderLayer L;
    L.w = mw.layer(c, i);
    expect_shape(L.w.input_norm, {H}, p + "input_layernorm.weight", src);
    expect_shape(L.w.post_norm, {H}, p + "post_attention_layernorm.weight", src);
    expect_shape(L.w.q_proj, {Q, H}, p + "self_attn.q_proj.weight", src, true);
    expect_shape(L.w.k_proj, {KV, H}, p + "self_attn.k_proj.weight", src, true);
    expect_shape(L.w.v_proj, {KV, H}, p + "self_attn.v_proj.weight", src, true);
    expect_shape(L.w.o_proj, {H, Q}, p + "self_attn.o_proj.weight", src, true);
    expect_shape(L.w.gate_proj, {I, H}, p + "mlp.gate_proj.weight", src, true);
    expect_shape(L.w.up_proj, {I, H}, p + "mlp.up_proj.weight", src, true);
    expect_shape(L.w.down_proj, {H, I}, p + "mlp.down_proj.weight", src, true);
    if (c.attention_bias) {
      expect_shape(L.w.q_bias, {Q}, p + "self_attn.q_proj.bias", src);
      expect_shape(L.w.k_bias, {KV}, p + "self_attn.k_proj.bias", src);
      expect_shape(L.w.v_bias, {KV}, p + "self_attn.v_proj.bias", src);
      // Present for Llama/Mistral with attention_bias, absent for Qwen2: used when present.
      L.o_bias = mw.find(p + "self_attn.o_proj.bias");
      if (L.o_bias) expect_shape(L.o_bias, {H}, p + "self_attn.o_proj.bias", src);
    } else {
      L.w.q_bias = L.w.k_bias = L.w.v_bias = nullptr;
    }
    if (c.mlp_bias) {
      L.gate_bias = mw.find(p + "mlp.gate_proj.bias");
      L.up_bias = mw.find(p + "mlp.up_proj.bias");
      L.down_bias = mw.find(p + "mlp.down_proj.bias");
      expect_shape(L.gate_bias, {I}, p + "mlp.gate_proj.bias", src);
      expect_shape(L.up_bias, {I}, p + "mlp.up_proj.bias", src);
      expect_shape(L.down_bias, {H}, p + "mlp.down_proj.bias", src);
    }
    d.layers.push_back(L);
  }
  return d;
}

void check_schedule(const ModelConfig& c, const rope::RopeSchedule& s) {
  const size_t pairs = s.inv_freq.size();
  const size_t L = s.positions.size();
  if (L == 0) throw Error("RoPE schedule: no positions (window length 0)");
  if (pairs == 0 || 2 * pairs > static_cast<size_t>(c.head_dim))
    throw Error("RoPE schedule: inv_freq has " + std::to_string(pairs) + " entries; rotary_dim = 2 * " +
                std::to_string(pairs) + " must be between 2 and head_dim " + std::to_string(c.head_dim));
  if (!s.query_scale.empty() && s.query_scale.size() != L)
    throw Error("RoPE schedule: query_scale has " + std::to_string(s.query_scale.size()) +
                " entries for a window of " + std::to_string(L) + " positions");
  if (!s.q_band_scale.empty() && s.q_band_scale.size() != pairs)
    throw Error("RoPE schedule: q_band_scale has " + std::to_string(s.q_band_scale.size()) +
                " entries, inv_freq has " + std::to_string(pairs));
  if (!s.k_band_scale.empty() && s.k_band_scale.size() != pairs)
    throw Error("RoPE schedule: k_band_scale has " + std::to_string(s.k_band_scale.size()) +
                " entries, inv_freq has " + std::to_string(pairs));
}

void check_window(const ModelConfig& c, std::span<const int32_t> tokens, size_t window_index,
                  const rope::RopeSchedule& s) {
  const std::string where = "window " + std::to_string(window_index);
  if (tokens.size() != s.positions.size())
    throw Error(where + ": " + std::to_string(tokens.size()) + " tokens, but the RoPE schedule has " +
                std::to_string(s.positions.size()) + " positions");
  for (size_t t = 0; t < tokens.size(); ++t) {
    if (tokens[t] < 0 || tokens[t] >= c.vocab_size)
      throw InputError(where, "position " + std::to_string(t),
                       "token id " + std::to_string(tokens[t]) + " is outside the vocabulary [0, " +
                           std::to_string(c.vocab_size) + ")");
  }
}

}  // namespace rb::cpu
