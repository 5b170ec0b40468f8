#pragma once
// What the fused-attention suites (test_attention_cudnn.cpp, test_attention_fa3.cpp) share: a
// random attention problem in the backend's layout with its CPU reference, the closeness check,
// and a scoped environment variable.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "model_core/cuda/cuda_backend.hpp"
#include "model_core/cuda/device_buffer.hpp"
#include "model_core/cuda/kernels.hpp"
#include "tests/gpu/device_util.hpp"
#include "tests/gpu/forward_compare.hpp"
#include "tests/gpu/reference.hpp"

namespace rbtest {

using rb::cuda::AttnArgs;
using rb::cuda::DeviceBuffer;

// max over i of |got - ref| / (abs_tol + rel_tol * |ref|) must be <= 1.
template <typename A, typename B>
void check_close(const std::vector<A>& got, const std::vector<B>& ref, double abs_tol, double rel_tol,
                 const std::string& what) {
  BOOST_REQUIRE_EQUAL(got.size(), ref.size());
  double worst = 0.0, worst_abs = 0.0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double g = static_cast<double>(got[i]), r = static_cast<double>(ref[i]);
    const double err = std::isfinite(g) ? std::abs(g - r) : INFINITY;
    const double ratio = err == 0.0 ? 0.0 : err / (abs_tol + rel_tol * std::abs(r));
    if (ratio > worst || !std::isfinite(ratio)) {
      worst = ratio;
      worst_abs = err;
      at = i;
    }
  }
  BOOST_TEST_MESSAGE(what << ": max |err| " << worst_abs << " (" << worst << " of tolerance)");
  BOOST_CHECK_MESSAGE(worst <= 1.0, what << ": element " << at << " got " << static_cast<double>(got[at]) << " want "
                                         << static_cast<double>(ref[at]) << " (|err| " << worst_abs << ")");
}

// One random attention problem in the backend's layout: q, k, v read in place from fused qkv rows
// [(H + 2 KV) * D], the output [H * D] per row.
template <typename T>
struct Problem {
  int64_t batch, L, H, KV, D, width;
  int64_t window = 0;      // > 0: a sliding window (keys t - window < j <= t)
  std::vector<float> qkv;  // host copy, values exactly representable in T
  DeviceBuffer<T> d_qkv, d_out;

  Problem(int64_t b, int64_t l, int64_t h, int64_t kv, int64_t d, std::mt19937& rng)
      : batch(b), L(l), H(h), KV(kv), D(d), width((h + 2 * kv) * d) {
    qkv = random_t<T>(batch * L * width, rng);
    // Queries scaled up so the softmax is peaked (exercises the running max).
    for (int64_t r = 0; r < batch * L; ++r)
      for (int64_t j = 0; j < H * D; ++j) qkv[r * width + j] = round_t<T>(qkv[r * width + j] * 3.0f);
    d_qkv = upload_t<T>(qkv);
    d_out.reset(batch * L * H * D);
  }

  AttnArgs<T> args() const {
    AttnArgs<T> a;
    a.q = d_qkv.get();
    a.k = d_qkv.get() + H * D;
    a.v = d_qkv.get() + (H + KV) * D;
    a.o = d_out.get();
    a.q_stride = a.kv_stride = width;
    a.o_stride = H * D;
    a.batch = static_cast<int>(batch);
    a.seq_len = static_cast<int>(L);
    a.heads = static_cast<int>(H);
    a.kv_heads = static_cast<int>(KV);
    a.head_dim = static_cast<int>(D);
    a.scale = 1.0f / std::sqrt(static_cast<float>(D));
    a.window = static_cast<int>(window);
    return a;
  }

  std::string tag() const {
    std::ostringstream s;
    s << (std::is_same_v<T, __nv_bfloat16> ? "bf16" : "fp16") << " B=" << batch << " L=" << L << " H=" << H << " KV=" << KV
      << " D=" << D << (window > 0 ? " window=" + std::to_string(window) : std::string());
    return s.str();
  }

  std::vector<float> output() const { return download_t<T>(d_out.get(), batch * L * H * D); }

  // Reference rows (all when `rows` is empty) and the matching outputs of `got`.
  void compare_with_reference(const std::vector<float>& got, const std::vector<int64_t>& rows,
                              const std::string& what) const {
    std::vector<float> kview(qkv.begin() + H * D, qkv.end()), vview(qkv.begin() + (H + KV) * D, qkv.end());
    kview.resize(qkv.size(), 0.0f);
    vview.resize(qkv.size(), 0.0f);
    const AttnRefShape s{batch, L, H, KV, D, width, width, window};
    std::vector<float> g;
    std::vector<double> r;
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t t = 0; t < L; ++t) {
        if (!rows.empty() && std::find(rows.begin(), rows.end(), t) == rows.end()) continue;
        for (int64_t h = 0; h < H; ++h) {
          const std::vector<double> ref = attention_row_ref(qkv, kview, vview, s, b, t, h);
          for (int64_t d = 0; d < D; ++d) {
            g.push_back(got[(b * L + t) * H * D + h * D + d]);
            r.push_back(ref[d]);
          }
        }
      }
    check_close(g, r, 1e-2, 1e-2, what);
  }
};

template <typename T>
std::vector<float> run_own(rb::cuda::AttnKernel which, Problem<T>& p) {
  rb::cuda::flash_attention<T>(p.args(), which, nullptr);
  return p.output();
}

// Sets an environment variable for one scope (the backend reads RB_CUDA_* when created).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// TFLOP/s of `launch` (one warm-up, then 3 timed runs on the default stream) doing `flops` each.
template <typename Launch>
double tflops_of(Launch&& launch, double flops) {
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  launch();
  CUDA_CHECK(cudaEventRecord(start, nullptr));
  for (int i = 0; i < 3; ++i) launch();
  CUDA_CHECK(cudaEventRecord(stop, nullptr));
  CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0.0f;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  return 3.0 * flops / (ms * 1e-3) / 1e12;
}

// Causal attention's flops of one problem: 2 * 2 * L^2/2 * D per head.
template <typename T>
double causal_attention_flops(const Problem<T>& p) {
  return 2.0 * static_cast<double>(p.L) * static_cast<double>(p.L) * static_cast<double>(p.batch * p.H * p.D);
}

// The scores of `windows` from a random-weight backend (weights from `seed`) made under
// RB_CUDA_ATTN=choice; its description into *describe when given.
template <typename Schedule>
std::vector<rb::WindowScores> scores_under(const std::string& choice, const rb::ModelConfig& c,
                                           const std::vector<std::vector<int32_t>>& windows, const Schedule& schedule,
                                           uint32_t seed, std::string* describe = nullptr) {
  ScopedEnv e("RB_CUDA_ATTN", choice);
  auto b = rb::make_cuda_backend_random(c, seed, rb::BackendOptions{"cuda", 0, -1});
  if (describe) *describe = b->describe();
  return b->score(spans(windows), schedule);
}

// `ours` against the same backend with the simple kernel: finite, and within 5e-2 per token (as
// tc vs simple in test_cuda_backend.cpp).
template <typename Schedule>
void check_against_simple(const std::vector<rb::WindowScores>& ours, const rb::ModelConfig& c,
                          const std::vector<std::vector<int32_t>>& windows, const Schedule& schedule, uint32_t seed,
                          const std::string& what) {
  const ScoreDiff d = compare_scores(ours, scores_under("simple", c, windows, schedule, seed));
  BOOST_TEST_MESSAGE(what << " vs simple attention: max |dlogprob| " << d.max_abs << ", mean " << d.mean_abs
                          << ", argmax agreement " << d.argmax_agreement);
  BOOST_CHECK(d.finite);
  BOOST_CHECK_LE(d.max_abs, 5e-2);
}

}  // namespace rbtest
