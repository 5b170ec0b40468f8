#pragma once
// Random tiny decoders built in memory for the CPU backend suites, and RoPE schedules for them.
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model_core/model.hpp"
#include "rope_methods/rope_method.hpp"

namespace rb::test {

struct TinySpec {
  int64_t vocab = 50, hidden = 32, intermediate = 40, layers = 2;
  int64_t heads = 4, kv_heads = 2, head_dim = 16;
  double partial_rotary = 1.0;
  bool attention_bias = false;  // q/k/v biases
  bool o_bias = false;          // Llama with attention_bias also has an o_proj bias
  bool mlp_bias = false;
  bool tied = false;
  std::string model_type = "llama";  // "qwen3": q_norm / k_norm weights too
  int64_t sliding_window = 0;         // > 0: layers >= sliding_from_layer attend through it
  int64_t sliding_from_layer = 0;
};

inline HostTensor random_tensor(std::vector<int64_t> shape, std::mt19937& rng, float mean, float stddev) {
  HostTensor t;
  t.shape = std::move(shape);
  t.data.resize(static_cast<size_t>(t.numel()));
  std::normal_distribution<float> dist(mean, stddev);
  for (float& x : t.data) x = dist(rng);
  return t;
}

// Weights ~ N(0, 0.15^2) and norm scales ~ N(1, 0.1^2): large enough that the logits are far from
// uniform (log-probs down to about -7 with a 50-token vocabulary) and every op changes the
// log-probs, small enough that attention stays soft and fp32 rounding is not amplified.
inline Model make_tiny_model(const TinySpec& s, uint32_t seed) {
  Model m;
  ModelConfig& c = m.config;
  c.architecture = s.model_type == "qwen2" ? "Qwen2ForCausalLM" : s.model_type == "qwen3" ? "Qwen3ForCausalLM" : "LlamaForCausalLM";
  c.qk_norm = s.model_type == "qwen3";
  c.sliding_window = s.sliding_window;
  c.sliding_from_layer = s.sliding_from_layer;
  c.model_type = s.model_type;
  c.vocab_size = s.vocab;
  c.hidden_size = s.hidden;
  c.intermediate_size = s.intermediate;
  c.num_layers = s.layers;
  c.num_heads = s.heads;
  c.num_kv_heads = s.kv_heads;
  c.head_dim = s.head_dim;
  c.partial_rotary_factor = s.partial_rotary;
  c.tie_word_embeddings = s.tied;
  c.attention_bias = s.attention_bias;
  c.mlp_bias = s.mlp_bias;
  c.rms_norm_eps = 1e-6;
  m.weights.source = "tiny-random";
  m.format = "hf-safetensors";

  std::mt19937 rng(seed);
  auto& w = m.weights.tensors;
  const int64_t H = s.hidden, I = s.intermediate, Q = s.heads * s.head_dim, KV = s.kv_heads * s.head_dim;
  auto weight = [&](std::vector<int64_t> shape) { return random_tensor(std::move(shape), rng, 0.0f, 0.15f); };
  auto norm = [&] { return random_tensor({H}, rng, 1.0f, 0.1f); };
  w["model.embed_tokens.weight"] = weight({s.vocab, H});
  w["model.norm.weight"] = norm();
  if (!s.tied) w["lm_head.weight"] = weight({s.vocab, H});
  for (int64_t i = 0; i < s.layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    w[p + "input_layernorm.weight"] = norm();
    w[p + "post_attention_layernorm.weight"] = norm();
    w[p + "self_attn.q_proj.weight"] = weight({Q, H});
    w[p + "self_attn.k_proj.weight"] = weight({KV, H});
    w[p + "self_attn.v_proj.weight"] = weight({KV, H});
    w[p + "self_attn.o_proj.weight"] = weight({H, Q});
    w[p + "mlp.gate_proj.weight"] = weight({I, H});
    w[p + "mlp.up_proj.weight"] = weight({I, H});
    w[p + "mlp.down_proj.weight"] = weight({H, I});
    if (s.attention_bias) {
      w[p + "self_attn.q_proj.bias"] = weight({Q});
      w[p + "self_attn.k_proj.bias"] = weight({KV});
      w[p + "self_attn.v_proj.bias"] = weight({KV});
      if (s.o_bias) w[p + "self_attn.o_proj.bias"] = weight({H});
    }
    if (s.model_type == "qwen3") {
      w[p + "self_attn.q_norm.weight"] = random_tensor({s.head_dim}, rng, 1.0f, 0.1f);
      w[p + "self_attn.k_norm.weight"] = random_tensor({s.head_dim}, rng, 1.0f, 0.1f);
    }
    if (s.mlp_bias) {
      w[p + "mlp.gate_proj.bias"] = weight({I});
      w[p + "mlp.up_proj.bias"] = weight({I});
      w[p + "mlp.down_proj.bias"] = weight({H});
    }
  }
  return m;
}

// Plain RoPE for positions 0..L-1: inv_freq[i] = 1 / theta^(2i / rotary_dim) (computed in double,
// stored in fp32; the exact values do not matter for backend-vs-reference comparisons).
inline rope::RopeSchedule plain_schedule(const ModelConfig& c, int64_t L, double theta = 10000.0) {
  rope::RopeSchedule s;
  const int64_t rd = c.rotary_dim();
  for (int64_t i = 0; i < rd / 2; ++i)
    s.inv_freq.push_back(static_cast<float>(1.0 / std::pow(theta, static_cast<double>(2 * i) / static_cast<double>(rd))));
  for (int64_t t = 0; t < L; ++t) s.positions.push_back(static_cast<float>(t));
  return s;
}

// Every knob of the schedule away from its neutral value: non-integer positions (a position map),
// attention_scaling != 1, a LogN-style query scale and per-band q/k scales.
inline rope::RopeSchedule exotic_schedule(const ModelConfig& c, int64_t L) {
  rope::RopeSchedule s = plain_schedule(c, L, 500.0);
  s.attention_scaling = 1.17f;
  for (int64_t t = 0; t < L; ++t) {
    s.positions[t] = 0.37f * static_cast<float>(t) + 0.5f;
    s.query_scale.push_back(1.0f + 0.3f * std::log1p(static_cast<float>(t)) / 4.0f);
  }
  for (size_t i = 0; i < s.inv_freq.size(); ++i) {
    s.q_band_scale.push_back(0.7f + 0.1f * static_cast<float>(i));
    s.k_band_scale.push_back(1.3f - 0.05f * static_cast<float>(i));
  }
  return s;
}

inline std::vector<int32_t> random_tokens(int64_t L, int64_t vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> dist(0, static_cast<int32_t>(vocab - 1));
  std::vector<int32_t> t(static_cast<size_t>(L));
  for (auto& x : t) x = dist(rng);
  return t;
}

}  // namespace rb::test
