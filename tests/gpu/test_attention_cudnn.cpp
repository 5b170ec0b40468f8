// cuDNN fused attention (model_core/cuda/attention_cudnn.hpp) against the plain CPU reference
// (tests/gpu/reference.hpp) and the own kernels on awkward sizes, a 65,536-token window, the
// start-up cross-check, and the backend's selection (RB_CUDA_ATTN=cudnn vs simple in the whole
// forward). Every case is skipped, with a message, in builds without cuDNN.
//
// Tolerance (bf16): inputs are drawn already rounded to T, so the reference sees the device
// values. cuDNN accumulates in fp32, rounds P to T before P V (as FlashAttention-2 and the own
// tensor-core kernel; 2^-9 relative per weight for bf16, averaging out over keys) and rounds the
// output to T (2^-9 relative, |o| <= 1 here): expected errors are a few 1e-3. 1e-2 absolute +
// 1e-2 relative is ~5x that and far below a real bug (wrong mask, scale, stride or GQA head
// mapping moves outputs by 0.1-1). Against the simple kernel (fp32 P, its own output rounding)
// the same bound holds: both sit within it of the exact value.
#define BOOST_TEST_MODULE cuda_attention_cudnn
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "model_core/cuda/attention_cudnn.hpp"
#include "model_core/cuda/cuda_backend.hpp"
#include "model_core/cuda/kernels.hpp"
#include "tests/gpu/attention_problem.hpp"
#include "tests/gpu/device_util.hpp"
#include "tests/gpu/forward_compare.hpp"
#include "tests/gpu/reference.hpp"
#include "tests/gpu/require_device.hpp"

using namespace rbtest;
using rb::cuda::AttnArgs;
using rb::cuda::CudnnAttention;
using rb::cuda::DeviceBuffer;
using bf16 = __nv_bfloat16;

namespace {

// Precondition of every case: a build with cuDNN (else the case is reported as skipped).
boost::test_tools::assertion_result cudnn_built(boost::unit_test::test_unit_id) {
  const std::string why = rb::cuda::cudnn_attention_unavailable();
  boost::test_tools::assertion_result r(why.empty());
  r.message() << "skipped: cuDNN attention " << why << " (configure with cuDNN 9 and the cuDNN frontend "
              << "from scripts/setup.sh)";
  return r;
}

template <typename T>
std::vector<float> run_cudnn(CudnnAttention<T>& attn, Problem<T>& p) {
  const AttnArgs<T> a = p.args();
  const std::string why = attn.prepare(a);
  BOOST_REQUIRE_MESSAGE(why.empty(), "cuDNN does not support " << p.tag() << ": " << why);
  DeviceBuffer<uint8_t> workspace(attn.workspace_bytes(a));
  CUDA_CHECK(cudaMemset(p.d_out.get(), 0xff, p.d_out.bytes()));  // NaN pattern: unwritten outputs show
  attn.run(a, workspace.get(), workspace.bytes(), nullptr);
  return p.output();
}

// cuDNN vs the CPU reference (all rows up to L = 1000, spot rows beyond) and vs the simple kernel
// on every output.
template <typename T>
void cudnn_case(CudnnAttention<T>& attn, int64_t batch, int64_t L, int64_t H, int64_t KV, int64_t D,
                std::mt19937& rng, int64_t window = 0) {
  Problem<T> p(batch, L, H, KV, D, rng);
  p.window = window;
  const std::vector<float> got = run_cudnn(attn, p);
  BOOST_CHECK_MESSAGE(std::all_of(got.begin(), got.end(), [](float x) { return std::isfinite(x); }),
                      "cudnn " << p.tag() << ": non-finite output");
  std::vector<int64_t> rows;
  if (L > 1000) rows = {0, 1, 63, 64, 127, 128, 1000, L / 2, L - 2, L - 1};
  p.compare_with_reference(got, rows, "cudnn vs reference " + p.tag());
  check_close(got, run_own(rb::cuda::AttnKernel::Simple, p), 1e-2, 1e-2, "cudnn vs simple " + p.tag());
}

}  // namespace

BOOST_GLOBAL_FIXTURE(RequireDevice);

// cuDNN's diagonal band (set_diagonal_band_left_bound) as transformers' sliding window: against the
// banded reference and the simple kernel with the same window, across a tile edge and beyond it.
BOOST_AUTO_TEST_CASE(sliding_window_as_transformers, *boost::unit_test::precondition(cudnn_built)) {
  std::mt19937 rng(41);
  CudnnAttention<bf16> attn;
  cudnn_case(attn, 1, 300, 4, 2, 64, rng, 16);
  cudnn_case(attn, 2, 1000, 8, 2, 128, rng, 100);
  cudnn_case(attn, 1, 4100, 4, 1, 128, rng, 4096);
  cudnn_case(attn, 1, 5000, 4, 2, 128, rng, 1);
}

BOOST_AUTO_TEST_CASE(awkward_shapes_bf16, *boost::unit_test::precondition(cudnn_built)) {
  BOOST_TEST_MESSAGE(rb::cuda::cudnn_attention_version());
  CudnnAttention<bf16> attn;
  std::mt19937 rng(31);
  for (int64_t D : {64, 128})
    for (int64_t KV : {8, 2, 1})  // GQA 1, 4, 8 with 8 query heads
      for (int64_t L : {1, 7, 129, 1000, 4097}) cudnn_case<bf16>(attn, L <= 129 ? 2 : 1, L, 8, KV, D, rng);
}

BOOST_AUTO_TEST_CASE(awkward_shapes_fp16, *boost::unit_test::precondition(cudnn_built)) {
  CudnnAttention<__half> attn;
  std::mt19937 rng(32);
  for (int64_t D : {64, 128}) {
    cudnn_case<__half>(attn, 2, 129, 8, 2, D, rng);
    cudnn_case<__half>(attn, 1, 1000, 4, 1, D, rng);
  }
}

// Head dims beyond 64/128 that models use (80: Phi-2-like, 96: Phi-3, 256: Gemma): cuDNN must
// match when it accepts them; an unsupported one is reported (the backend then falls back).
BOOST_AUTO_TEST_CASE(other_head_dims, *boost::unit_test::precondition(cudnn_built)) {
  CudnnAttention<bf16> attn;
  std::mt19937 rng(33);
  for (int64_t D : {16, 80, 96, 256}) {
    Problem<bf16> p(2, 129, 4, 2, D, rng);
    const std::string why = attn.prepare(p.args());
    if (!why.empty()) {
      BOOST_TEST_MESSAGE("cuDNN does not support head_dim " << D << ": " << why);
      continue;
    }
    p.compare_with_reference(run_cudnn(attn, p), {}, "cudnn vs reference " + p.tag());
  }
}

// A 65,536-token window (L^2 = 2^32 scores per head): cuDNN vs the tensor-core kernel on every
// output and vs the reference on spot rows; also reports both kernels' speed.
BOOST_AUTO_TEST_CASE(window_of_65536_tokens, *boost::unit_test::precondition(cudnn_built)) {
  CudnnAttention<bf16> attn;
  std::mt19937 rng(34);
  const std::vector<int64_t> rows = {0, 1, 63, 64, 4097, 32768, 65535};
  struct Heads { int64_t H, KV, D; };
  for (const Heads& s : {Heads{8, 2, 128}, Heads{4, 4, 64}}) {
    const int64_t H = s.H, D = s.D;
    Problem<bf16> p(1, 65536, H, s.KV, D, rng);
    const std::vector<float> got = run_cudnn(attn, p);
    p.compare_with_reference(got, rows, "cudnn vs reference " + p.tag());
    check_close(got, run_own(rb::cuda::AttnKernel::TensorCore, p), 1e-2, 1e-2, "cudnn vs tc " + p.tag());

    // Speed, informational.
    const AttnArgs<bf16> a = p.args();
    DeviceBuffer<uint8_t> workspace(attn.workspace_bytes(a));
    const double flops = causal_attention_flops(p);
    const double t_cudnn = tflops_of([&] { attn.run(a, workspace.get(), workspace.bytes(), nullptr); }, flops);
    const double t_tc =
        tflops_of([&] { rb::cuda::flash_attention<bf16>(a, rb::cuda::AttnKernel::TensorCore, nullptr); }, flops);
    BOOST_TEST_MESSAGE(p.tag() << ": cudnn " << t_cudnn << " TFLOP/s, tensor-core kernel " << t_tc << " TFLOP/s");
  }
}

BOOST_AUTO_TEST_CASE(startup_cross_check, *boost::unit_test::precondition(cudnn_built)) {
  CudnnAttention<bf16> attn;
  for (int D : {64, 128}) {
    const float diff = rb::cuda::cudnn_attention_max_diff<bf16>(attn, D, nullptr);
    BOOST_TEST_MESSAGE("cudnn vs simple, head_dim " << D << ": " << diff);
    BOOST_CHECK_LE(diff, 2e-2f);
  }
}

// The backend with RB_CUDA_ATTN=cudnn (every layer's attention through cuDNN, reading q/k/v in
// place from the fused projection) scores as with the simple kernel; auto picks cuDNN (or
// FlashAttention-3, where it serves the model).
BOOST_AUTO_TEST_CASE(backend_uses_cudnn_in_the_forward, *boost::unit_test::precondition(cudnn_built)) {
  for (int64_t D : {64, 128}) {
    const rb::ModelConfig c = tiny_config(256, 4, 1, D, 512, 1000, 2, D == 64);
    const int64_t L = 300;
    const auto windows = random_windows(3, L, c.vocab_size, 13);
    const auto schedule = default_schedule(c, L);
    std::vector<rb::WindowScores> cudnn;
    {
      ScopedEnv e("RB_CUDA_ATTN", "cudnn");
      auto b = rb::make_cuda_backend_random(c, 3, rb::BackendOptions{"cuda", 0, -1});
      BOOST_TEST_MESSAGE("backend: " << b->describe());
      BOOST_CHECK(b->describe().find("cuDNN") != std::string::npos);
      cudnn = b->score(spans(windows), schedule);
      // A second, smaller group shape (2 windows) builds its own graph.
      const auto two = b->score(spans({windows[0], windows[1]}), schedule);
      const ScoreDiff d = compare_scores({cudnn[0], cudnn[1]}, two);
      BOOST_CHECK_LE(d.max_abs, 2e-2);
    }
    // auto: FlashAttention-3 where it serves the model (test_attention_fa3.cpp), else cuDNN.
    std::string d;
    (void)scores_under("auto", c, {windows[0]}, schedule, 3, &d);
    BOOST_CHECK_MESSAGE(d.find("cuDNN") != std::string::npos || d.find("(FlashAttention-3, else") != std::string::npos,
                        "auto: " << d);
    check_against_simple(cudnn, c, windows, schedule, 3, "head_dim " + std::to_string(D) + " cudnn");
  }
}

namespace {
boost::test_tools::assertion_result cudnn_not_built(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result r(!rb::cuda::cudnn_attention_unavailable().empty());
  r.message() << "skipped: this build has cuDNN attention";
  return r;
}
}  // namespace

// Without cuDNN in the build: asking for it is an error naming the reason; auto says why not.
BOOST_AUTO_TEST_CASE(built_without_cudnn_is_reported, *boost::unit_test::precondition(cudnn_not_built)) {
  const rb::ModelConfig c = tiny_config(64, 4, 2, 16, 128, 1000, 1, false);
  {
    ScopedEnv e("RB_CUDA_ATTN", "cudnn");
    BOOST_CHECK_THROW(rb::make_cuda_backend_random(c, 1, rb::BackendOptions{"cuda", 0, -1}), rb::Error);
  }
  ScopedEnv e("RB_CUDA_ATTN", "auto");
  const std::string d = rb::make_cuda_backend_random(c, 1, rb::BackendOptions{"cuda", 0, -1})->describe();
  BOOST_CHECK_MESSAGE(d.find("attention: cudnn unavailable (built without)") != std::string::npos, d);
}
