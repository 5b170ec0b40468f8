// The whole CUDA forward: consistency (batched vs one window at a time, tensor-core vs simple
// attention), agreement with the fp32 CPU reference backend on small random models, and the
// error paths (weights too large, bad windows).
#define BOOST_TEST_MODULE cuda_backend
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/error.hpp"
#include "model_core/cuda/attention_cudnn.hpp"
#include "model_core/cuda/cuda_backend.hpp"
#include "tests/gpu/attention_problem.hpp"
#include "tests/gpu/forward_compare.hpp"
#include "tests/gpu/require_device.hpp"

using namespace rbtest;

namespace {

void log_diff(const std::string& what, const ScoreDiff& d) {
  BOOST_TEST_MESSAGE(what << ": max |dlogprob| " << d.max_abs << ", mean " << d.mean_abs << ", argmax agreement "
                          << d.argmax_agreement);
}

}  // namespace

BOOST_GLOBAL_FIXTURE(RequireDevice);

BOOST_AUTO_TEST_CASE(batched_equals_one_by_one_random_device_weights) {
  for (int64_t D : {16, 64}) {
    const rb::ModelConfig c = tiny_config(256, 4, 2, D, 512, 1000, 2, D == 64);
    auto backend = rb::make_cuda_backend_random(c, 7, rb::BackendOptions{"cuda", 0, -1});
    BOOST_TEST_MESSAGE("backend: " << backend->describe());
    const int64_t L = 37;
    const auto windows = random_windows(3, L, c.vocab_size, 11);
    const auto schedule = default_schedule(c, L);
    const auto batched = backend->score(spans(windows), schedule);
    BOOST_REQUIRE_EQUAL(batched.size(), 3u);
    for (std::size_t w = 0; w < windows.size(); ++w) {
      BOOST_REQUIRE_EQUAL(batched[w].logprob.size(), static_cast<std::size_t>(L - 1));
      const auto alone = backend->score(spans({windows[w]}), schedule);
      const ScoreDiff d = compare_scores({batched[w]}, alone);
      log_diff("head_dim " + std::to_string(D) + " window " + std::to_string(w) + " batched vs alone", d);
      BOOST_CHECK(d.finite);
      // Only GEMM blocking can differ with the batch shape: bf16-level noise.
      BOOST_CHECK_LE(d.max_abs, 2e-2);
    }
    BOOST_CHECK_GE(backend->preferred_batch(2048), 1);
    const rb::CudaMemoryStats m = backend->memory_stats();
    BOOST_CHECK_GT(m.weights_gib, 0.0);
    BOOST_CHECK_GT(m.activations_gib, 0.0);
  }
}

// BackendOptions::expected: the attention plans of the calls a run announces are built while the
// weights load, so those calls prepare no new shape; their scores are bit for bit those of a
// backend told nothing; a call not announced is planned when it comes. cuDNN asked for: under
// auto, FlashAttention-3 (which needs no plan) takes these layers where it runs.
BOOST_AUTO_TEST_CASE(expected_calls_are_planned_while_the_weights_load) {
  std::optional<ScopedEnv> cudnn_only;
  if (rb::cuda::cudnn_attention_unavailable().empty()) cudnn_only.emplace("RB_CUDA_ATTN", "cudnn");
  const rb::ModelConfig c = tiny_config(256, 4, 2, 64, 512, 1000, 2, true);
  const int64_t L = 64;
  const auto windows = random_windows(5, L, c.vocab_size, 5);
  const auto schedule = default_schedule(c, L);
  auto plain = rb::make_cuda_backend_random(c, 9, rb::BackendOptions{"cuda", 0, -1});
  rb::BackendOptions told_opts{"cuda", 0, -1};
  told_opts.expected = {{L, 5}, {96, 0}};  // 5 windows of 64; at least a full batch of 96
  auto told = rb::make_cuda_backend_random(c, 9, told_opts);
  const std::size_t plain_at_start = plain->attention_shapes_prepared();
  const std::size_t told_at_start = told->attention_shapes_prepared();
  BOOST_TEST_MESSAGE("backend: " << told->describe() << "; shapes prepared at start " << plain_at_start << " / "
                                 << told_at_start);
  const bool cudnn = plain_at_start > 0;  // its start-up check prepares one shape
  if (cudnn) BOOST_TEST(told_at_start == plain_at_start + 2);  // (5 x 64) and (preferred_batch(96) x 96)

  const auto from_plain = plain->score(spans(windows), schedule);
  const auto from_told = told->score(spans(windows), schedule);
  if (cudnn) {
    BOOST_TEST(plain->attention_shapes_prepared() == plain_at_start + 1);
    BOOST_TEST(told->attention_shapes_prepared() == told_at_start);  // planned ahead
  }
  for (std::size_t w = 0; w < windows.size(); ++w) {
    BOOST_TEST(from_told[w].logprob == from_plain[w].logprob, boost::test_tools::per_element());
    BOOST_TEST(from_told[w].is_argmax == from_plain[w].is_argmax, boost::test_tools::per_element());
  }
  const auto three = told->score(spans({windows[0], windows[1], windows[2]}), schedule);  // not announced
  if (cudnn) BOOST_TEST(told->attention_shapes_prepared() == told_at_start + 1);
  BOOST_TEST(three[2].logprob.size() == static_cast<std::size_t>(L - 1));
}

BOOST_AUTO_TEST_CASE(tensor_core_and_simple_attention_agree_in_the_forward) {
  const rb::ModelConfig c = tiny_config(256, 4, 1, 64, 512, 1000, 2, false);
  const int64_t L = 300;
  const auto windows = random_windows(2, L, c.vocab_size, 12);
  const auto schedule = default_schedule(c, L);
  std::vector<rb::WindowScores> tc, simple;
  {
    ScopedEnv e("RB_CUDA_ATTN", "tc");
    tc = rb::make_cuda_backend_random(c, 3, rb::BackendOptions{"cuda", 0, -1})->score(spans(windows), schedule);
  }
  {
    ScopedEnv e("RB_CUDA_ATTN", "simple");
    simple = rb::make_cuda_backend_random(c, 3, rb::BackendOptions{"cuda", 0, -1})->score(spans(windows), schedule);
  }
  const ScoreDiff d = compare_scores(tc, simple);
  log_diff("tc vs simple attention", d);
  BOOST_CHECK(d.finite);
  BOOST_CHECK_LE(d.max_abs, 5e-2);
}

// Against the fp32 CPU reference. The CUDA side runs in bf16 (weights are bf16-representable), so
// it differs by bf16 activation rounding (2^-9 relative per rounding). On these random models
// (weights std 0.3, logits of tens) that moves log-probs by ~0.05 on average, so a fixed absolute
// bound says little. The criterion that matters for a RoPE study: the bf16 error must be small next
// to the effect of the smallest RoPE change a study compares. We take positions x 0.9 (linear
// interpolation by 1.11) as that change and require the mean |GPU - CPU| to stay below a quarter
// of the mean effect of that change, for the plain schedule and for one using every field
// (interpolated positions, attention scaling, per-position query scale, band scales); greedy
// choices must agree at >= 90% of positions. A wrong RoPE pair, scale, mask, bias or norm makes the
// GPU-CPU difference as large as the effect itself and fails.
BOOST_AUTO_TEST_CASE(agrees_with_cpu_backend_on_random_models) {
  struct Case { const char* name; rb::ModelConfig c; };
  const Case cases[] = {
      {"llama gqa head_dim 16", tiny_config(64, 4, 2, 16, 128, 1000, 2, false)},
      {"qwen2 bias head_dim 64", tiny_config(256, 4, 2, 64, 384, 1000, 2, true)},
      {"llama head_dim 128", tiny_config(256, 2, 1, 128, 256, 777, 2, false)},
  };
  for (const Case& k : cases) {
    const rb::Model model = random_model(k.c, 5, 0.3f);
    auto cpu = rb::make_cpu_backend(model, rb::BackendOptions{"cpu", 0, -1});
    for (const char* residual : {"bf16", "fp32"}) {
      ScopedEnv e("RB_CUDA_RESIDUAL", residual);
      rb::BackendOptions gpu_opts{"cuda", 0, -1};
      gpu_opts.expected = {{50, 2}};  // a checkpoint's upload with a plan built beside it (130: at its call)
      auto gpu = rb::make_cuda_backend(model, gpu_opts);
      for (int64_t L : {50, 130}) {
        const auto windows = random_windows(2, L, k.c.vocab_size, 21);
        rb::rope::RopeSchedule full = default_schedule(k.c, L);
        for (float& p : full.positions) p *= 0.5f;
        full.attention_scaling = 1.1f;
        for (int64_t t = 0; t < L; ++t) full.query_scale.push_back(1.0f + 0.002f * static_cast<float>(t));
        full.q_band_scale.assign(full.inv_freq.size(), 1.05f);
        full.k_band_scale.assign(full.inv_freq.size(), 0.95f);
        for (const auto& [label, s] : {std::pair<const char*, rb::rope::RopeSchedule>{"plain", default_schedule(k.c, L)},
                                       std::pair<const char*, rb::rope::RopeSchedule>{"full schedule", full}}) {
          rb::rope::RopeSchedule nudged = s;
          for (float& p : nudged.positions) p *= 0.9f;
          const auto cpu_scores = cpu->score(spans(windows), s);
          const ScoreDiff d = compare_scores(gpu->score(spans(windows), s), cpu_scores);
          const ScoreDiff effect = compare_scores(cpu->score(spans(windows), nudged), cpu_scores);
          const std::string what = std::string(k.name) + " residual " + residual + " " + label + " L=" + std::to_string(L);
          log_diff(what, d);
          BOOST_TEST_MESSAGE(what << ": effect of positions x0.9: mean " << effect.mean_abs << ", ratio "
                                  << d.mean_abs / effect.mean_abs);
          BOOST_CHECK(d.finite);
          BOOST_CHECK_MESSAGE(d.mean_abs <= 0.25 * effect.mean_abs,
                              what << ": mean |gpu-cpu| " << d.mean_abs << " vs effect " << effect.mean_abs);
          BOOST_CHECK_GE(d.argmax_agreement, 0.9);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(error_paths) {
  // Weights far beyond any GPU: the message names the GiB needed and free.
  const rb::ModelConfig huge = tiny_config(65536, 64, 8, 128, 262144, 1000000, 200, false);
  try {
    rb::make_cuda_backend_random(huge, 1, rb::BackendOptions{"cuda", 0, -1});
    BOOST_ERROR("expected rb::Error for weights that cannot fit");
  } catch (const rb::Error& e) {
    BOOST_TEST_MESSAGE("huge model: " << e.what());
    BOOST_CHECK(std::string(e.what()).find("GiB") != std::string::npos);
  }
  const rb::ModelConfig c = tiny_config(64, 4, 2, 16, 128, 100, 1, false);
  auto backend = rb::make_cuda_backend_random(c, 1, rb::BackendOptions{"cuda", 0, -1});
  const auto schedule = default_schedule(c, 10);
  const std::vector<std::vector<int32_t>> short_window{std::vector<int32_t>(9, 1)};
  BOOST_CHECK_THROW(backend->score(spans(short_window), schedule), rb::Error);
  const std::vector<std::vector<int32_t>> bad_token{std::vector<int32_t>(10, 100)};
  BOOST_CHECK_THROW(backend->score(spans(bad_token), schedule), rb::Error);
  // A window too long for memory (2^26 tokens x hidden 2048: 512 GiB of residual stream): an
  // rb::Error naming GiB, not a CUDA crash.
  const rb::ModelConfig wide = tiny_config(2048, 16, 4, 128, 256, 100, 1, false);
  auto wide_backend = rb::make_cuda_backend_random(wide, 1, rb::BackendOptions{"cuda", 0, -1});
  const int64_t long_len = int64_t{1} << 26;
  const auto long_schedule = default_schedule(wide, long_len);
  const std::vector<std::vector<int32_t>> long_window{std::vector<int32_t>(long_len, 1)};
  try {
    wide_backend->score(spans(long_window), long_schedule);
    BOOST_ERROR("expected rb::Error for a window that cannot fit");
  } catch (const rb::Error& e) {
    BOOST_TEST_MESSAGE("long window: " << e.what());
    BOOST_CHECK(std::string(e.what()).find("GiB") != std::string::npos);
  }
}
