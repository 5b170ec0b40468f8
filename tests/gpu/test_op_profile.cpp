// The CUDA backend's per-op timing (op_profile.hpp): timing on changes no number, every op of the
// loop is counted (with 4-bit weights, one dequantization per projection group and layer), and the
// classes add up to the call's wall time.
#define BOOST_TEST_MODULE op_profile
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "model_core/cuda/cuda_backend.hpp"
#include "tests/gpu/forward_compare.hpp"
#include "tests/gpu/require_device.hpp"

using namespace rbtest;

BOOST_GLOBAL_FIXTURE(RequireDevice);

BOOST_AUTO_TEST_CASE(timing_changes_no_number_and_counts_every_op) {
  for (const std::string quant : {"none", "int4"}) {
    BOOST_TEST_CONTEXT("quant " << quant) {
      const rb::ModelConfig c = tiny_config(256, 4, 2, 64, 512, 1000, 3, false);
      auto backend = rb::make_cuda_backend_random(c, 5, rb::BackendOptions{"cuda", 0, -1}, quant);
      const int64_t L = 129;
      const auto windows = random_windows(2, L, c.vocab_size, 3);
      const auto schedule = default_schedule(c, L);
      const auto plain = backend->score(spans(windows), schedule);
      backend->set_op_timing(true);
      const auto t0 = std::chrono::steady_clock::now();
      const auto timed = backend->score(spans(windows), schedule);
      const double wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      const rb::OpTimes t = backend->op_times();
      backend->set_op_timing(false);
      BOOST_REQUIRE_EQUAL(plain.size(), timed.size());
      for (std::size_t w = 0; w < plain.size(); ++w) {
        BOOST_TEST(plain[w].logprob == timed[w].logprob, boost::test_tools::per_element());
        BOOST_TEST(plain[w].is_argmax == timed[w].is_argmax, boost::test_tools::per_element());
      }
      using rb::OpClass;
      const int64_t layers = c.num_layers;
      BOOST_TEST(t.calls_of(OpClass::Embedding) == 1);
      BOOST_TEST(t.calls_of(OpClass::QkvProj) == layers);
      BOOST_TEST(t.calls_of(OpClass::Attention) == layers);
      BOOST_TEST(t.calls_of(OpClass::Rope) == layers);
      BOOST_TEST(t.calls_of(OpClass::LmHead) == 1);
      BOOST_TEST(t.calls_of(OpClass::Norm) == 1 + 2 * layers);
      BOOST_TEST(t.calls_of(OpClass::Dequant) == (quant == "none" ? 0 : 4 * layers));
      BOOST_TEST(t.calls_of(OpClass::Copies) == 2);
      BOOST_TEST(t.calls_of(OpClass::Setup) == 2);
      for (int i = 0; i < rb::kOpClassCount; ++i) BOOST_TEST(t.ms[static_cast<size_t>(i)] >= 0.0);
      BOOST_TEST(t[OpClass::Attention] > 0.0);
      // The events cover the call from its start to the results' copy back: at most its wall time.
      BOOST_TEST(t.total_ms() <= wall_ms * 1.01 + 0.1);
      BOOST_TEST(t.total_ms() >= 0.2 * wall_ms);
      backend->reset_op_times();
      BOOST_TEST(backend->op_times().total_ms() == 0.0);
      // Off again: a further call adds nothing.
      backend->score(spans(windows), schedule);
      BOOST_TEST(backend->op_times().total_ms() == 0.0);
    }
  }
}
