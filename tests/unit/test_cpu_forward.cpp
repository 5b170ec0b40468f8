// The fast CPU backend against the plain reference forward (model_core/cpu/naive_forward.hpp) on
// random tiny models covering every branch of the decoder and of the RoPE schedule.
//
// Tolerance 1e-5 abs on log-probs: both compute the same fp32 ops and differ only in summation
// order (blocked fp32 sgemm vs double dot products) and in libm vs exact-ish exp; each such
// rounding is ~6e-8 relative, activations of these models are O(1), and after two layers and a
// 50-way log-softmax (log-probs down to about -7, ulp ~5e-7) the observed gap is at most ~4e-6
// (the exotic schedule sharpens attention and amplifies rounding the most). A wrong op (a missing
// scale, a swapped rotate-half pair, a mask off by one) moves log-probs by >1e-2; the
// "knobs_matter" case checks that the schedule's knobs are that visible.
#define BOOST_TEST_MODULE cpu_forward
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <sstream>

#include "common/error.hpp"
#include "model_core/backend.hpp"
#include "model_core/cpu/naive_forward.hpp"
#include "test_cpu_model.hpp"

using namespace rb;
using rb::test::TinySpec;

namespace {

constexpr double kTol = 1e-5;
constexpr float kTieGap = 1e-4f;  // is_argmax compared only where the top-2 logits differ by more

WindowScores fast_scores(const Model& m, const std::vector<int32_t>& tokens, const rope::RopeSchedule& s,
                         int threads = 0) {
  auto backend = make_cpu_backend(m, BackendOptions{.kind = "cpu", .threads = threads});
  BOOST_TEST(backend->name() == "cpu");
  auto out = backend->score({std::span<const int32_t>(tokens)}, s);
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  return out[0];
}

struct Comparison {
  double worst = 0.0;    // largest |fast - naive| log-prob difference
  int argmax_hits = 0;   // positions whose next token is the reference's argmax
};

// Checks sizes, log-probs and is_argmax of the fast backend against the naive forward.
Comparison compare(const Model& m, const std::vector<int32_t>& tokens, const rope::RopeSchedule& s,
               const std::string& label) {
  const WindowScores fast = fast_scores(m, tokens, s);
  const cpu::NaiveScores ref = cpu::naive_forward(m, tokens, s);
  const size_t n = tokens.size() - 1;
  BOOST_REQUIRE_EQUAL(fast.logprob.size(), n);
  BOOST_REQUIRE_EQUAL(fast.is_argmax.size(), n);
  BOOST_REQUIRE_EQUAL(ref.scores.logprob.size(), n);
  Comparison c;
  for (size_t t = 0; t < n; ++t) {
    const double d = std::abs(static_cast<double>(fast.logprob[t]) - ref.scores.logprob[t]);
    c.worst = std::max(c.worst, d);
    c.argmax_hits += ref.scores.is_argmax[t];
    BOOST_TEST_CONTEXT(label << " t=" << t) {
      BOOST_TEST(std::isfinite(fast.logprob[t]));
      BOOST_TEST(fast.logprob[t] <= 1e-6f);
      BOOST_TEST(d <= kTol);
      if (ref.top_gap[t] > kTieGap) BOOST_TEST(fast.is_argmax[t] == ref.scores.is_argmax[t]);
    }
  }
  return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(matches_naive_over_model_variants) {
  double worst = 0.0;
  std::string worst_label;
  int argmax_hits = 0;
  for (int64_t head_dim : {16, 24})
    for (bool bias : {false, true})
      for (bool tied : {false, true})
        for (double rotary : {1.0, 0.5}) {
          TinySpec spec;
          spec.head_dim = head_dim;
          spec.attention_bias = bias;
          spec.o_bias = bias;
          spec.mlp_bias = bias && tied;  // covered in some combinations, not all
          spec.tied = tied;
          spec.partial_rotary = rotary;
          const uint32_t seed = static_cast<uint32_t>(head_dim * 8 + bias * 4 + tied * 2 + (rotary < 1.0));
          const Model m = test::make_tiny_model(spec, seed);
          for (int64_t L : {1, 2, 37, 129}) {
            const auto tokens = test::random_tokens(L, spec.vocab, seed + static_cast<uint32_t>(L));
            std::ostringstream label;
            label << "head_dim=" << head_dim << " bias=" << bias << " tied=" << tied << " rotary=" << rotary
                  << " L=" << L;
            for (bool exotic : {false, true}) {
              const auto s = exotic ? test::exotic_schedule(m.config, L) : test::plain_schedule(m.config, L);
              const Comparison c = compare(m, tokens, s, label.str() + (exotic ? " exotic" : " plain"));
              if (c.worst > worst) worst_label = label.str() + (exotic ? " exotic" : " plain");
              worst = std::max(worst, c.worst);
              argmax_hits += c.argmax_hits;
            }
          }
        }
  BOOST_TEST_MESSAGE("largest |fast - naive| log-prob difference: " << worst << " (" << worst_label << ")");
  BOOST_TEST(argmax_hits > 0);  // random tokens sometimes hit the argmax: is_argmax is exercised both ways
}

BOOST_AUTO_TEST_CASE(qwen2_style_and_mha) {
  // Qwen2: q/k/v biases without an o_proj bias; and plain multi-head attention (kv_heads == heads).
  TinySpec qwen;
  qwen.model_type = "qwen2";
  qwen.attention_bias = true;
  qwen.tied = true;
  const Model mq = test::make_tiny_model(qwen, 7);
  TinySpec mha;
  mha.kv_heads = mha.heads;
  const Model mm = test::make_tiny_model(mha, 8);
  for (const Model* m : {&mq, &mm}) {
    const auto tokens = test::random_tokens(70, 50, 3);
    compare(*m, tokens, test::exotic_schedule(m->config, 70), m->config.model_type);
  }
}

BOOST_AUTO_TEST_CASE(qk_norm_and_sliding_windows) {
  // Qwen3's per-head q/k norms; sliding windows on the second layer, shorter than, equal to and
  // longer than the window, across the fast backend's 64-row attention blocks.
  for (int64_t window : {1, 5, 64, 70, 1000}) {
    TinySpec spec;
    spec.model_type = "qwen3";
    spec.sliding_window = window;
    spec.sliding_from_layer = 1;
    const Model m = test::make_tiny_model(spec, static_cast<uint32_t>(20 + window));
    for (int64_t L : {3, 70, 200}) {
      const auto tokens = test::random_tokens(L, spec.vocab, static_cast<uint32_t>(L));
      compare(m, tokens, test::exotic_schedule(m.config, L), "window=" + std::to_string(window) + " L=" + std::to_string(L));
    }
  }
  // The window changes the scores once the text is longer than it (the mask is not a no-op).
  TinySpec full, sliding;
  full.model_type = sliding.model_type = "qwen3";
  sliding.sliding_window = 8;
  const Model mf = test::make_tiny_model(full, 31), ms = test::make_tiny_model(sliding, 31);
  const auto tokens = test::random_tokens(40, full.vocab, 5);
  const auto s = test::plain_schedule(mf.config, 40);
  const WindowScores a = fast_scores(mf, tokens, s), b = fast_scores(ms, tokens, s);
  for (int t = 0; t < 8; ++t) BOOST_TEST(a.logprob[t] == b.logprob[t]);  // inside the window: the same
  double moved = 0.0;
  for (size_t t = 8; t < a.logprob.size(); ++t) moved = std::max(moved, std::abs(double(a.logprob[t]) - b.logprob[t]));
  BOOST_TEST(moved > 1e-2);
}

BOOST_AUTO_TEST_CASE(chunk_boundaries) {
  // Longer than one attention block (64), one LM-head chunk (256) and one MLP chunk (512).
  TinySpec spec;
  spec.layers = 1;
  spec.hidden = 16;
  spec.heads = 2;
  spec.kv_heads = 1;
  spec.head_dim = 8;
  const Model m = test::make_tiny_model(spec, 11);
  const int64_t L = 601;
  compare(m, test::random_tokens(L, spec.vocab, 12), test::exotic_schedule(m.config, L), "L=601");
}

BOOST_AUTO_TEST_CASE(knobs_matter) {
  // Each schedule knob changes the log-probs by far more than the tolerance, so the comparisons
  // above would catch a backend that ignored one.
  const Model m = test::make_tiny_model(TinySpec{}, 5);
  const int64_t L = 37;
  const auto tokens = test::random_tokens(L, 50, 6);
  const rope::RopeSchedule base = test::exotic_schedule(m.config, L);
  const WindowScores ref = fast_scores(m, tokens, base);
  auto max_change = [&](rope::RopeSchedule s) {
    const WindowScores o = fast_scores(m, tokens, s);
    double d = 0.0;
    for (size_t t = 0; t < o.logprob.size(); ++t) d = std::max(d, std::abs(double(o.logprob[t]) - ref.logprob[t]));
    return d;
  };
  rope::RopeSchedule s = base;
  s.query_scale.clear();
  BOOST_TEST(max_change(s) > 100 * kTol);
  s = base;
  s.q_band_scale.clear();
  BOOST_TEST(max_change(s) > 100 * kTol);
  s = base;
  s.k_band_scale.clear();
  BOOST_TEST(max_change(s) > 100 * kTol);
  s = base;
  s.attention_scaling = 1.0f;
  BOOST_TEST(max_change(s) > 100 * kTol);
  s = base;
  for (float& p : s.positions) p += 0.25f;  // RoPE is relative: a uniform shift changes little...
  BOOST_TEST(max_change(s) < 1e-3);
  s = base;
  s.positions[5] += 1.0f;  // ...a single moved position changes a lot
  BOOST_TEST(max_change(s) > 100 * kTol);
}

BOOST_AUTO_TEST_CASE(batch_and_threads_agree) {
  TinySpec spec;
  spec.attention_bias = true;
  const Model m = test::make_tiny_model(spec, 21);
  const int64_t L = 90;
  const auto s = test::exotic_schedule(m.config, L);
  const auto a = test::random_tokens(L, spec.vocab, 1), b = test::random_tokens(L, spec.vocab, 2);
  auto two = make_cpu_backend(m, BackendOptions{.threads = 2});
  auto one = make_cpu_backend(m, BackendOptions{.threads = 1});
  const auto batch = two->score({std::span<const int32_t>(a), std::span<const int32_t>(b)}, s);
  BOOST_REQUIRE_EQUAL(batch.size(), 2u);
  const auto single_a = one->score({std::span<const int32_t>(a)}, s)[0];
  const auto single_b = one->score({std::span<const int32_t>(b)}, s)[0];
  for (size_t t = 0; t + 1 < static_cast<size_t>(L); ++t) {
    // Same ops in the same order per element; only OpenBLAS's split of work may differ.
    BOOST_TEST(std::abs(batch[0].logprob[t] - single_a.logprob[t]) <= 1e-6f);
    BOOST_TEST(std::abs(batch[1].logprob[t] - single_b.logprob[t]) <= 1e-6f);
    BOOST_TEST(batch[0].is_argmax[t] == single_a.is_argmax[t]);
    BOOST_TEST(batch[1].is_argmax[t] == single_b.is_argmax[t]);
  }
  BOOST_TEST(two->score({}, s).empty());
}
