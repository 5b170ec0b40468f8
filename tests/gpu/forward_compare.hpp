#pragma once
// Whole-forward comparison helpers: a random in-memory model (fp32 host tensors holding
// bf16-representable values, so a bf16 device copy is exact), the default RoPE schedule, and a
// comparison of two backends' scores on the same windows. Used by test_cuda_backend.cpp; usable
// by any test that compares the CUDA backend with the CPU reference.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "model_core/backend.hpp"
#include "model_core/cuda/host_dtype.hpp"
#include "model_core/model.hpp"

namespace rbtest {

inline rb::ModelConfig tiny_config(int64_t hidden, int64_t heads, int64_t kv_heads, int64_t head_dim, int64_t ff,
                                   int64_t vocab, int64_t layers, bool qkv_bias) {
  rb::ModelConfig c;
  c.architecture = qkv_bias ? "Qwen2ForCausalLM" : "LlamaForCausalLM";
  c.model_type = qkv_bias ? "qwen2" : "llama";
  c.hidden_size = hidden;
  c.num_heads = heads;
  c.num_kv_heads = kv_heads;
  c.head_dim = head_dim;
  c.intermediate_size = ff;
  c.vocab_size = vocab;
  c.num_layers = layers;
  c.attention_bias = qkv_bias;
  c.rms_norm_eps = 1e-6;
  c.rope_theta = qkv_bias ? 1e6 : 1e4;
  c.source = "random " + c.model_type;
  return c;
}

// Matrices uniform(-bound, bound); norm weights around 1; biases uniform(-0.5, 0.5); all rounded
// to bf16 so the CUDA upload is exact.
inline rb::Model random_model(const rb::ModelConfig& c, uint32_t seed, float bound) {
  std::mt19937 rng(seed);
  rb::Model m;
  m.config = c;
  m.format = "random";
  m.weights.source = c.source;
  auto make = [&](const std::string& name, std::vector<int64_t> shape, float lo, float hi) {
    rb::HostTensor t;
    t.shape = std::move(shape);
    t.data.resize(static_cast<std::size_t>(t.numel()));
    std::uniform_real_distribution<float> d(lo, hi);
    for (float& x : t.data) x = rb::cuda::round_bf16(d(rng));
    t.source_dtype = rb::DType::BF16;
    m.weights.tensors[name] = std::move(t);
  };
  const int64_t H = c.num_heads, KV = c.num_kv_heads, D = c.head_dim, h = c.hidden_size, ff = c.intermediate_size;
  make("model.embed_tokens.weight", {c.vocab_size, h}, -1.0f, 1.0f);
  if (!c.tie_word_embeddings) make("lm_head.weight", {c.vocab_size, h}, -bound, bound);
  make("model.norm.weight", {h}, 0.8f, 1.2f);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    make(p + "input_layernorm.weight", {h}, 0.8f, 1.2f);
    make(p + "post_attention_layernorm.weight", {h}, 0.8f, 1.2f);
    make(p + "self_attn.q_proj.weight", {H * D, h}, -bound, bound);
    make(p + "self_attn.k_proj.weight", {KV * D, h}, -bound, bound);
    make(p + "self_attn.v_proj.weight", {KV * D, h}, -bound, bound);
    make(p + "self_attn.o_proj.weight", {h, H * D}, -bound, bound);
    if (c.attention_bias) {
      make(p + "self_attn.q_proj.bias", {H * D}, -0.5f, 0.5f);
      make(p + "self_attn.k_proj.bias", {KV * D}, -0.5f, 0.5f);
      make(p + "self_attn.v_proj.bias", {KV * D}, -0.5f, 0.5f);
    }
    make(p + "mlp.gate_proj.weight", {ff, h}, -bound, bound);
    make(p + "mlp.up_proj.weight", {ff, h}, -bound, bound);
    make(p + "mlp.down_proj.weight", {h, ff}, -bound, bound);
  }
  return m;
}

// transformers' default RoPE: inv_freq[i] = 1 / theta^(2i / rotary_dim), positions 0..L-1.
inline rb::rope::RopeSchedule default_schedule(const rb::ModelConfig& c, int64_t L) {
  rb::rope::RopeSchedule s;
  const int64_t rd = c.rotary_dim();
  for (int64_t i = 0; i < rd / 2; ++i)
    s.inv_freq.push_back(static_cast<float>(1.0 / std::pow(c.rope_theta, static_cast<double>(2 * i) / rd)));
  for (int64_t t = 0; t < L; ++t) s.positions.push_back(static_cast<float>(t));
  return s;
}

// default_schedule for each layer type with its own RoPE (Gemma-3: each type's rope_theta), else one.
inline rb::rope::RopeSchedules default_schedules(const rb::ModelConfig& c, int64_t L) {
  if (c.rope_by_layer_type.empty()) return default_schedule(c, L);
  std::vector<rb::rope::RopeSchedule> all;
  for (const rb::LayerTypeRope& r : c.rope_by_layer_type) {
    rb::ModelConfig one = c;
    one.rope_theta = r.rope_theta;
    all.push_back(default_schedule(one, L));
  }
  return rb::rope::RopeSchedules(std::move(all));
}

inline std::vector<std::vector<int32_t>> random_windows(int64_t count, int64_t L, int64_t vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<int32_t>> w(count, std::vector<int32_t>(L));
  for (auto& win : w)
    for (auto& t : win) t = static_cast<int32_t>(rng() % vocab);
  return w;
}

inline std::vector<std::span<const int32_t>> spans(const std::vector<std::vector<int32_t>>& w) {
  std::vector<std::span<const int32_t>> s;
  for (const auto& x : w) s.emplace_back(x.data(), x.size());
  return s;
}

struct ScoreDiff {
  double max_abs = 0, mean_abs = 0;  // |logprob_a - logprob_b|
  double argmax_agreement = 1;       // fraction of positions with the same is_argmax
  bool finite = true;                // every logprob of `a` finite and <= 0 (+1e-5)
};

inline ScoreDiff compare_scores(const std::vector<rb::WindowScores>& a, const std::vector<rb::WindowScores>& b) {
  ScoreDiff d;
  std::size_t n = 0, agree = 0;
  for (std::size_t w = 0; w < a.size() && w < b.size(); ++w)
    for (std::size_t t = 0; t < a[w].logprob.size() && t < b[w].logprob.size(); ++t) {
      const double x = a[w].logprob[t], y = b[w].logprob[t];
      if (!std::isfinite(x) || x > 1e-5) d.finite = false;
      const double e = std::abs(x - y);
      d.max_abs = std::max(d.max_abs, std::isfinite(e) ? e : INFINITY);
      d.mean_abs += e;
      agree += a[w].is_argmax[t] == b[w].is_argmax[t];
      ++n;
    }
  if (n) {
    d.mean_abs /= static_cast<double>(n);
    d.argmax_agreement = static_cast<double>(agree) / static_cast<double>(n);
  }
  return d;
}

}  // namespace rbtest
