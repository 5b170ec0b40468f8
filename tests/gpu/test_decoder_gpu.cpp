// The one decoder on the GPU: the ops the model definition added (add_bias, 16-bit conversion at
// upload) against plain references, biases of every kind applied on the CUDA backend as on the CPU
// (the transformers fixtures tests/fixtures/cpu/llama and llama_mlp_bias), and weights streamed
// from the mapped file in their stored dtype giving the same device weights, bit for bit, as the
// old fp32 host copy did.
#define BOOST_TEST_MODULE decoder_gpu
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <random>
#include <stdexcept>
#include <string>

#include "model_core/cuda/cuda_backend.hpp"
#include "model_core/cuda/kernels.hpp"
#include "model_core/loaders/safetensors.hpp"
#include "tests/gpu/device_util.hpp"
#include "tests/gpu/forward_compare.hpp"
#include "tests/gpu/require_device.hpp"

using namespace rbtest;
using rb::cuda::DeviceBuffer;
using bf16 = __nv_bfloat16;

namespace {

template <typename T>
void add_bias_case(int64_t rows, int64_t cols, int64_t ld, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> y = random_t<T>(rows * ld, rng, -4.0f, 4.0f);
  const std::vector<float> b = random_t<T>(cols, rng, -1.0f, 1.0f);
  auto dy = upload_t<T>(y);
  auto db = upload_t<T>(b);
  rb::cuda::add_bias<T>(dy.get(), rows, cols, ld, db.get(), nullptr);
  const std::vector<float> got = download_t(dy.get(), rows * ld);
  int64_t wrong = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < ld; ++c) {
      const float want = c < cols ? round_t<T>(y[r * ld + c] + b[c]) : y[r * ld + c];  // columns past cols untouched
      wrong += got[r * ld + c] != want;
    }
  BOOST_TEST(wrong == 0, "add_bias rows=" << rows << " cols=" << cols << " ld=" << ld << ": " << wrong << " wrong");
}

std::vector<rb::WindowScores> score(rb::Backend& b, const rb::Model& m, int64_t L, uint32_t seed) {
  const auto windows = random_windows(2, L, m.config.vocab_size, seed);
  return b.score(spans(windows), default_schedules(m.config, L));
}

}  // namespace

BOOST_GLOBAL_FIXTURE(RequireDevice);

BOOST_AUTO_TEST_CASE(add_bias_is_one_rounded_add_on_awkward_shapes) {
  for (auto [rows, cols, ld] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {7, 33, 33}, {129, 1000, 1536}, {3, 96, 97}}) {
    add_bias_case<bf16>(rows, cols, ld, static_cast<uint32_t>(rows + cols));
    add_bias_case<__half>(rows, cols, ld, static_cast<uint32_t>(rows * cols));
  }
}

BOOST_AUTO_TEST_CASE(sixteen_bit_conversion_is_exact) {
  std::mt19937 rng(5);
  const int64_t n = 100003;
  for (bool from_bf16 : {true, false}) {
    // Source bits: every value a 16-bit float can hold in the range, as a checkpoint stores them.
    const std::vector<float> v = from_bf16 ? random_t<bf16>(n, rng, -70000.0f, 70000.0f) : random_t<__half>(n, rng, -60000.0f, 60000.0f);
    DeviceBuffer<bf16> src_b = upload_t<bf16>(v);
    DeviceBuffer<__half> src_h = upload_t<__half>(v);
    const void* src = from_bf16 ? static_cast<const void*>(src_b.get()) : static_cast<const void*>(src_h.get());
    DeviceBuffer<bf16> to_b(n);
    DeviceBuffer<__half> to_h(n);
    rb::cuda::convert_from_16<bf16>(src, from_bf16, to_b.get(), n, nullptr);
    rb::cuda::convert_from_16<__half>(src, from_bf16, to_h.get(), n, nullptr);
    const auto got_b = download_t(to_b.get(), n), got_h = download_t(to_h.get(), n);
    int64_t wrong = 0;
    for (int64_t i = 0; i < n; ++i) wrong += (got_b[i] != round_t<bf16>(v[i])) + (got_h[i] != round_t<__half>(v[i]));
    BOOST_TEST(wrong == 0, (from_bf16 ? "bf16" : "fp16") << " source: " << wrong << " wrong");
  }
}

// Streaming (stored bytes -> device) and the fp32 host path round the same exact values with the
// same rule, so the two backends must give identical scores.
BOOST_AUTO_TEST_CASE(streamed_weights_equal_the_fp32_host_path) {
  for (const char* name : {"llama_sharded", "qwen2_bias"}) {  // F16 shards, BF16 tied
    const std::string dir = std::string(RB_FIXTURES) + "/models/" + name;
    const rb::Model streamed = rb::load_model(dir, rb::LoadOptions{.load_tokenizer = false});
    BOOST_REQUIRE(streamed.weights.get("model.norm.weight").is_stored());
    rb::Model host;
    host.config = streamed.config;
    host.weights = rb::load_safetensors_weights(dir);
    auto a = rb::make_cuda_backend(streamed, rb::BackendOptions{"cuda", 0, -1});
    auto b = rb::make_cuda_backend(host, rb::BackendOptions{"cuda", 0, -1});
    const auto sa = score(*a, streamed, 100, 3), sb = score(*b, host, 100, 3);
    const ScoreDiff d = compare_scores(sa, sb);
    BOOST_TEST_MESSAGE(name << ": streamed vs fp32 host path max |diff| " << d.max_abs);
    BOOST_TEST(d.max_abs == 0.0);
  }
}

// Every bias a Llama checkpoint can carry (q/k/v/o, gate/up/down) runs on the GPU: the CUDA
// backend stays within the bf16 budget of the CPU reference (which matches transformers within
// 1e-4, test_cpu_torch), while dropping the biases moves the CPU scores far more.
BOOST_AUTO_TEST_CASE(biases_run_on_the_gpu_as_on_the_cpu) {
  for (const char* name : {"llama", "llama_mlp_bias"}) {
    const std::string dir = std::string(RB_FIXTURES) + "/cpu/" + name;
    const rb::Model m = rb::load_model(dir, rb::LoadOptions{.load_tokenizer = false});
    rb::Model no_bias;
    no_bias.config = m.config;
    no_bias.weights = rb::load_safetensors_weights(dir);
    for (auto& [tensor, t] : no_bias.weights.tensors)
      if (tensor.size() > 5 && tensor.compare(tensor.size() - 5, 5, ".bias") == 0) std::fill(t.data.begin(), t.data.end(), 0.0f);
    auto gpu = rb::make_cuda_backend(m, rb::BackendOptions{"cuda", 0, -1});
    auto cpu = rb::make_cpu_backend(m, rb::BackendOptions{"cpu", 0, -1});
    auto cpu_no_bias = rb::make_cpu_backend(no_bias, rb::BackendOptions{"cpu", 0, -1});
    const auto ref = score(*cpu, m, 48, 7);
    const ScoreDiff d = compare_scores(score(*gpu, m, 48, 7), ref);
    const ScoreDiff effect = compare_scores(score(*cpu_no_bias, no_bias, 48, 7), ref);
    BOOST_TEST_MESSAGE(name << ": mean |gpu - cpu| " << d.mean_abs << ", effect of the biases " << effect.mean_abs);
    BOOST_TEST(d.finite);
    BOOST_TEST(d.mean_abs <= 0.1 * effect.mean_abs);
    BOOST_TEST(d.argmax_agreement >= 0.9);
  }
}

// The families beyond Llama on the GPU (tests/fixtures/cpu/qwen3, mistral_sw, qwen2_sw, phi3, gemma3
// from transformers): q/k norms, sliding windows, Phi-3's fused projections and partial rotary,
// Gemma-3's scaled embeddings, (1 + w) and sandwich norms, GeGLU, attention scale and two RoPEs; the
// CUDA backend within the bf16 budget of the
// CPU reference (which matches transformers within 1e-4, test_cpu_torch), while full attention
// everywhere (the window ignored) moves the CPU scores far more.
BOOST_AUTO_TEST_CASE(qk_norm_and_sliding_windows_run_on_the_gpu_as_on_the_cpu) {
  for (const char* name : {"qwen3", "mistral_sw", "qwen2_sw", "phi3", "gemma3"}) {
    const std::string dir = std::string(RB_FIXTURES) + "/cpu/" + name;
    const rb::Model m = rb::load_model(dir, rb::LoadOptions{.load_tokenizer = false});
    rb::Model full = rb::load_model(dir, rb::LoadOptions{.load_tokenizer = false});
    full.config.sliding_window = 0;
    BOOST_REQUIRE(m.config.sliding_window > 0);
    auto gpu = rb::make_cuda_backend(m, rb::BackendOptions{"cuda", 0, -1});
    auto cpu = rb::make_cpu_backend(m, rb::BackendOptions{"cpu", 0, -1});
    auto cpu_full = rb::make_cpu_backend(full, rb::BackendOptions{"cpu", 0, -1});
    for (int64_t L : {48, 200}) {
      const auto ref = score(*cpu, m, L, 7);
      const ScoreDiff d = compare_scores(score(*gpu, m, L, 7), ref);
      const ScoreDiff effect = compare_scores(score(*cpu_full, full, L, 7), ref);
      BOOST_TEST_MESSAGE(name << " L=" << L << ": mean |gpu - cpu| " << d.mean_abs << ", effect of the window "
                              << effect.mean_abs);
      BOOST_TEST(d.finite);
      BOOST_TEST(d.mean_abs <= 0.1 * effect.mean_abs);
      BOOST_TEST(d.argmax_agreement >= 0.9);
    }
  }
}
