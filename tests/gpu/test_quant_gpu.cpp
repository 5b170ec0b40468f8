// 4-bit weights on the GPU: the dequantization kernel against QuantizedMatrix::dequantize_rows
// (the CPU's values, rounded once to T) bit for bit, for every scheme and for shapes that take
// either kernel; and whole forwards: a 4-bit model on the GPU scores exactly as the same model with
// its dequantized weights uploaded dense, and agrees with the CPU backend as the dense model does.
#define BOOST_TEST_MODULE quant_gpu
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "model_core/cuda/cuda_backend.hpp"
#include "model_core/cuda/dequant.hpp"
#include "model_core/loaders/quantize_at_load.hpp"
#include "quant/quant_options.hpp"
#include "quant/quantizers.hpp"
#include "tests/gpu/device_util.hpp"
#include "tests/gpu/forward_compare.hpp"
#include "tests/gpu/require_device.hpp"

using namespace rbtest;

namespace {

std::vector<float> random_weights(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 0.05f);
  std::vector<float> w(static_cast<size_t>(n));
  for (float& x : w) x = d(rng);
  w[static_cast<size_t>(n / 3)] = 0.9f;  // an outlier
  return w;
}

template <typename U>
rb::cuda::DeviceBuffer<U> upload(const std::vector<U>& v) {
  rb::cuda::DeviceBuffer<U> d(std::max<std::size_t>(v.size(), 1));
  if (!v.empty()) CUDA_CHECK(cudaMemcpy(d.get(), v.data(), v.size() * sizeof(U), cudaMemcpyHostToDevice));
  return d;
}

// Dequantizes `q` on the device into T and checks every value equals round_t<T>(CPU value).
template <typename T>
void check_kernel(const rb::quant::QuantizedMatrix& q, const std::string& what) {
  auto codes = upload(q.codes);
  auto scale = upload(q.scale);
  auto zero = upload(q.zero);
  auto bias = upload(q.bias);
  auto g_idx = upload(q.g_idx);
  rb::cuda::QuantView v;
  v.codes = codes.get();
  v.scale = scale.get();
  v.zero = q.zero.empty() ? nullptr : zero.get();
  v.bias = q.bias.empty() ? nullptr : bias.get();
  v.g_idx = q.g_idx.empty() ? nullptr : g_idx.get();
  std::copy(q.table.begin(), q.table.end(), v.table);
  v.rows = q.rows;
  v.cols = q.cols;
  v.group_size = q.group_size;
  v.groups_per_row = !q.g_idx.empty() ? q.g_idx_groups : (q.cols % q.group_size == 0 ? q.cols / q.group_size : 0);
  v.round_to_fp16 = q.round_to_fp16;
  rb::cuda::DeviceBuffer<T> out(static_cast<size_t>(q.rows * q.cols));
  rb::cuda::dequantize<T>(v, out.get(), nullptr);
  CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<uint16_t> bits(static_cast<size_t>(q.rows * q.cols));
  CUDA_CHECK(cudaMemcpy(bits.data(), out.get(), bits.size() * 2, cudaMemcpyDeviceToHost));
  std::vector<float> expected(bits.size());
  q.dequantize_rows(0, q.rows, expected.data());
  int64_t mismatches = 0, first = -1;
  for (size_t i = 0; i < bits.size(); ++i)
    if (bits[i] != bits_t<T>(expected[i])) {
      if (first < 0) first = static_cast<int64_t>(i);
      ++mismatches;
    }
  BOOST_CHECK_MESSAGE(mismatches == 0, what << ": " << mismatches << " of " << bits.size()
                                            << " values differ from the CPU's, first at " << first);
}

}  // namespace

BOOST_GLOBAL_FIXTURE(RequireDevice);

BOOST_AUTO_TEST_CASE(dequantization_kernel_matches_the_cpu_bit_for_bit) {
  struct Shape { int64_t rows, cols; };
  for (const Shape s : {Shape{96, 256}, Shape{7, 100}, Shape{3, 72}, Shape{64, 4096}}) {
    const std::vector<float> w = random_weights(s.rows * s.cols, static_cast<uint32_t>(s.rows * 1000 + s.cols));
    const std::string shape = std::to_string(s.rows) + "x" + std::to_string(s.cols);
    std::vector<std::pair<std::string, rb::quant::QuantizedMatrix>> cases;
    cases.emplace_back("nf4 " + shape, rb::quant::quantize_nf4(w.data(), s.rows, s.cols, false, "test"));
    cases.emplace_back("nf4-dq " + shape, rb::quant::quantize_nf4(w.data(), s.rows, s.cols, true, "test"));
    for (const int64_t g : {int64_t{4}, int64_t{32}, int64_t{128}})
      if (s.cols % g == 0) {
        cases.emplace_back("int4 g" + std::to_string(g) + " " + shape,
                           rb::quant::quantize_int4(w.data(), s.rows, s.cols, g, true, "test"));
        cases.emplace_back("int4-asym g" + std::to_string(g) + " " + shape,
                           rb::quant::quantize_int4(w.data(), s.rows, s.cols, g, false, "test"));
      }
    // GPTQ-like: act-order group per column, fp16 rounding of the result.
    if (s.cols % 8 == 0) {
      rb::quant::QuantizedMatrix q = rb::quant::quantize_int4(w.data(), s.rows, s.cols, 8, false, "test");
      std::mt19937 rng(5);
      q.g_idx.resize(static_cast<size_t>(s.cols));
      for (auto& g : q.g_idx) g = static_cast<int32_t>(rng() % static_cast<uint32_t>(s.cols / 8));
      q.g_idx_groups = s.cols / 8;
      q.round_to_fp16 = true;
      cases.emplace_back("act-order fp16 " + shape, std::move(q));
    }
    for (const auto& [what, q] : cases) {
      check_kernel<__nv_bfloat16>(q, what + " bf16");
      check_kernel<__half>(q, what + " fp16");
    }
  }
}

// A 4-bit model scores exactly as the dense model holding its dequantized values (the GEMM sees
// the same bf16 weights either way), and agrees with the CPU backend running the 4-bit model as
// closely as the dense GPU forward agrees with the dense CPU one.
BOOST_AUTO_TEST_CASE(quantized_forward_equals_dequantized_dense_forward) {
  const rb::ModelConfig c = tiny_config(256, 4, 2, 64, 512, 1000, 2, true);
  for (const std::string label : {"nf4", "nf4-dq", "int4-g32", "int4-asym-g64"}) {
    rb::Model quantized = random_model(c, 9, 0.3f);
    const std::string name = label.substr(0, label.find("-g"));
    const int64_t group = label.find("-g") == std::string::npos ? 0 : std::stoll(label.substr(label.find("-g") + 2));
    rb::quantize_projections(quantized.weights, c, rb::quant::parse_quant_options(name, group, "test", "quant"));
    rb::Model dense = random_model(c, 9, 0.3f);
    for (auto& [tensor_name, t] : quantized.weights.tensors)
      if (t.is_packed()) {
        rb::HostTensor& d = dense.weights.tensors.at(tensor_name);
        t.packed->dequantize_rows(0, t.packed->rows, d.data.data());
      }
    auto gpu_q = rb::make_cuda_backend(quantized, rb::BackendOptions{"cuda", 0, -1});
    auto gpu_d = rb::make_cuda_backend(dense, rb::BackendOptions{"cuda", 0, -1});
    auto cpu_q = rb::make_cpu_backend(quantized, rb::BackendOptions{"cpu", 0, -1});
    auto cpu_d = rb::make_cpu_backend(dense, rb::BackendOptions{"cpu", 0, -1});
    const int64_t L = 96;
    const auto windows = random_windows(2, L, c.vocab_size, 3);
    const auto s = default_schedule(c, L);
    const auto q_scores = gpu_q->score(spans(windows), s);
    const ScoreDiff same = compare_scores(q_scores, gpu_d->score(spans(windows), s));
    BOOST_TEST_MESSAGE(label << ": 4-bit vs dequantized dense on the GPU: max " << same.max_abs);
    BOOST_CHECK_MESSAGE(same.max_abs == 0.0, label << ": the 4-bit GPU forward differs from the dense one by "
                                                    << same.max_abs);
    const ScoreDiff cpu_same = compare_scores(cpu_q->score(spans(windows), s), cpu_d->score(spans(windows), s));
    BOOST_CHECK_MESSAGE(cpu_same.max_abs == 0.0, label << ": the 4-bit CPU forward differs from the dense one by "
                                                        << cpu_same.max_abs);
    // bf16 against fp32 on a 4-bit model is as close as on the full-precision model it came from.
    const ScoreDiff vs_cpu = compare_scores(q_scores, cpu_q->score(spans(windows), s));
    const rb::Model full = random_model(c, 9, 0.3f);
    const ScoreDiff full_vs_cpu = compare_scores(rb::make_cuda_backend(full, rb::BackendOptions{"cuda", 0, -1})->score(spans(windows), s),
                                                 rb::make_cpu_backend(full, rb::BackendOptions{"cpu", 0, -1})->score(spans(windows), s));
    BOOST_TEST_MESSAGE(label << ": GPU vs CPU on the 4-bit model: mean " << vs_cpu.mean_abs << ", max "
                             << vs_cpu.max_abs << ", argmax agreement " << vs_cpu.argmax_agreement
                             << "; on the full-precision model: mean " << full_vs_cpu.mean_abs);
    BOOST_CHECK(vs_cpu.finite);
    BOOST_CHECK_LE(vs_cpu.mean_abs, 2.0 * full_vs_cpu.mean_abs);
    BOOST_CHECK_GE(vs_cpu.argmax_agreement, 0.9);
    const rb::CudaMemoryStats m = dynamic_cast<rb::CudaBackend&>(*gpu_q).memory_stats();
    const rb::CudaMemoryStats md = dynamic_cast<rb::CudaBackend&>(*gpu_d).memory_stats();
    BOOST_TEST_MESSAGE(label << ": weights " << m.weights_gib << " GiB (dense " << md.weights_gib << "), dequant buffers "
                             << m.dequant_gib << " GiB");
    BOOST_CHECK_LT(m.weights_gib, md.weights_gib);
    BOOST_CHECK_GT(m.dequant_gib, 0.0);
  }
}

// Random 4-bit weights of the benchmark path run and give finite scores.
BOOST_AUTO_TEST_CASE(random_quantized_weights_run) {
  const rb::ModelConfig c = tiny_config(256, 4, 2, 64, 512, 1000, 2, false);
  for (const char* q : {"nf4", "int4", "int4-g64"}) {
    auto b = rb::make_cuda_backend_random(c, 3, rb::BackendOptions{"cuda", 0, -1}, q);
    const auto windows = random_windows(1, 64, c.vocab_size, 1);
    const ScoreDiff d = compare_scores(b->score(spans(windows), default_schedule(c, 64)), b->score(spans(windows), default_schedule(c, 64)));
    BOOST_CHECK(d.finite);
    BOOST_CHECK_EQUAL(d.max_abs, 0.0);
  }
  BOOST_CHECK_THROW(rb::make_cuda_backend_random(c, 3, rb::BackendOptions{"cuda", 0, -1}, "fp8"), std::exception);
}
