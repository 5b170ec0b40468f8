// quantize_nf4 (bitsandbytes NF4, blocks of 64, optional double quantization): codes, block
// scales and dequantized values bit-identical to tests/fixtures/quant/nf4.json (transcribed
// bitsandbytes CUDA semantics, checked against bitsandbytes 0.50.2 by make_quant_fixtures.py),
// the quantization error bound on random weights, and the rejections.
#define BOOST_TEST_MODULE quant_nf4
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "quant/quantizers.hpp"

namespace fs = std::filesystem;
using rb::quant::QuantizedMatrix;

namespace {

const nlohmann::json& fixture() {
  static const nlohmann::json j = nlohmann::json::parse(std::ifstream(fs::path(RB_FIXTURES) / "quant" / "nf4.json"));
  return j;
}

std::vector<float> floats(const nlohmann::json& bits) {
  std::vector<float> v;
  for (const auto& b : bits) v.push_back(std::bit_cast<float>(b.get<uint32_t>()));
  return v;
}

int code_at(const QuantizedMatrix& m, int64_t r, int64_t c) {
  return (m.codes[static_cast<std::size_t>(r * m.row_bytes() + c / 2)] >> ((c & 1) * 4)) & 15;
}

std::string hex_codes(const QuantizedMatrix& m) {
  std::string s;
  for (int64_t r = 0; r < m.rows; ++r)
    for (int64_t c = 0; c < m.cols; ++c) s += "0123456789abcdef"[code_at(m, r, c)];
  return s;
}

std::vector<float> dequantize(const QuantizedMatrix& m) {
  std::vector<float> out(static_cast<std::size_t>(m.rows * m.cols));
  m.dequantize_rows(0, m.rows, out.data());
  return out;
}

// Index of the first element whose bits differ, or -1.
long first_bit_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i])) return static_cast<long>(i);
  return -1;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const rb::InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

float max_gap(const std::vector<float>& sorted) {
  float g = 0.0f;
  for (std::size_t i = 1; i < sorted.size(); ++i) g = std::max(g, sorted[i] - sorted[i - 1]);
  return g;
}

}  // namespace

BOOST_AUTO_TEST_CASE(code_table_is_bitsandbytes_nf4) {
  std::vector<float> w(64, 0.5f);
  const QuantizedMatrix m = rb::quant::quantize_nf4(w.data(), 1, 64, false, "w");
  const std::vector<float> want = floats(fixture().at("nf4_table_bits"));
  BOOST_TEST(first_bit_difference(std::vector<float>(m.table.begin(), m.table.end()), want) == -1);
  BOOST_TEST(m.group_size == 64);
  BOOST_TEST(m.format_bits_per_weight == 4.5);
  BOOST_TEST((m.scheme == rb::quant::Scheme::NF4));
  BOOST_TEST((rb::quant::quantize_nf4(w.data(), 1, 64, true, "w").scheme == rb::quant::Scheme::NF4_DQ));
}

BOOST_AUTO_TEST_CASE(dense_fixtures_bit_identical) {
  int cases = 0, dq_cases = 0;
  for (const auto& c : fixture().at("cases")) {
    if (!c.contains("weights_bits")) continue;
    const std::string name = c.at("name");
    BOOST_TEST_CONTEXT(name) {
      const int64_t rows = c.at("rows"), cols = c.at("cols");
      const bool dq = c.at("double_quant");
      const std::vector<float> w = floats(c.at("weights_bits"));
      const QuantizedMatrix m = rb::quant::quantize_nf4(w.data(), rows, cols, dq, "fixture " + name);
      BOOST_TEST(hex_codes(m) == c.at("codes").get<std::string>());
      BOOST_TEST(first_bit_difference(m.scale, floats(c.at("scale_bits"))) == -1);
      BOOST_TEST(first_bit_difference(dequantize(m), floats(c.at("values_bits"))) == -1);
      BOOST_TEST(m.zero.empty());
      BOOST_TEST(m.bias.empty());
      ++cases;
      dq_cases += dq;
    }
  }
  BOOST_TEST(cases == 8);
  BOOST_TEST(dq_cases == 4);
}

BOOST_AUTO_TEST_CASE(all_zero_block_follows_cuda) {
  // bitsandbytes' CUDA kernel: 1/0 = inf, 0 * inf = NaN -> code 0 (-1.0); value -1 * 0 = -0.
  // (Its CPU backend gives code 7; the fixture zero_and_constant_4x96 holds the same case.)
  std::vector<float> w(128, 0.0f);
  for (int i = 64; i < 128; ++i) w[i] = 0.01f * static_cast<float>(i - 90);
  const QuantizedMatrix m = rb::quant::quantize_nf4(w.data(), 2, 64, false, "w");
  const std::vector<float> y = dequantize(m);
  for (int c = 0; c < 64; ++c) {
    BOOST_TEST(code_at(m, 0, c) == 0);
    BOOST_TEST(std::bit_cast<uint32_t>(y[static_cast<std::size_t>(c)]) == std::bit_cast<uint32_t>(-0.0f));
  }
  BOOST_TEST(m.scale[0] == 0.0f);
}

BOOST_AUTO_TEST_CASE(many_blocks_double_quantization) {
  // 600 blocks: three groups of 256 absmax values (the last partial) through the 8-bit dynamic map.
  const nlohmann::json* found = nullptr;
  for (const auto& c : fixture().at("cases"))
    if (c.at("name") == "sparse_many_blocks_dq") found = &c;
  BOOST_REQUIRE(found);
  const nlohmann::json& c = *found;
  const int64_t rows = c.at("rows"), cols = c.at("cols");
  std::vector<float> w(static_cast<std::size_t>(rows * cols), 0.0f);
  const auto index = c.at("sparse").at("index").get<std::vector<int64_t>>();
  const std::vector<float> nonzero = floats(c.at("sparse").at("value_bits"));
  for (std::size_t i = 0; i < index.size(); ++i) w[static_cast<std::size_t>(index[i])] = nonzero[i];
  const QuantizedMatrix m = rb::quant::quantize_nf4(w.data(), rows, cols, true, "sparse");
  BOOST_TEST(m.scale.size() == 600u);
  BOOST_TEST(first_bit_difference(m.scale, floats(c.at("scale_bits"))) == -1);
  const std::vector<float> y = dequantize(m);
  const std::vector<float> want = floats(c.at("nonzero_values_bits"));
  const std::string want_codes = c.at("nonzero_codes");
  std::vector<float> got;
  std::string got_codes;
  for (int64_t i : index) {
    got.push_back(y[static_cast<std::size_t>(i)]);
    got_codes += "0123456789abcdef"[code_at(m, i / cols, i % cols)];
  }
  BOOST_TEST(first_bit_difference(got, want) == -1);
  BOOST_TEST(got_codes == want_codes);
  // Zeros of a block with absmax > 0 take code 7 (0.0).
  BOOST_TEST(code_at(m, 0, (index[0] + 1) % 64) == 7);
}

BOOST_AUTO_TEST_CASE(error_bound_on_random_weights) {
  // |w - deq| <= absmax * (largest gap between adjacent NF4 values) / 2, plus 1e-6 * absmax for the
  // fp32 rounding of x * (1 / absmax) and of the thresholds. With double quantization the scale is
  // the dequantized absmax s': add |absmax - s'| (|code value| <= 1), itself bounded by absmax2 times
  // half the largest gap of the 8-bit dynamic map (or 1 + its lowest value, since -1 is not a code).
  const std::vector<float> nf4 = floats(fixture().at("nf4_table_bits"));
  const std::vector<float> dyn = floats(fixture().at("dynamic_map_bits"));
  const float half_gap = max_gap(nf4) / 2;
  BOOST_TEST(half_gap == (1.0f - 0.6961928009986877f) / 2);  // the widest gap: -1 .. -0.696
  const float half_gap8 = std::max(max_gap(dyn), 1.0f + dyn.front()) / 2;
  std::mt19937 gen(11);
  std::normal_distribution<float> nd(0.0f, 0.02f);
  const int64_t rows = 64, cols = 1000, n = rows * cols;  // 1000 blocks: four groups of 256 absmax
  std::vector<float> w(static_cast<std::size_t>(n));
  for (float& x : w) x = nd(gen);
  for (int i = 0; i < 40; ++i) w[gen() % n] *= 12.0f;  // outliers
  std::vector<float> absmax(1000, 0.0f);
  for (int64_t i = 0; i < n; ++i) absmax[i / 64] = std::max(absmax[i / 64], std::fabs(w[i]));
  double sum = 0;
  for (float a : absmax) sum += a;
  const float offset = static_cast<float>(sum / 1000.0);
  for (bool dq : {false, true}) {
    BOOST_TEST_CONTEXT("double_quant " << dq) {
      const QuantizedMatrix m = rb::quant::quantize_nf4(w.data(), rows, cols, dq, "random");
      const std::vector<float> y = dequantize(m);
      int bad = 0;
      float worst = 0.0f;
      for (int64_t b = 0; b < 1000; ++b) {
        const float s = m.scale[b];
        float absmax2 = 0.0f;
        for (int64_t j = b / 256 * 256; j < std::min<int64_t>(1000, b / 256 * 256 + 256); ++j)
          absmax2 = std::max(absmax2, std::fabs(absmax[j] - offset));
        if (!dq) {
          BOOST_TEST(s == absmax[b]);
        } else if (std::fabs(s - absmax[b]) > absmax2 * (half_gap8 + 1e-6f)) {
          ++bad;
        }
        const float bound = absmax[b] * (half_gap + 1e-6f) + std::fabs(absmax[b] - s);
        for (int64_t i = b * 64; i < b * 64 + 64; ++i) {
          const float err = std::fabs(w[i] - y[i]);
          worst = std::max(worst, err / absmax[b]);
          if (err > bound) ++bad;
        }
      }
      BOOST_TEST(bad == 0);
      BOOST_TEST_MESSAGE("nf4 dq=" << dq << ": worst |w - deq| / absmax = " << worst);
    }
  }
}

BOOST_AUTO_TEST_CASE(rejections) {
  std::vector<float> w(2 * 64, 0.1f);
  BOOST_TEST(error_of([&] { rb::quant::quantize_nf4(w.data(), 2, 64, false, "m.safetensors: q.weight", 100); }) ==
             "m.safetensors: q.weight: block_size: NF4 block size 100 is not one of bitsandbytes' 32, 64, ..., 4096");
  w[70] = NAN;
  BOOST_TEST(error_of([&] { rb::quant::quantize_nf4(w.data(), 2, 64, true, "m.safetensors: q.weight"); }) ==
             "m.safetensors: q.weight: weights: element [1, 6] is not finite");
  w[70] = INFINITY;
  BOOST_TEST(error_of([&] { rb::quant::quantize_nf4(w.data(), 2, 64, false, "q"); }) ==
             "q: weights: element [1, 6] is not finite");
}
