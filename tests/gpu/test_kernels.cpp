// Each CUDA kernel against its plain CPU reference (tests/gpu/reference.hpp) on fresh random
// inputs of awkward sizes. Inputs are drawn already rounded to the activation type, so the
// reference sees exactly the values the kernel sees; tolerances then only cover fp32-vs-double
// accumulation and the kernel's documented roundings (stated at each check).
#define BOOST_TEST_MODULE cuda_kernels
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "model_core/cuda/blas.hpp"
#include "model_core/cuda/cuda_backend.hpp"
#include "model_core/cuda/kernels.hpp"
#include "model_core/cuda/lm_head.hpp"
#include "tests/gpu/attention_problem.hpp"
#include "tests/gpu/device_util.hpp"
#include "tests/gpu/reference.hpp"
#include "tests/gpu/require_device.hpp"

using namespace rbtest;
using rb::cuda::DeviceBuffer;
using bf16 = __nv_bfloat16;

namespace {

std::string tag(std::initializer_list<std::pair<const char*, int64_t>> kv) {
  std::ostringstream s;
  for (const auto& [k, v] : kv) s << k << "=" << v << " ";
  return s.str();
}

}  // namespace

BOOST_GLOBAL_FIXTURE(RequireDevice);

BOOST_AUTO_TEST_CASE(rmsnorm_with_and_without_residual_add) {
  std::mt19937 rng(1);
  for (int64_t rows : {1, 7, 129})
    for (int64_t hidden : {64, 1000, 1002, 4096})  // 1002: not a multiple of 4, the scalar kernel
      for (bool with_delta : {false, true})
        for (bool round_residual : {true, false})
          for (float offset : {0.0f, 1.0f}) {  // LlamaRMSNorm, Gemma3RMSNorm
          std::vector<float> residual = random_t<bf16>(rows * hidden, rng, -3.0f, 3.0f);
          const std::vector<float> delta = random_t<bf16>(rows * hidden, rng);
          const std::vector<float> w = random_t<bf16>(hidden, rng, 0.5f, 1.5f);
          DeviceBuffer<float> d_res = upload(residual);
          auto d_delta = upload_t<bf16>(delta);
          auto d_w = upload_t<bf16>(w);
          DeviceBuffer<bf16> d_out(rows * hidden);
          rb::cuda::add_rmsnorm<bf16>(d_res.get(), with_delta ? d_delta.get() : nullptr, d_w.get(), d_out.get(), rows,
                                      hidden, 1e-5f, round_residual, nullptr, offset);
          std::vector<float> out_ref;
          rmsnorm_ref(residual, with_delta ? &delta : nullptr, w, out_ref, rows, hidden, 1e-5f, round_residual,
                      round_t<bf16>, offset);
          const std::string t = tag({{"rows", rows}, {"hidden", hidden}, {"delta", with_delta}, {"round", round_residual},
                                     {"offset", offset}});
          // The residual add is one fp32 add (+ one rounding): exact up to that rounding.
          check_close(download(d_res.get(), rows * hidden), residual, 1e-6, 1e-6, "rmsnorm residual " + t);
          // Output: two bf16 roundings after an fp32 normalization (rsqrtf vs a double sqrt). Where the
          // first rounding flips by one ulp, the weight (up to 1.5) carries it into the product:
          // 2 bf16 ulps (2^-7 relative) slack.
          check_close(download_t(d_out.get(), rows * hidden), out_ref, 1e-6, 1.0 / 64, "rmsnorm out " + t);
        }
}

// The residual stored in bf16 (the default, RB_CUDA_RESIDUAL=bf16) holds the same values as the
// fp32 copy the same rounding keeps: the stream and the normed output agree bit for bit, through
// the embedding (scaled as transformers scales it) and a chain of residual adds.
BOOST_AUTO_TEST_CASE(rmsnorm_residual_stored_in_t_is_bit_identical) {
  std::mt19937 rng(21);
  const int64_t vocab = 300;
  for (int64_t rows : {1, 33})
    for (int64_t hidden : {576, 1002, 4096})  // 1002: the scalar kernel
      for (float scale : {1.0f, 24.0f})
        for (float offset : {0.0f, 1.0f}) {
          const std::vector<float> table = random_t<bf16>(vocab * hidden, rng, -2.0f, 2.0f);
          const std::vector<float> w = random_t<bf16>(hidden, rng, 0.5f, 1.5f);
          std::vector<int32_t> tokens(static_cast<size_t>(rows));
          for (auto& t : tokens) t = static_cast<int32_t>(rng() % vocab);
          auto d_table = upload_t<bf16>(table);
          auto d_w = upload_t<bf16>(w);
          auto d_tok = upload(tokens);
          DeviceBuffer<float> res_f32(rows * hidden);
          DeviceBuffer<bf16> res_t(rows * hidden), out_f32(rows * hidden), out_t(rows * hidden);
          rb::cuda::embed_rows<bf16>(d_tok.get(), rows, d_table.get(), hidden, vocab, res_f32.get(), nullptr, scale, true);
          rb::cuda::embed_rows<bf16>(d_tok.get(), rows, d_table.get(), hidden, vocab, res_t.get(), nullptr, scale, true);
          const std::string t = tag({{"rows", rows}, {"hidden", hidden}, {"scale", static_cast<int64_t>(scale)},
                                     {"offset", static_cast<int64_t>(offset)}});
          for (int step = 0; step < 4; ++step) {
            const std::vector<float> delta = random_t<bf16>(rows * hidden, rng, -4.0f, 4.0f);
            auto d_delta = upload_t<bf16>(delta);
            const bf16* dp = step == 0 ? nullptr : d_delta.get();  // step 0: the plain first norm
            rb::cuda::add_rmsnorm<bf16>(res_f32.get(), dp, d_w.get(), out_f32.get(), rows, hidden, 1e-5f, true, nullptr,
                                        offset);
            rb::cuda::add_rmsnorm<bf16>(res_t.get(), dp, d_w.get(), out_t.get(), rows, hidden, 1e-5f, true, nullptr, offset);
            const std::string ts = t + "step=" + std::to_string(step);
            check_close(download_t(res_t.get(), rows * hidden), download(res_f32.get(), rows * hidden), 0.0, 0.0,
                        "bf16-stored residual " + ts);
            check_close(download_t(out_t.get(), rows * hidden), download_t(out_f32.get(), rows * hidden), 0.0, 0.0,
                        "normed from the bf16-stored residual " + ts);
          }
        }
  // A residual in T without T rounding would lose bits: refused, not rounded silently.
  DeviceBuffer<bf16> r(64), d(64), wt(64), o(64);
  BOOST_CHECK_THROW(rb::cuda::add_rmsnorm<bf16>(r.get(), d.get(), wt.get(), o.get(), 1, 64, 1e-5f, false, nullptr),
                    rb::Error);
}

// Gemma-3's post-block norms and q/k norms: groups of a row normed in place, (1 + w) or w.
BOOST_AUTO_TEST_CASE(group_rmsnorm_in_place) {
  std::mt19937 rng(12);
  struct Case { int64_t rows; int heads, dim; int64_t ld; };
  for (const Case& c : {Case{7, 1, 2560, 2560}, Case{129, 4, 256, 1536}, Case{3, 2, 16, 40}})
    for (float offset : {0.0f, 1.0f}) {
      const std::vector<float> x = random_t<bf16>(c.rows * c.ld, rng, -3.0f, 3.0f);
      const std::vector<float> w = random_t<bf16>(c.dim, rng, -0.5f, 0.5f);
      auto d_x = upload_t<bf16>(x);
      auto d_w = upload_t<bf16>(w);
      rb::cuda::head_rmsnorm<bf16>(d_x.get(), c.rows, c.heads, c.dim, c.ld, d_w.get(), 1e-6f, nullptr, offset);
      std::vector<float> ref = x;
      for (int64_t r = 0; r < c.rows; ++r)
        for (int h = 0; h < c.heads; ++h) {
          std::vector<float> group(x.begin() + r * c.ld + h * c.dim, x.begin() + r * c.ld + (h + 1) * c.dim), out;
          rmsnorm_ref(group, nullptr, w, out, 1, c.dim, 1e-6f, false, round_t<bf16>, offset);
          std::copy(out.begin(), out.end(), ref.begin() + r * c.ld + h * c.dim);
        }
      check_close(download_t(d_x.get(), c.rows * c.ld), ref, 1e-6, 1.0 / 128,
                  "group rmsnorm " + tag({{"rows", c.rows}, {"heads", c.heads}, {"dim", c.dim}, {"offset", offset}}));
    }
}

BOOST_AUTO_TEST_CASE(embedding_gather) {
  std::mt19937 rng(2);
  const int64_t vocab = 1000, hidden = 96, rows = 129;
  const std::vector<float> table = random_t<bf16>(vocab * hidden, rng);
  std::vector<int32_t> tokens(rows);
  for (auto& t : tokens) t = static_cast<int32_t>(rng() % vocab);
  auto d_table = upload_t<bf16>(table);
  auto d_tok = upload(tokens);
  DeviceBuffer<float> d_res(rows * hidden);
  rb::cuda::embed_rows<bf16>(d_tok.get(), rows, d_table.get(), hidden, vocab, d_res.get(), nullptr);
  std::vector<float> ref(rows * hidden);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < hidden; ++c) ref[r * hidden + c] = table[tokens[r] * hidden + c];
  check_close(download(d_res.get(), rows * hidden), ref, 0.0, 0.0, "embedding");
  // Gemma3TextScaledWordEmbedding: times sqrt(hidden) in fp32, or as transformers in bf16 (the
  // scale and the product rounded to bf16).
  const float scale = std::sqrt(static_cast<float>(hidden));
  for (bool hf : {false, true}) {
    rb::cuda::embed_rows<bf16>(d_tok.get(), rows, d_table.get(), hidden, vocab, d_res.get(), nullptr, scale, hf);
    std::vector<float> scaled(ref.size());
    for (size_t i = 0; i < ref.size(); ++i) scaled[i] = hf ? round_t<bf16>(ref[i] * round_t<bf16>(scale)) : ref[i] * scale;
    check_close(download(d_res.get(), rows * hidden), scaled, 0.0, 0.0, hf ? "embedding scaled (hf)" : "embedding scaled");
  }
}

BOOST_AUTO_TEST_CASE(rope_with_positions_scales_bias_partial_rotary) {
  std::mt19937 rng(3);
  struct Case { int64_t batch, L, H, KV, D, rotary; bool bias, qscale, bands; float attn_scaling; };
  const Case cases[] = {
      {1, 1, 2, 1, 64, 64, false, false, false, 1.0f},
      {2, 7, 4, 2, 16, 16, true, true, true, 1.2f},
      {1, 129, 4, 1, 128, 128, false, false, true, 1.0f},
      {3, 129, 4, 4, 64, 32, true, true, false, 0.9f},  // partial rotary
      {1, 1000, 8, 2, 128, 128, true, false, false, 1.0f},
      {2, 33, 2, 1, 10, 6, true, true, true, 1.0f},  // an odd number of rotary pairs: one pair per thread
      {2, 17, 3, 1, 12, 12, true, true, true, 1.0f}, // 6 pairs: two per thread
      {2, 9, 2, 1, 8, 8, true, true, true, 1.0f},    // 4 pairs: four per thread (8 where rotary % 16 == 0)
      {2, 5, 3, 1, 24, 8, true, true, false, 1.0f},  // four per thread, partial rotary
      {3, 100, 32, 4, 64, 64, false, false, false, 1.0f},  // TinyLlama's heads: 3 rows per block, a last partial block
  };
  for (const Case& c : cases) {
    const int64_t rows = c.batch * c.L, width = (c.H + 2 * c.KV) * c.D, half = c.rotary / 2;
    RopeRefArgs a{rows, c.L, c.H, c.KV, c.D, c.rotary, {}, {}, {}, {}, {}, c.attn_scaling, nullptr};
    for (int64_t i = 0; i < half; ++i)
      a.inv_freq.push_back(static_cast<float>(1.0 / std::pow(10000.0, 2.0 * i / c.rotary)) * 0.7f);
    for (int64_t t = 0; t < c.L; ++t) a.positions.push_back(t * 0.75f + 3.0f);  // a non-identity position map
    if (c.qscale)
      for (int64_t t = 0; t < c.L; ++t) a.query_scale.push_back(1.0f + 0.01f * static_cast<float>(t % 13));
    if (c.bands) {
      for (int64_t i = 0; i < half; ++i) a.q_band.push_back(0.8f + 0.4f * i / half);
      for (int64_t i = 0; i < half; ++i) a.k_band.push_back(1.3f - 0.5f * i / half);
    }
    std::vector<float> qkv = random_t<bf16>(rows * width, rng, -2.0f, 2.0f);
    const std::vector<float> bias = random_t<bf16>(width, rng, -0.5f, 0.5f);
    if (c.bias) a.bias = &bias;
    auto d_qkv = upload_t<bf16>(qkv);
    auto d_bias = upload_t<bf16>(bias);
    // The same rows one element off their alignment: the one-pair-per-thread kernel (the others
    // take 8, 4 or 2 pairs per thread where the shape allows).
    DeviceBuffer<bf16> d_shifted(rows * width + 1);
    CUDA_CHECK(cudaMemcpy(d_shifted.get() + 1, d_qkv.get(), rows * width * sizeof(bf16), cudaMemcpyDeviceToDevice));
    DeviceBuffer<bf16> d_bias_shifted(width + 1);
    CUDA_CHECK(cudaMemcpy(d_bias_shifted.get() + 1, d_bias.get(), width * sizeof(bf16), cudaMemcpyDeviceToDevice));
    auto d_inv = upload(a.inv_freq), d_pos = upload(a.positions);
    auto d_qs = upload(a.query_scale), d_qb = upload(a.q_band), d_kb = upload(a.k_band);
    DeviceBuffer<float> d_cos(c.L * half), d_sin(c.L * half);
    rb::cuda::rope_table(d_inv.get(), d_pos.get(), c.L, half, c.attn_scaling, d_cos.get(), d_sin.get(), nullptr);
    rb::cuda::QkvShape s{rows, c.L, c.H, c.KV, c.D, c.rotary};
    rb::cuda::qkv_bias_rope<bf16>(d_qkv.get(), c.bias ? d_bias.get() : nullptr, d_cos.get(), d_sin.get(),
                                  c.qscale ? d_qs.get() : nullptr, c.bands ? d_qb.get() : nullptr,
                                  c.bands ? d_kb.get() : nullptr, s, nullptr);
    rb::cuda::qkv_bias_rope<bf16>(d_shifted.get() + 1, c.bias ? d_bias_shifted.get() + 1 : nullptr, d_cos.get(), d_sin.get(),
                                  c.qscale ? d_qs.get() : nullptr, c.bands ? d_qb.get() : nullptr,
                                  c.bands ? d_kb.get() : nullptr, s, nullptr);
    const std::vector<float> paired = download_t(d_qkv.get(), rows * width);
    const std::vector<float> single = download_t(d_shifted.get() + 1, rows * width);
    BOOST_TEST(paired == single, boost::test_tools::per_element());
    rope_ref(qkv, a, round_t<bf16>);
    // fp32 cos/sin and products vs double: ~1e-6 relative before the final bf16 rounding, which
    // may then differ by one bf16 ulp (2^-8 relative) at a rounding boundary.
    check_close(download_t(d_qkv.get(), rows * width), qkv, 1e-3, 1.0 / 128,
                "rope " + tag({{"L", c.L}, {"D", c.D}, {"rotary", c.rotary}, {"bias", c.bias}}));
  }
}

BOOST_AUTO_TEST_CASE(swiglu_matches_hf_rounding) {
  std::mt19937 rng(4);
  for (int64_t rows : {1, 7, 129})
    for (int64_t ff : {24, 1000, 1004})  // 16-byte vectors (ff % 8 == 0) and the scalar kernel
      for (bool hf : {true, false})
        for (bool gelu : {false, true}) {  // SwiGLU (Llama), GeGLU with tanh GELU (Gemma-3)
          const std::vector<float> gu = random_t<bf16>(rows * 2 * ff, rng, -6.0f, 6.0f);
          auto d_gu = upload_t<bf16>(gu);
          DeviceBuffer<bf16> d_out(rows * ff);
          rb::cuda::swiglu<bf16>(d_gu.get(), d_out.get(), rows, ff, hf, nullptr,
                                 gelu ? rb::cuda::GluAct::GeluTanh : rb::cuda::GluAct::Silu);
          std::vector<float> ref;
          swiglu_ref(gu, ref, rows, ff, hf, round_t<bf16>, gelu);
          // expf/tanhf vs exp/tanh: 1e-7 relative; bf16 roundings may flip by one ulp.
          check_close(download_t(d_out.get(), rows * ff), ref, 1e-6, 1.0 / 64,
                      "glu " + tag({{"rows", rows}, {"ff", ff}, {"hf", hf}, {"gelu", gelu}}));
          // A misaligned output takes the scalar kernel: the same values bit for bit.
          DeviceBuffer<bf16> d_shifted(rows * ff + 1);
          rb::cuda::swiglu<bf16>(d_gu.get(), d_shifted.get() + 1, rows, ff, hf, nullptr,
                                 gelu ? rb::cuda::GluAct::GeluTanh : rb::cuda::GluAct::Silu);
          const std::vector<float> vec = download_t(d_out.get(), rows * ff);
          const std::vector<float> shifted = download_t(d_shifted.get() + 1, rows * ff);
          BOOST_TEST(vec == shifted, boost::test_tools::per_element());
        }
}

// The looked-up activation (glu_table) against the computed one, bit for bit, over every 16-bit
// gate pattern (NaNs, infinities and subnormals included), for both element types and both
// activations; enough rows that each thread of the persistent grid takes its two-vector steps
// and a last single vector.
template <typename T>
void check_glu_table(rb::cuda::GluAct act) {
  const int64_t ff = 4096, rows = 601;
  std::vector<uint16_t> gu(static_cast<std::size_t>(rows * 2 * ff));
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> up_bits(0, 65535);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < ff; ++j) {
      gu[r * 2 * ff + j] = static_cast<uint16_t>((r * ff + j) % rb::cuda::kGluTableSize);
      gu[r * 2 * ff + ff + j] = static_cast<uint16_t>(up_bits(rng));
    }
  DeviceBuffer<T> d_gu(gu.size()), d_table(rb::cuda::kGluTableSize), d_lut(rows * ff), d_computed(rows * ff);
  CUDA_CHECK(cudaMemcpy(d_gu.get(), gu.data(), gu.size() * 2, cudaMemcpyHostToDevice));
  rb::cuda::glu_table<T>(d_table.get(), act, nullptr);
  rb::cuda::swiglu<T>(d_gu.get(), d_lut.get(), rows, ff, true, nullptr, act, d_table.get());
  rb::cuda::swiglu<T>(d_gu.get(), d_computed.get(), rows, ff, true, nullptr, act, nullptr);
  std::vector<uint16_t> lut(static_cast<std::size_t>(rows * ff)), computed(lut.size());
  CUDA_CHECK(cudaMemcpy(lut.data(), d_lut.get(), lut.size() * 2, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(computed.data(), d_computed.get(), computed.size() * 2, cudaMemcpyDeviceToHost));
  std::size_t differ = 0, first = 0;
  for (std::size_t i = 0; i < lut.size(); ++i)
    if (lut[i] != computed[i] && differ++ == 0) first = i;
  BOOST_CHECK_MESSAGE(differ == 0, differ << " outputs differ, the first at " << first << ": gate bits "
                                          << gu[first / ff * 2 * ff + first % ff] << ", table " << lut[first]
                                          << ", computed " << computed[first]);
}

BOOST_AUTO_TEST_CASE(swiglu_table_matches_computed) {
  for (const auto act : {rb::cuda::GluAct::Silu, rb::cuda::GluAct::GeluTanh}) {
    check_glu_table<bf16>(act);
    check_glu_table<__half>(act);
  }
}

// Every way of choosing the GEMM algorithm (blas.hpp) against the double reference, with x at a
// row stride > in and, for cuBLASLt, x one element off its alignment (the heuristic is told the
// pointers' real alignment). Tuned times its candidates on the call's own output first; the output
// must still be the chosen algorithm's, and a second call of the same shape reuses the plan.
BOOST_AUTO_TEST_CASE(linear_via_cublas) {
  std::mt19937 rng(5);
  const int64_t rows = 129, in = 96, out = 200, ldx = 112;  // x with a row stride > in
  const std::vector<float> x = random_t<bf16>(rows * ldx + 1, rng), w = random_t<bf16>(out * in, rng);
  auto d_x = upload_t<bf16>(x);
  auto d_w = upload_t<bf16>(w);
  for (const auto choice : {rb::cuda::GemmChoice::Cublas, rb::cuda::GemmChoice::Lt, rb::cuda::GemmChoice::Tuned})
    for (const int64_t shift : {0, 1}) {
      DeviceBuffer<bf16> d_y(rows * out), d_y2(rows * out);
      DeviceBuffer<float> d_yf(rows * out);
      std::string plans;
      {
        rb::cuda::Blas blas(nullptr, std::size_t{32} << 20, choice);
        const bf16* xs = d_x.get() + shift;
        blas.linear<bf16, bf16>(xs, ldx, d_w.get(), in, d_y.get(), out, rows, in, out);
        blas.linear<bf16, float>(xs, ldx, d_w.get(), in, d_yf.get(), out, rows, in, out);
        blas.linear<bf16, bf16>(xs, ldx, d_w.get(), in, d_y2.get(), out, rows, in, out);
        CUDA_CHECK(cudaDeviceSynchronize());
        plans = blas.describe_plans();
      }
      std::vector<double> ref(rows * out);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t o = 0; o < out; ++o) {
          double acc = 0.0;
          for (int64_t i = 0; i < in; ++i) acc += static_cast<double>(x[shift + r * ldx + i]) * w[o * in + i];
          ref[r * out + o] = acc;
        }
      const std::string what = "linear " + rb::cuda::to_string(choice) + " shift " + std::to_string(shift);
      // fp32 accumulation of 96 products of magnitude <= 1: |err| <= ~1e-5; bf16 output adds 2^-9 relative.
      check_close(download(d_yf.get(), rows * out), ref, 1e-4, 1e-5, what + " fp32 out");
      check_close(download_t(d_y.get(), rows * out), ref, 1e-4, 1.0 / 256, what + " bf16 out");
      BOOST_TEST(download_t(d_y.get(), rows * out) == download_t(d_y2.get(), rows * out),
                 boost::test_tools::per_element());
      // cuBLASLt: one plan per output type; cuBLAS keeps none.
      const auto lines = std::count(plans.begin(), plans.end(), '\n');
      BOOST_TEST(lines == (choice == rb::cuda::GemmChoice::Cublas ? 0 : 2), what << ": plans\n" << plans);
      BOOST_TEST_MESSAGE(what << ":\n" << plans);
    }
}

namespace {

// One attention problem through `which`, compared row by row with the double reference. Output
// tolerance for 16-bit inputs with fp32 accumulation: the output is rounded to T (2^-9 relative
// for bf16) and the tensor-core kernel rounds P to T before P V (2^-9 relative per weight,
// averaging out over keys), so 1e-2 absolute + 1e-2 relative (|o| <= 1 here) is ~5x the largest
// error expected and far below a real bug (wrong mask/scale/GQA head: errors ~0.1-1).
template <typename T>
void attention_case(int64_t batch, int64_t L, int64_t H, int64_t KV, int64_t D, rb::cuda::AttnKernel which,
                    std::mt19937& rng, const std::vector<int64_t>& only_rows = {}, int64_t window = 0) {
  const int64_t width = (H + 2 * KV) * D, rows = batch * L;
  // Queries scaled up so the softmax is peaked (exercises the running max).
  std::vector<float> qkv = random_t<T>(rows * width, rng);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < H * D; ++j) qkv[r * width + j] = round_t<T>(qkv[r * width + j] * 3.0f);
  auto d_qkv = upload_t<T>(qkv);
  DeviceBuffer<T> d_o(rows * H * D);
  rb::cuda::AttnArgs<T> a;
  a.q = d_qkv.get();
  a.k = d_qkv.get() + H * D;
  a.v = d_qkv.get() + (H + KV) * D;
  a.o = d_o.get();
  a.q_stride = a.kv_stride = width;
  a.o_stride = H * D;
  a.batch = static_cast<int>(batch);
  a.seq_len = static_cast<int>(L);
  a.heads = static_cast<int>(H);
  a.kv_heads = static_cast<int>(KV);
  a.head_dim = static_cast<int>(D);
  a.scale = 1.0f / std::sqrt(static_cast<float>(D));
  a.window = static_cast<int>(window);
  rb::cuda::flash_attention<T>(a, which, nullptr);
  const std::vector<float> got = download_t<T>(d_o.get(), rows * H * D);

  // The same q/k/v views as the kernel: q at offset 0, k at H*D, v at (H+KV)*D of each row.
  std::vector<float> kview(qkv.begin() + H * D, qkv.end()), vview(qkv.begin() + (H + KV) * D, qkv.end());
  kview.resize(rows * width, 0.0f);
  vview.resize(rows * width, 0.0f);
  const AttnRefShape s{batch, L, H, KV, D, width, width, window};
  std::vector<float> g;
  std::vector<double> r;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < L; ++t) {
      if (!only_rows.empty() && std::find(only_rows.begin(), only_rows.end(), t) == only_rows.end()) continue;
      for (int64_t h = 0; h < H; ++h) {
        const std::vector<double> ref = attention_row_ref(qkv, kview, vview, s, b, t, h);
        for (int64_t d = 0; d < D; ++d) {
          g.push_back(got[(b * L + t) * H * D + h * D + d]);
          r.push_back(ref[d]);
        }
      }
    }
  const char* kname = which == rb::cuda::AttnKernel::TensorCore ? "tc" : "simple";
  check_close(g, r, 1e-2, 1e-2,
              std::string("attention ") + kname + (sizeof(T) == 2 && std::is_same_v<T, __half> ? " fp16 " : " bf16 ") +
                  tag({{"B", batch}, {"L", L}, {"H", H}, {"KV", KV}, {"D", D}, {"window", window}}));
  // Every output (also rows not compared) must be finite.
  BOOST_CHECK_MESSAGE(std::all_of(got.begin(), got.end(), [](float x) { return std::isfinite(x); }),
                      "attention " << kname << ": non-finite output");
}

}  // namespace

BOOST_AUTO_TEST_CASE(attention_simple_kernel_awkward_shapes) {
  std::mt19937 rng(6);
  using K = rb::cuda::AttnKernel;
  attention_case<bf16>(1, 1, 2, 1, 64, K::Simple, rng);
  attention_case<bf16>(2, 7, 4, 2, 16, K::Simple, rng);
  attention_case<bf16>(1, 129, 4, 1, 24, K::Simple, rng);
  attention_case<bf16>(2, 129, 4, 4, 128, K::Simple, rng);
  attention_case<bf16>(1, 1000, 4, 2, 64, K::Simple, rng);
  attention_case<bf16>(1, 100, 2, 1, 256, K::Simple, rng);
  attention_case<__half>(1, 129, 4, 2, 64, K::Simple, rng);
}

// Sliding windows (Mistral, Qwen2/3 sliding layers): keys t - W < j <= t, against the banded
// reference; W = 1 (each token sees itself), W not a tile multiple, W longer than the window.
BOOST_AUTO_TEST_CASE(attention_simple_kernel_sliding_window) {
  std::mt19937 rng(16);
  using K = rb::cuda::AttnKernel;
  attention_case<bf16>(1, 129, 4, 2, 64, K::Simple, rng, {}, 16);
  attention_case<bf16>(2, 300, 4, 1, 128, K::Simple, rng, {}, 100);
  attention_case<bf16>(1, 1000, 4, 2, 64, K::Simple, rng, {}, 37);
  attention_case<bf16>(1, 70, 2, 2, 16, K::Simple, rng, {}, 1);
  attention_case<bf16>(1, 50, 2, 1, 24, K::Simple, rng, {}, 4096);
  attention_case<__half>(1, 129, 4, 2, 64, K::Auto, rng, {}, 33);  // auto: the simple kernel for a window
}

BOOST_AUTO_TEST_CASE(attention_tensor_core_kernel_awkward_shapes) {
  std::mt19937 rng(7);
  using K = rb::cuda::AttnKernel;
  for (int64_t D : {64, 128}) {
    attention_case<bf16>(1, 1, 2, 1, D, K::TensorCore, rng);
    attention_case<bf16>(2, 7, 4, 2, D, K::TensorCore, rng);
    attention_case<bf16>(1, 129, 4, 1, D, K::TensorCore, rng);
    attention_case<bf16>(2, 1000, 4, 4, D, K::TensorCore, rng);
    attention_case<bf16>(1, 1000, 8, 2, D, K::TensorCore, rng);
    attention_case<__half>(1, 129, 4, 2, D, K::TensorCore, rng);
  }
  attention_case<bf16>(1, 300, 4, 2, 80, K::TensorCore, rng);
  attention_case<bf16>(1, 300, 4, 1, 96, K::TensorCore, rng);
  attention_case<bf16>(1, 64, 2, 1, 128, K::TensorCore, rng);   // exactly one tile
  attention_case<bf16>(1, 65, 2, 1, 128, K::TensorCore, rng);   // one row into the second tile
}

BOOST_AUTO_TEST_CASE(attention_65536_tokens_spot_check) {
  std::mt19937 rng(8);
  const std::vector<int64_t> rows = {0, 1, 63, 64, 4097, 32768, 65535};
  attention_case<bf16>(1, 65536, 2, 1, 128, rb::cuda::AttnKernel::TensorCore, rng, rows);
  attention_case<bf16>(1, 65536, 2, 2, 64, rb::cuda::AttnKernel::Simple, rng, rows);
}

BOOST_AUTO_TEST_CASE(attention_startup_cross_check) {
  for (int D : {64, 80, 96, 128}) {
    const float diff = rb::cuda::attention_kernels_max_diff<bf16>(D, nullptr);
    BOOST_TEST_MESSAGE("tc vs simple, head_dim " << D << ": " << diff);
    BOOST_CHECK_LE(diff, 2e-2f);
  }
}

BOOST_AUTO_TEST_CASE(lm_head_logprob_argmax_over_vocab_chunks) {
  std::mt19937 rng(9);
  rb::cuda::Blas blas(nullptr);
  for (int64_t rows : {1, 7, 129, 1000})
    for (bool round_logits : {true, false}) {
      const int64_t hidden = 128, vocab = 1000;
      // x scaled so logits span ~[-8, 8]: a realistic softmax spread.
      const std::vector<float> x = random_t<bf16>(rows * hidden, rng, -1.0f, 1.0f);
      const std::vector<float> w = random_t<bf16>(vocab * hidden, rng, -0.25f, 0.25f);
      std::vector<int32_t> targets(rows);
      for (int64_t r = 0; r < rows; ++r) targets[r] = r % 5 == 4 ? -1 : static_cast<int32_t>(rng() % vocab);
      // Make some targets the argmax for sure: the reference decides which.
      auto d_x = upload_t<bf16>(x);
      auto d_w = upload_t<bf16>(w);
      rb::cuda::LmHeadArgs args;
      args.rows = rows;
      args.hidden = hidden;
      args.vocab = vocab;
      args.row_chunk = 100;    // several row chunks, the last one partial
      args.row_chunk_t = 200;  // bf16 logits: twice the rows in the same scratch
      args.vocab_chunk = 384;  // 1000 = 2 * 384 + 232: the last vocab chunk partial
      args.round_logits = round_logits;
      LmRef ref = lm_head_ref(x, w, targets, rows, hidden, vocab, round_logits, round_t<bf16>);
      // Second pass with targets set to the reference argmax where the margin is clear.
      for (int pass = 0; pass < 2; ++pass) {
        if (pass == 1) {
          for (int64_t r = 0; r < rows; ++r) {
            if (r % 2 == 0 || targets[r] < 0) continue;
            double best = -INFINITY;
            int32_t bi = 0;
            for (int64_t c = 0; c < vocab; ++c) {
              double acc = 0.0;
              for (int64_t k = 0; k < hidden; ++k) acc += static_cast<double>(x[r * hidden + k]) * w[c * hidden + k];
              if (acc > best) best = acc, bi = static_cast<int32_t>(c);
            }
            targets[r] = bi;
          }
          ref = lm_head_ref(x, w, targets, rows, hidden, vocab, round_logits, round_t<bf16>);
        }
        auto d_t = upload(targets);
        DeviceBuffer<float> scratch(args.row_chunk * args.vocab_chunk), d_lp(rows);
        DeviceBuffer<rb::cuda::LmState> state(rows);
        DeviceBuffer<uint8_t> d_am(rows);
        rb::cuda::lm_head_logprobs<bf16>(blas, d_x.get(), d_w.get(), d_t.get(), args, scratch.get(), state.get(),
                                         d_lp.get(), d_am.get(), nullptr);
        const auto lp = download(d_lp.get(), rows);
        const auto am = download(d_am.get(), rows);
        // Logits |z| <= ~8: fp32 GEMM error ~1e-5. With rounding to bf16 a logit at a rounding
        // boundary can land one ulp (2^-8 * |z| <= 0.03) away from the reference.
        const double tol = round_logits ? 0.07 : 1e-3;
        check_close(lp, ref.logprob, tol, 0.0,
                    "lm head logprob " + tag({{"rows", rows}, {"round", round_logits}, {"pass", pass}}));
        int mismatches = 0;
        for (int64_t r = 0; r < rows; ++r)
          if (am[r] != ref.is_argmax[r] && ref.margin[r] > tol) ++mismatches;
        BOOST_CHECK_MESSAGE(mismatches == 0, "lm head argmax: " << mismatches << " rows disagree with a clear margin");
      }
    }
}

// The vocabulary-parallel LM head's fold (lm_head_driver.cpp with an NcclGroup) on one device: two
// uneven vocabulary slices each build their rows' states, the group's collectives are done here on
// the host (max, sum, min: what NCCL computes), and the folded log-probs and argmax flags equal the
// whole vocabulary's within fp32 rounding of the rescaled sums.
BOOST_AUTO_TEST_CASE(vocab_parallel_fold_equals_the_whole_vocabulary) {
  std::mt19937 rng(23);
  rb::cuda::Blas blas(nullptr);
  const int64_t rows = 129, hidden = 64, vocab = 1000, split = 437;
  const std::vector<float> x = random_t<bf16>(rows * hidden, rng, -1.0f, 1.0f);
  const std::vector<float> w = random_t<bf16>(vocab * hidden, rng, -0.25f, 0.25f);
  std::vector<int32_t> targets(rows);
  for (int64_t r = 0; r < rows; ++r) targets[r] = r % 7 == 6 ? -1 : static_cast<int32_t>(rng() % vocab);
  auto d_x = upload_t<bf16>(x);
  auto d_w = upload_t<bf16>(w);
  auto d_t = upload(targets);
  rb::cuda::LmHeadArgs whole;
  whole.rows = rows;
  whole.hidden = hidden;
  whole.vocab = vocab;
  whole.row_chunk = rows;
  whole.vocab_chunk = vocab;
  DeviceBuffer<float> scratch(rows * vocab), lp_whole(rows), lp_fold(rows);
  DeviceBuffer<rb::cuda::LmState> state(rows);
  DeviceBuffer<uint8_t> am_whole(rows), am_fold(rows);
  rb::cuda::lm_head_logprobs<bf16>(blas, d_x.get(), d_w.get(), d_t.get(), whole, scratch.get(), state.get(),
                                   lp_whole.get(), am_whole.get(), nullptr);

  // Each slice: its states over its vocabulary rows, then packed maxima.
  const int64_t begin[2] = {0, split}, count[2] = {split, vocab - split};
  std::vector<DeviceBuffer<rb::cuda::LmState>> states;
  std::vector<DeviceBuffer<float>> bufs;
  states.reserve(2);
  bufs.reserve(2);
  for (int k = 0; k < 2; ++k) {
    states.emplace_back(rows);
    bufs.emplace_back(5 * rows);
    rb::cuda::lm_state_init(states[k].get(), rows, nullptr);
    // Logits in bf16 from the GEMM, as lm_head_logprobs makes them with round_logits.
    bf16* tile = reinterpret_cast<bf16*>(scratch.get());
    blas.linear<bf16, bf16>(d_x.get(), hidden, d_w.get() + begin[k] * hidden, hidden, tile, count[k], rows, hidden,
                            count[k]);
    rb::cuda::lm_state_update<bf16>(tile, rows, count[k], count[k], begin[k], d_t.get(), states[k].get(), nullptr);
    rb::cuda::lm_state_pack_maxima(states[k].get(), rows, bufs[k].get(), nullptr);
  }
  const auto all_reduce = [&](int64_t offset, int64_t n, auto op) {  // the group's collective, on the host
    std::vector<float> a = download(bufs[0].get() + offset, n), b = download(bufs[1].get() + offset, n);
    for (int64_t i = 0; i < n; ++i) a[i] = op(a[i], b[i]);
    for (int k = 0; k < 2; ++k)
      CUDA_CHECK(cudaMemcpy(bufs[k].get() + offset, a.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  };
  all_reduce(0, 3 * rows, [](float a, float b) { return std::max(a, b); });
  for (int k = 0; k < 2; ++k) rb::cuda::lm_state_rescale(states[k].get(), rows, bufs[k].get(), nullptr);
  all_reduce(3 * rows, rows, [](float a, float b) { return a + b; });
  all_reduce(4 * rows, rows, [](float a, float b) {  // the int32 indices, bit for bit
    int32_t ia, ib;
    std::memcpy(&ia, &a, 4);
    std::memcpy(&ib, &b, 4);
    const int32_t m = std::min(ia, ib);
    float out;
    std::memcpy(&out, &m, 4);
    return out;
  });
  rb::cuda::lm_state_unpack(states[1].get(), rows, bufs[1].get(), nullptr);
  rb::cuda::lm_state_finish(states[1].get(), d_t.get(), rows, lp_fold.get(), am_fold.get(), nullptr);
  const auto a = download(lp_whole.get(), rows), b = download(lp_fold.get(), rows);
  const auto fa = download(am_whole.get(), rows), fb = download(am_fold.get(), rows);
  check_close(b, a, 1e-5, 1e-6, "folded vs whole-vocabulary log-probs");
  BOOST_TEST(fa == fb, boost::test_tools::per_element());
  int argmax_rows = 0;
  for (auto f : fa) argmax_rows += f;
  BOOST_TEST_MESSAGE("rows whose target is the argmax: " << argmax_rows);
}

// A NaN logit is never dropped: wherever it sits (the first column a thread folds, inside a group,
// in the tail past the last whole group), its row's log-prob is NaN, and the other rows are not.
BOOST_AUTO_TEST_CASE(lm_state_update_keeps_a_nan_logit) {
  const int64_t rows = 4, cols = 1004;  // 125 groups of 8 and a tail of 4
  std::vector<float> logits(rows * cols, 0.5f);
  const int64_t nan_at[] = {0, 13, 1002};  // rows 0..2; row 3 stays finite
  for (int64_t r = 0; r < 3; ++r) logits[r * cols + nan_at[r]] = std::nanf("");
  const std::vector<int32_t> targets(rows, 7);
  auto d_b = upload_t<bf16>(logits);
  auto d_t = upload(targets);
  DeviceBuffer<rb::cuda::LmState> state(rows);
  rb::cuda::lm_state_init(state.get(), rows, nullptr);
  rb::cuda::lm_state_update<bf16>(d_b.get(), rows, cols, cols, 0, d_t.get(), state.get(), nullptr);
  DeviceBuffer<float> lp(rows);
  DeviceBuffer<uint8_t> am(rows);
  rb::cuda::lm_state_finish(state.get(), d_t.get(), rows, lp.get(), am.get(), nullptr);
  const auto got = download(lp.get(), rows);
  for (int64_t r = 0; r < 3; ++r) BOOST_TEST(std::isnan(got[r]), "row " << r << " (NaN at column " << nan_at[r] << "): " << got[r]);
  BOOST_TEST(got[3] == static_cast<float>(-std::log(1004.0)), boost::test_tools::tolerance(1e-5f));
}

// The fold over logits already in T equals the fold over fp32 logits rounded to T, bit for bit
// (the same values reach the same arithmetic), and so does the fold over T logits one element off
// their alignment (scalar loads instead of 16-byte vectors). Chunks of 384 columns split into whole
// groups of 8; chunks of 380 leave 4 columns to the per-column tail and misalign every other chunk.
BOOST_AUTO_TEST_CASE(lm_state_update_from_t_logits_equals_rounded_fp32_logits) {
  std::mt19937 rng(21);
  const int64_t rows = 37, cols = 1000;
  const std::vector<float> logits = random_t<bf16>(rows * cols, rng, -8.0f, 8.0f);  // bf16-representable
  std::vector<int32_t> targets(rows);
  for (int64_t r = 0; r < rows; ++r) targets[r] = r % 5 == 0 ? -1 : static_cast<int32_t>((r * 131) % cols);
  auto d_f = upload(logits);
  auto d_b = upload_t<bf16>(logits);
  DeviceBuffer<bf16> d_shifted(rows * cols + 1);
  CUDA_CHECK(cudaMemcpy(d_shifted.get() + 1, d_b.get(), rows * cols * sizeof(bf16), cudaMemcpyDeviceToDevice));
  auto d_t = upload(targets);
  for (int64_t chunk : {384, 380}) {
    DeviceBuffer<rb::cuda::LmState> sf(rows), sb(rows), ss(rows);
    rb::cuda::lm_state_init(sf.get(), rows, nullptr);
    rb::cuda::lm_state_init(sb.get(), rows, nullptr);
    rb::cuda::lm_state_init(ss.get(), rows, nullptr);
    for (int64_t c0 = 0; c0 < cols; c0 += chunk) {  // three chunks, as the head folds them
      const int64_t n = std::min<int64_t>(chunk, cols - c0);
      rb::cuda::lm_state_update<bf16>(d_f.get() + c0, rows, n, cols, c0, d_t.get(), sf.get(), true, nullptr);
      rb::cuda::lm_state_update<bf16>(d_b.get() + c0, rows, n, cols, c0, d_t.get(), sb.get(), nullptr);
      rb::cuda::lm_state_update<bf16>(d_shifted.get() + 1 + c0, rows, n, cols, c0, d_t.get(), ss.get(), nullptr);
    }
    DeviceBuffer<float> lf(rows), lb(rows), ls(rows);
    DeviceBuffer<uint8_t> af(rows), ab(rows), as(rows);
    rb::cuda::lm_state_finish(sf.get(), d_t.get(), rows, lf.get(), af.get(), nullptr);
    rb::cuda::lm_state_finish(sb.get(), d_t.get(), rows, lb.get(), ab.get(), nullptr);
    rb::cuda::lm_state_finish(ss.get(), d_t.get(), rows, ls.get(), as.get(), nullptr);
    BOOST_TEST_CONTEXT("chunk " << chunk) {
      const auto a = download(lf.get(), rows), b = download(lb.get(), rows), c = download(ls.get(), rows);
      BOOST_TEST(a == b, boost::test_tools::per_element());
      BOOST_TEST(b == c, boost::test_tools::per_element());
      const auto fa = download(af.get(), rows), fb = download(ab.get(), rows), fc = download(as.get(), rows);
      BOOST_TEST(fa == fb, boost::test_tools::per_element());
      BOOST_TEST(fb == fc, boost::test_tools::per_element());
      // The log-probs themselves, against a double-precision log-softmax of the same logits.
      for (int64_t r = 0; r < rows; ++r) {
        if (targets[r] < 0) continue;
        double mx = -INFINITY, sum = 0.0;
        for (int64_t k = 0; k < cols; ++k) mx = std::max<double>(mx, logits[r * cols + k]);
        for (int64_t k = 0; k < cols; ++k) sum += std::exp(logits[r * cols + k] - mx);
        const double want = logits[r * cols + targets[r]] - mx - std::log(sum);
        BOOST_TEST(std::abs(b[r] - want) < 1e-5, "row " << r << ": " << b[r] << " vs " << want);
      }
    }
  }
}
