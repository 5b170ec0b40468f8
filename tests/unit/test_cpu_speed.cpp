// Long windows on the CPU backend. The enabled case checks a 4096-token window on a small model
// (finite, normalized scores); the disabled cases time a SmolLM2-135M-shaped random model and
// print tokens/s:
//   test_cpu_speed --run_test=smollm2_shape_2048 --log_level=message
#define BOOST_TEST_MODULE cpu_speed
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>

#include "model_core/backend.hpp"
#include "test_cpu_model.hpp"

using namespace rb;
namespace utf = boost::unit_test;

namespace {

// SmolLM2-135M: vocab 49152, hidden 576, intermediate 1536, 30 layers, 9 heads, 3 KV heads,
// head_dim 64, tied embeddings (its config.json). Weights are filled with a cheap pseudo-random
// pattern instead of normal draws: 135M values, and only the speed matters here.
Model smollm2_shape() {
  test::TinySpec spec;
  spec.vocab = 49152;
  spec.hidden = 576;
  spec.intermediate = 1536;
  spec.layers = 30;
  spec.heads = 9;
  spec.kv_heads = 3;
  spec.head_dim = 64;
  spec.tied = true;
  Model m;
  m.config.vocab_size = spec.vocab;
  m.config.hidden_size = spec.hidden;
  m.config.intermediate_size = spec.intermediate;
  m.config.num_layers = spec.layers;
  m.config.num_heads = spec.heads;
  m.config.num_kv_heads = spec.kv_heads;
  m.config.head_dim = spec.head_dim;
  m.config.tie_word_embeddings = true;
  m.config.rms_norm_eps = 1e-5;
  m.config.model_type = "llama";
  uint32_t state = 12345;
  auto fill = [&](std::vector<int64_t> shape, float scale, float offset) {
    HostTensor t;
    t.shape = std::move(shape);
    t.data.resize(static_cast<size_t>(t.numel()));
    for (float& x : t.data) {
      state = state * 1664525u + 1013904223u;  // LCG, uniform in [-1, 1)
      x = offset + scale * (static_cast<float>(state >> 8) / 8388608.0f - 1.0f);
    }
    return t;
  };
  const int64_t H = spec.hidden, I = spec.intermediate, Q = spec.heads * spec.head_dim, KV = spec.kv_heads * spec.head_dim;
  auto& w = m.weights.tensors;
  w["model.embed_tokens.weight"] = fill({spec.vocab, H}, 0.1f, 0.0f);
  w["model.norm.weight"] = fill({H}, 0.1f, 1.0f);
  for (int64_t i = 0; i < spec.layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    w[p + "input_layernorm.weight"] = fill({H}, 0.1f, 1.0f);
    w[p + "post_attention_layernorm.weight"] = fill({H}, 0.1f, 1.0f);
    w[p + "self_attn.q_proj.weight"] = fill({Q, H}, 0.07f, 0.0f);
    w[p + "self_attn.k_proj.weight"] = fill({KV, H}, 0.07f, 0.0f);
    w[p + "self_attn.v_proj.weight"] = fill({KV, H}, 0.07f, 0.0f);
    w[p + "self_attn.o_proj.weight"] = fill({H, Q}, 0.07f, 0.0f);
    w[p + "mlp.gate_proj.weight"] = fill({I, H}, 0.07f, 0.0f);
    w[p + "mlp.up_proj.weight"] = fill({I, H}, 0.07f, 0.0f);
    w[p + "mlp.down_proj.weight"] = fill({H, I}, 0.04f, 0.0f);
  }
  return m;
}

void time_window(const Model& m, int64_t L) {
  auto backend = make_cpu_backend(m, {});
  const auto tokens = test::random_tokens(L, m.config.vocab_size, 1);
  const auto schedule = test::plain_schedule(m.config, L, 100000.0);
  const auto start = std::chrono::steady_clock::now();
  const auto out = backend->score({std::span<const int32_t>(tokens)}, schedule);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST(std::isfinite(out.at(0).logprob.back()));
  BOOST_TEST_MESSAGE("L=" << L << ": " << s << " s, " << static_cast<double>(L) / s << " tokens/s");
}

}  // namespace

BOOST_AUTO_TEST_CASE(long_window_scores_are_normalized) {
  test::TinySpec spec;
  spec.vocab = 300;
  spec.hidden = 64;
  spec.intermediate = 128;
  const Model m = test::make_tiny_model(spec, 9);
  const int64_t L = 4096;
  const auto tokens = test::random_tokens(L, spec.vocab, 10);
  auto out = make_cpu_backend(m, {})->score({std::span<const int32_t>(tokens)}, test::plain_schedule(m.config, L));
  BOOST_REQUIRE_EQUAL(out.at(0).logprob.size(), static_cast<size_t>(L - 1));
  for (float lp : out[0].logprob) {
    BOOST_TEST(std::isfinite(lp));
    BOOST_TEST(lp <= 0.0f);
  }
}

BOOST_AUTO_TEST_CASE(smollm2_shape_2048, *utf::disabled()) { time_window(smollm2_shape(), 2048); }
BOOST_AUTO_TEST_CASE(smollm2_shape_4096, *utf::disabled()) { time_window(smollm2_shape(), 4096); }
