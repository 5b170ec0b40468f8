// The CPU backend against Hugging Face transformers (torch 2.11.0, transformers 5.17.0, eager
// attention, fp32) on the tiny checkpoints of tests/fixtures/cpu/ (written by
// tests/fixtures/make_cpu_fixture.py): per-position next-token log-probs and is_argmax.
//
// Tolerance 1e-4 abs: both sides are fp32 but sum in different orders (MKL/ATen kernels vs
// OpenBLAS, a float vs a double softmax sum) and use different exp/cos/sin; with weights ~N(0, 0.25^2)
// the observed gap is a few 1e-6, and a semantic difference (the o_proj bias, YaRN's attention_scaling,
// a tied head) moves log-probs by far more than 1e-4.
#define BOOST_TEST_MODULE cpu_torch
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "model_core/backend.hpp"
#include "model_core/config.hpp"
#include "model_core/cpu/naive_forward.hpp"
#include "model_core/loaders/safetensors.hpp"
#include "model_core/model_def/model_def.hpp"

using namespace rb;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  Model model;
  std::vector<int32_t> tokens;
  rope::RopeSchedules schedule{rope::RopeSchedule{}};  // one per layer type with its own RoPE (Gemma-3)
  std::vector<float> logprob;
  std::vector<int> is_argmax;
};

Fixture load_fixture(const std::string& name) {
  const fs::path dir = fs::path(RB_FIXTURES) / "cpu" / name;
  Fixture f;
  f.model.config = load_hf_config(dir / "config.json");
  f.model.weights = load_safetensors_weights(dir);
  split_fused_tensors(f.model.config, f.model.weights);  // as load_model does (Phi-3)
  f.model.path = dir;
  f.model.format = "hf-safetensors";
  std::ifstream in(dir / "expected.json");
  BOOST_REQUIRE(in.good());
  const nlohmann::json e = nlohmann::json::parse(in);
  f.tokens = e.at("tokens").get<std::vector<int32_t>>();
  std::vector<rope::RopeSchedule> schedules;
  for (const nlohmann::json& s : e.contains("schedules") ? e.at("schedules") : nlohmann::json::array({e})) {
    rope::RopeSchedule& one = schedules.emplace_back();
    one.inv_freq = s.at("inv_freq").get<std::vector<float>>();
    one.attention_scaling = s.at("attention_scaling").get<float>();
    for (size_t t = 0; t < f.tokens.size(); ++t) one.positions.push_back(static_cast<float>(t));
  }
  f.schedule = rope::RopeSchedules(std::move(schedules));
  f.logprob = e.at("logprob").get<std::vector<float>>();
  f.is_argmax = e.at("is_argmax").get<std::vector<int>>();
  BOOST_REQUIRE_EQUAL(f.logprob.size(), f.tokens.size() - 1);
  return f;
}

void check_against_torch(const std::string& name) {
  const Fixture f = load_fixture(name);
  auto backend = make_cpu_backend(f.model, {});
  const WindowScores got = backend->score({std::span<const int32_t>(f.tokens)}, f.schedule).at(0);
  const cpu::NaiveScores naive = cpu::naive_forward(f.model, f.tokens, f.schedule);
  BOOST_REQUIRE_EQUAL(got.logprob.size(), f.logprob.size());
  double worst = 0.0, worst_naive = 0.0;
  int hits = 0;
  for (size_t t = 0; t < f.logprob.size(); ++t) {
    const double d = std::abs(double(got.logprob[t]) - f.logprob[t]);
    worst = std::max(worst, d);
    worst_naive = std::max(worst_naive, std::abs(double(naive.scores.logprob[t]) - f.logprob[t]));
    hits += f.is_argmax[t];
    BOOST_TEST_CONTEXT(name << " t=" << t) {
      BOOST_TEST(d <= 1e-4);
      BOOST_TEST(int(got.is_argmax[t]) == f.is_argmax[t]);
    }
  }
  BOOST_TEST(worst_naive <= 1e-4);
  BOOST_TEST(hits > 0);  // the fixture's tokens follow the greedy choice at every other position
  BOOST_TEST(hits < static_cast<int>(f.logprob.size()));
  BOOST_TEST_MESSAGE(name << ": largest |cpu - torch| " << worst << ", |naive - torch| " << worst_naive);
}

}  // namespace

BOOST_AUTO_TEST_CASE(llama_biases_untied_plain_rope) {
  const Fixture f = load_fixture("llama");
  BOOST_TEST(f.model.config.attention_bias);
  BOOST_TEST(f.model.weights.find("model.layers.0.self_attn.o_proj.bias") != nullptr);
  check_against_torch("llama");
}

BOOST_AUTO_TEST_CASE(qwen2_tied_yarn) {
  const Fixture f = load_fixture("qwen2");
  BOOST_TEST(f.model.config.tie_word_embeddings);
  BOOST_TEST(f.schedule.by_type.front().attention_scaling > 1.0f);
  check_against_torch("qwen2");
}

BOOST_AUTO_TEST_CASE(llama_mlp_and_attention_biases) {
  const Fixture f = load_fixture("llama_mlp_bias");
  BOOST_TEST(f.model.config.mlp_bias);
  BOOST_TEST(f.model.config.attention_bias);
  for (const char* bias : {"mlp.gate_proj.bias", "mlp.up_proj.bias", "mlp.down_proj.bias", "self_attn.o_proj.bias"})
    BOOST_TEST(f.model.weights.find(std::string("model.layers.1.") + bias) != nullptr);
  check_against_torch("llama_mlp_bias");
}

// Qwen3: q_norm / k_norm before RoPE, and a sliding window (12) on layers 1-2 of 3 from
// use_sliding_window + max_window_layers, which config.json carries as transformers 5's layer_types.
BOOST_AUTO_TEST_CASE(qwen3_qk_norm_and_sliding_layers) {
  const Fixture f = load_fixture("qwen3");
  BOOST_TEST(f.model.config.qk_norm);
  BOOST_TEST(f.model.config.window_of(0) == 0);
  BOOST_TEST(f.model.config.window_of(1) == 12);
  BOOST_TEST(f.model.config.window_of(2) == 12);
  BOOST_TEST(f.model.weights.find("model.layers.2.self_attn.q_norm.weight") != nullptr);
  check_against_torch("qwen3");
}

// Mistral: a window of 10 on every layer of a 48-token window, linear RoPE.
BOOST_AUTO_TEST_CASE(mistral_sliding_window_every_layer) {
  const Fixture f = load_fixture("mistral_sw");
  BOOST_TEST(f.model.config.window_of(0) == 10);
  BOOST_TEST(f.model.config.window_of(1) == 10);
  check_against_torch("mistral_sw");
}

// Qwen2 with explicit layer_types [sliding, full] (window 16), YaRN, tied embeddings.
BOOST_AUTO_TEST_CASE(qwen2_layer_types_sliding_then_full) {
  const Fixture f = load_fixture("qwen2_sw");
  BOOST_TEST(f.model.config.window_of(0) == 16);
  BOOST_TEST(f.model.config.window_of(1) == 0);
  check_against_torch("qwen2_sw");
}

// Phi-3: fused qkv_proj / gate_up_proj split on load, partial_rotary_factor 0.75, its own longrope
// (the fixture's schedule: long_factor past original_max_position_embeddings 16), sliding window 20.
BOOST_AUTO_TEST_CASE(phi3_fused_partial_rotary_longrope) {
  const Fixture f = load_fixture("phi3");
  BOOST_TEST(f.model.config.partial_rotary_factor == 0.75);
  BOOST_TEST(f.model.config.window_of(1) == 20);
  BOOST_TEST(load_safetensors_weights(fs::path(RB_FIXTURES) / "cpu" / "phi3").find(
                 "model.layers.0.self_attn.qkv_proj.weight") != nullptr);  // as stored
  BOOST_TEST(f.model.weights.find("model.layers.0.self_attn.k_proj.weight") != nullptr);  // as split
  check_against_torch("phi3");
}

// Gemma-3: embeddings times sqrt(hidden), (1 + w) norms, the attention and MLP outputs normed
// before their residual adds, GeGLU (tanh), q/k norms, scores scaled by query_pre_attn_scalar^-0.5
// (24, not head_dim 16), layers [sliding, sliding, full] with a window of 10, and one RoPE per layer
// type (full: linear factor 2 at theta 1e4; sliding: plain at theta 100). Each of these changes the
// log-probs by far more than the tolerance.
BOOST_AUTO_TEST_CASE(gemma3_sandwich_norms_geglu_two_ropes) {
  const Fixture f = load_fixture("gemma3");
  const ModelConfig& c = f.model.config;
  BOOST_TEST(c.sandwich_norms);
  BOOST_TEST(c.norm_weight_offset == 1.0f);
  BOOST_TEST(c.embedding_scale == std::sqrt(32.0));
  BOOST_TEST(c.attention_scale() == 1.0 / std::sqrt(24.0));
  BOOST_TEST(c.window_of(1) == 10);
  BOOST_TEST(c.window_of(2) == 0);
  BOOST_REQUIRE_EQUAL(f.schedule.by_type.size(), 2u);
  BOOST_TEST(c.rope_index(0) == 1);  // sliding_attention, sorted after full_attention
  BOOST_TEST(c.rope_index(2) == 0);
  BOOST_TEST(f.schedule.by_type[0].inv_freq != f.schedule.by_type[1].inv_freq);
  check_against_torch("gemma3");
  // One schedule for a model with two RoPEs is refused, not applied to every layer.
  auto backend = make_cpu_backend(f.model, {});
  BOOST_CHECK_THROW(backend->score({std::span<const int32_t>(f.tokens)}, f.schedule.by_type[0]), Error);
}
