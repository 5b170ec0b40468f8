// FlashAttention-3's forward kernels (model_core/cuda/attention_fa3.hpp) against the plain CPU
// reference (tests/gpu/reference.hpp) and the own kernels on awkward sizes (lengths off the
// 128/192-row tiles, GQA 1/4/8, batches), sliding windows, a 65,536-token window, the start-up
// cross-check, the problems it refuses, and the backend's selection (RB_CUDA_ATTN=fa3 vs simple
// in the whole forward; auto picks it). Every case is skipped, with a message, in builds without the kernels or
// on a device other than compute capability 9.0.
//
// Tolerance as test_attention_cudnn.cpp's, for the same reasons: FlashAttention-3 accumulates in
// fp32, rounds P to bf16 before P V and the output to bf16 (a few 1e-3 expected); 1e-2 absolute
// + 1e-2 relative is ~5x that and far below a wrong mask, scale, stride or head mapping.
#define BOOST_TEST_MODULE cuda_attention_fa3
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "model_core/cuda/attention_cudnn.hpp"
#include "model_core/cuda/attention_fa3.hpp"
#include "model_core/cuda/cuda_backend.hpp"
#include "model_core/cuda/kernels.hpp"
#include "tests/gpu/attention_problem.hpp"
#include "tests/gpu/forward_compare.hpp"
#include "tests/gpu/require_device.hpp"

using namespace rbtest;
using rb::cuda::AttnArgs;
using rb::cuda::DeviceBuffer;
using rb::cuda::Fa3Attention;
using bf16 = __nv_bfloat16;

namespace {

// "" when this build and device run FlashAttention-3, else why not.
std::string fa3_unusable() {
  if (std::string why = rb::cuda::fa3_attention_unavailable(); !why.empty()) return why;
  try {
    Fa3Attention<bf16> probe;
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

boost::test_tools::assertion_result fa3_usable(boost::unit_test::test_unit_id) {
  const std::string why = fa3_unusable();
  boost::test_tools::assertion_result r(why.empty());
  r.message() << "skipped: FlashAttention-3 " << why
              << " (configure with the CUTLASS headers of scripts/setup.sh and sm_90a; run on an sm_90 device)";
  return r;
}

std::vector<float> run_fa3(Fa3Attention<bf16>& attn, Problem<bf16>& p) {
  const AttnArgs<bf16> a = p.args();
  const std::string why = attn.prepare(a, nullptr);
  BOOST_REQUIRE_MESSAGE(why.empty(), "FlashAttention-3 does not serve " << p.tag() << ": " << why);
  CUDA_CHECK(cudaMemset(p.d_out.get(), 0xff, p.d_out.bytes()));  // NaN pattern: unwritten outputs show
  attn.run(a, nullptr);
  return p.output();
}

// FlashAttention-3 vs the CPU reference (all rows up to L = 1000, spot rows beyond) and vs the
// simple kernel on every output.
void fa3_case(Fa3Attention<bf16>& attn, int64_t batch, int64_t L, int64_t H, int64_t KV, int64_t D, std::mt19937& rng,
              int64_t window = 0) {
  Problem<bf16> p(batch, L, H, KV, D, rng);
  p.window = window;
  const std::vector<float> got = run_fa3(attn, p);
  BOOST_CHECK_MESSAGE(std::all_of(got.begin(), got.end(), [](float x) { return std::isfinite(x); }),
                      "fa3 " << p.tag() << ": non-finite output");
  std::vector<int64_t> rows;
  if (L > 1000) rows = {0, 1, 63, 64, 127, 128, 191, 192, 1000, L / 2, L - 2, L - 1};
  p.compare_with_reference(got, rows, "fa3 vs reference " + p.tag());
  check_close(got, run_own(rb::cuda::AttnKernel::Simple, p), 1e-2, 1e-2, "fa3 vs simple " + p.tag());
}

}  // namespace

BOOST_GLOBAL_FIXTURE(RequireDevice);

BOOST_AUTO_TEST_CASE(awkward_shapes, *boost::unit_test::precondition(fa3_usable)) {
  Fa3Attention<bf16> attn;
  std::mt19937 rng(51);
  for (int64_t D : {64, 128})
    for (int64_t KV : {8, 2, 1})  // GQA 1, 4, 8 with 8 query heads
      for (int64_t L : {1, 7, 129, 193, 1000, 4097}) fa3_case(attn, L <= 193 ? 3 : 1, L, 8, KV, D, rng);
}

// Many heads and windows in one call (the persistent scheduler's L2 sections of heads and its
// longest-first order over batch x heads x row blocks), as the backend's TinyLlama batches.
BOOST_AUTO_TEST_CASE(many_heads_and_windows, *boost::unit_test::precondition(fa3_usable)) {
  Fa3Attention<bf16> attn;
  std::mt19937 rng(52);
  fa3_case(attn, 5, 2048, 32, 4, 64, rng);
  fa3_case(attn, 2, 3000, 32, 8, 128, rng);
}

// Its local attention with window (W - 1, 0) as transformers' sliding window: against the banded
// reference and the simple kernel with the same window, across a tile edge and beyond it; a
// window of the whole sequence or more is plain causal.
BOOST_AUTO_TEST_CASE(sliding_window_as_transformers, *boost::unit_test::precondition(fa3_usable)) {
  Fa3Attention<bf16> attn;
  std::mt19937 rng(55);
  fa3_case(attn, 1, 300, 4, 2, 128, rng, 16);
  fa3_case(attn, 2, 1000, 8, 2, 128, rng, 100);
  fa3_case(attn, 1, 4100, 4, 1, 128, rng, 4096);
  fa3_case(attn, 1, 5000, 4, 2, 128, rng, 1);
  fa3_case(attn, 3, 129, 8, 8, 128, rng, 128);
  fa3_case(attn, 2, 200, 4, 2, 128, rng, 500);
  fa3_case(attn, 2, 200, 4, 2, 64, rng, 200);  // W = L: the causal head_dim 64 kernel
}

// What it does not serve is refused with the reason, not run wrong: fp16, other head dims,
// sliding windows of head_dim 64, kv_heads not dividing heads.
BOOST_AUTO_TEST_CASE(refuses_what_it_does_not_serve, *boost::unit_test::precondition(fa3_usable)) {
  Fa3Attention<bf16> attn;
  Fa3Attention<__half> half;
  std::mt19937 rng(53);
  Problem<bf16> p(1, 100, 4, 2, 128, rng);
  AttnArgs<bf16> a = p.args();
  BOOST_CHECK(attn.supports(a).empty());
  a.window = 16;
  BOOST_CHECK(attn.supports(a).empty());
  a.head_dim = 64;
  BOOST_CHECK_NE(attn.prepare(a, nullptr), "");
  BOOST_CHECK_THROW(attn.run(a, nullptr), rb::Error);
  a = p.args();
  a.head_dim = 96;
  BOOST_CHECK_NE(attn.supports(a).find("head_dim 96"), std::string::npos);
  a = p.args();
  a.kv_heads = 3;
  BOOST_CHECK_NE(attn.supports(a), "");
  Problem<__half> h(1, 100, 4, 2, 128, rng);
  BOOST_CHECK_NE(half.supports(h.args()).find("fp16"), std::string::npos);
  // Not prepared for a larger problem than its buffer holds: an error, not an overrun.
  Problem<bf16> big(2, 5000, 8, 2, 128, rng);
  BOOST_CHECK_THROW(attn.run(big.args(), nullptr), rb::Error);
}

// A 65,536-token window (L^2 = 2^32 scores per head): against the tensor-core kernel on every
// output and the reference on spot rows; also reports its speed beside cuDNN's.
BOOST_AUTO_TEST_CASE(window_of_65536_tokens, *boost::unit_test::precondition(fa3_usable)) {
  Fa3Attention<bf16> attn;
  std::mt19937 rng(54);
  const std::vector<int64_t> rows = {0, 1, 63, 64, 4097, 32768, 65535};
  struct Heads { int64_t H, KV, D; };
  for (const Heads& s : {Heads{8, 2, 128}, Heads{4, 4, 64}}) {
    Problem<bf16> p(1, 65536, s.H, s.KV, s.D, rng);
    const std::vector<float> got = run_fa3(attn, p);
    p.compare_with_reference(got, rows, "fa3 vs reference " + p.tag());
    check_close(got, run_own(rb::cuda::AttnKernel::TensorCore, p), 1e-2, 1e-2, "fa3 vs tc " + p.tag());

    // Speed, informational.
    const AttnArgs<bf16> a = p.args();
    const double flops = causal_attention_flops(p);
    const double t_fa3 = tflops_of([&] { attn.run(a, nullptr); }, flops);
    std::string cudnn = "not built";
    if (rb::cuda::cudnn_attention_unavailable().empty()) {
      rb::cuda::CudnnAttention<bf16> c;
      if (c.prepare(a).empty()) {
        DeviceBuffer<uint8_t> workspace(c.workspace_bytes(a));
        cudnn = std::to_string(tflops_of([&] { c.run(a, workspace.get(), workspace.bytes(), nullptr); }, flops)) +
                " TFLOP/s";
      }
    }
    BOOST_TEST_MESSAGE(p.tag() << ": fa3 " << t_fa3 << " TFLOP/s, cudnn " << cudnn);
  }
}

BOOST_AUTO_TEST_CASE(startup_cross_check, *boost::unit_test::precondition(fa3_usable)) {
  Fa3Attention<bf16> attn;
  for (int D : {64, 128}) {
    const float diff = rb::cuda::fa3_attention_max_diff<bf16>(attn, D, nullptr);
    BOOST_TEST_MESSAGE("fa3 vs simple, head_dim " << D << ": " << diff);
    BOOST_CHECK_LE(diff, 2e-2f);
  }
}

// The backend with RB_CUDA_ATTN=fa3 (every layer's attention through FlashAttention-3, reading
// q/k/v in place from the fused projection) scores as with the simple kernel; auto picks it.
BOOST_AUTO_TEST_CASE(backend_uses_fa3_in_the_forward, *boost::unit_test::precondition(fa3_usable)) {
  for (int64_t D : {64, 128}) {
    const rb::ModelConfig c = tiny_config(256, 4, 1, D, 512, 1000, 2, D == 64);
    const int64_t L = 300;
    const auto windows = random_windows(3, L, c.vocab_size, 13);
    const auto schedule = default_schedule(c, L);
    std::vector<rb::WindowScores> fa3;
    {
      ScopedEnv e("RB_CUDA_ATTN", "fa3");
      auto b = rb::make_cuda_backend_random(c, 3, rb::BackendOptions{"cuda", 0, -1});
      BOOST_TEST_MESSAGE("backend: " << b->describe());
      BOOST_CHECK(b->describe().find("(FlashAttention-3, else") != std::string::npos);
      fa3 = b->score(spans(windows), schedule);
      // A second, smaller group shape (2 windows): no plan, the same kernel.
      const auto two = b->score(spans({windows[0], windows[1]}), schedule);
      const ScoreDiff d = compare_scores({fa3[0], fa3[1]}, two);
      BOOST_CHECK_LE(d.max_abs, 2e-2);
      BOOST_CHECK_EQUAL(b->attention_shapes_prepared(), 0u);  // cuDNN built no graph for these layers
    }
    std::string d;
    const ScoreDiff same = compare_scores(fa3, scores_under("auto", c, windows, schedule, 3, &d));
    BOOST_CHECK_MESSAGE(d.find("(FlashAttention-3, else") != std::string::npos, "auto: " << d);
    BOOST_CHECK_EQUAL(same.max_abs, 0.0);  // the same kernel: the same bits
    if (rb::cuda::cudnn_attention_unavailable().empty()) {
      (void)scores_under("cudnn", c, {windows[0]}, schedule, 3, &d);
      BOOST_CHECK_MESSAGE(d.find("FlashAttention-3") == std::string::npos, "cudnn: " << d);
    }
    check_against_simple(fa3, c, windows, schedule, 3, "head_dim " + std::to_string(D) + " fa3");
  }
}

// A model with a full and a sliding layer (head_dim 128, W = 64 < L): both FlashAttention-3
// kernels in one forward, against the simple kernel; cuDNN is not needed and not created.
BOOST_AUTO_TEST_CASE(backend_runs_sliding_layers_with_fa3, *boost::unit_test::precondition(fa3_usable)) {
  rb::ModelConfig c = tiny_config(256, 4, 2, 128, 512, 1000, 2, false);
  c.sliding_window = 64;
  c.sliding_from_layer = 1;
  const int64_t L = 300;
  const auto windows = random_windows(2, L, c.vocab_size, 17);
  const auto schedule = default_schedule(c, L);
  std::string d;
  const auto fa3 = scores_under("auto", c, windows, schedule, 5, &d);
  BOOST_TEST_MESSAGE("backend: " << d);
  BOOST_CHECK(d.find("(FlashAttention-3, else tensor cores)") != std::string::npos);
  check_against_simple(fa3, c, windows, schedule, 5, "sliding model fa3");
}

namespace {
boost::test_tools::assertion_result fa3_not_usable(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result r(!fa3_unusable().empty());
  r.message() << "skipped: this build and device run FlashAttention-3";
  return r;
}
}  // namespace

// Where FlashAttention-3 cannot run (built without, or not an sm_90 device): asking for it is an
// error naming the reason; auto runs without it and says why.
BOOST_AUTO_TEST_CASE(unusable_fa3_is_reported, *boost::unit_test::precondition(fa3_not_usable)) {
  const rb::ModelConfig c = tiny_config(64, 4, 2, 16, 128, 1000, 1, false);
  {
    ScopedEnv e("RB_CUDA_ATTN", "fa3");
    try {
      (void)rb::make_cuda_backend_random(c, 3, rb::BackendOptions{"cuda", 0, -1});
      BOOST_ERROR("RB_CUDA_ATTN=fa3 without FlashAttention-3 did not fail");
    } catch (const std::exception& e) {
      BOOST_CHECK_NE(std::string(e.what()).find("RB_CUDA_ATTN=fa3"), std::string::npos);
    }
  }
  ScopedEnv e("RB_CUDA_ATTN", "auto");
  auto b = rb::make_cuda_backend_random(c, 3, rb::BackendOptions{"cuda", 0, -1});
  BOOST_CHECK_NE(b->describe().find("FlashAttention-3 unavailable"), std::string::npos);
}
