// quantize_int4 (GPTQ's round-to-nearest Quantizer, sym and asym): codes, scales, zeros and
// dequantized values bit-identical to tests/fixtures/quant/int4.json (transcribed gptq/quant.py),
// the |w - deq| <= scale / 2 bound on random weights, GPTQ's symmetric quirk, and rejections.
#define BOOST_TEST_MODULE quant_int4
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

}  // namespace

BOOST_AUTO_TEST_CASE(fixtures_bit_identical) {
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(fs::path(RB_FIXTURES) / "quant" / "int4.json"));
  int cases = 0;
  for (const auto& c : j.at("cases")) {
    const std::string name = c.at("name");
    BOOST_TEST_CONTEXT(name) {
      const int64_t rows = c.at("rows"), cols = c.at("cols"), gs = c.at("group_size");
      const bool sym = c.at("symmetric");
      const std::vector<float> w = floats(c.at("weights_bits"));
      const QuantizedMatrix m = rb::quant::quantize_int4(w.data(), rows, cols, gs, sym, "fixture " + name);
      BOOST_TEST((m.scheme == (sym ? rb::quant::Scheme::INT4 : rb::quant::Scheme::INT4_ASYM)));
      BOOST_TEST(hex_codes(m) == c.at("codes").get<std::string>());
      BOOST_TEST(first_bit_difference(m.scale, floats(c.at("scale_bits"))) == -1);
      const std::vector<float> zero = floats(c.at("zero_bits"));
      if (sym) {
        // Symmetric: zero = 8 folded into the table (code k -> k - 8), no zeros stored.
        BOOST_TEST(m.zero.empty());
        BOOST_TEST(std::all_of(zero.begin(), zero.end(), [](float z) { return z == 8.0f; }));
        for (int k = 0; k < 16; ++k) BOOST_TEST(m.table[k] == static_cast<float>(k - 8));
      } else {
        BOOST_TEST(first_bit_difference(m.zero, zero) == -1);
        for (int k = 0; k < 16; ++k) BOOST_TEST(m.table[k] == static_cast<float>(k));
      }
      BOOST_TEST(first_bit_difference(dequantize(m), floats(c.at("values_bits"))) == -1);
      BOOST_TEST(m.format_bits_per_weight == 4.0 + (sym ? 16.0 : 20.0) / static_cast<double>(gs));
      ++cases;
    }
  }
  BOOST_TEST(cases == 4);
}

BOOST_AUTO_TEST_CASE(error_within_half_a_step_on_random_weights) {
  // Round to nearest: |w - deq| <= scale / 2, plus fp32 slack: x / scale and scale * (q - zero) are
  // each rounded once (relative 2^-24), so allow 2^-22 * (|w| + scale).
  std::mt19937 gen(13);
  std::normal_distribution<float> nd(0.0f, 0.02f);
  const int64_t rows = 48, cols = 512;
  std::vector<float> w(rows * cols);
  for (float& x : w) x = nd(gen);
  for (int i = 0; i < 30; ++i) w[gen() % w.size()] *= 10.0f;
  for (int64_t gs : {32, 128}) {
    for (bool sym : {true, false}) {
      BOOST_TEST_CONTEXT("group " << gs << " sym " << sym) {
        const QuantizedMatrix m = rb::quant::quantize_int4(w.data(), rows, cols, gs, sym, "random");
        const std::vector<float> y = dequantize(m);
        int bad = 0;
        double ratio = 0;
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c) {
            const float s = m.scale[r * (cols / gs) + c / gs];
            const float x = w[r * cols + c], err = std::fabs(x - y[r * cols + c]);
            ratio = std::max(ratio, static_cast<double>(err) / s);
            if (err > s / 2 + std::ldexp(1.0f, -22) * (std::fabs(x) + s)) ++bad;
          }
        BOOST_TEST(bad == 0);
        BOOST_TEST_MESSAGE("int4 g" << gs << " sym=" << sym << ": worst |w - deq| / scale = " << ratio);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(symmetric_group_without_negative_weights_keeps_gptq_xmin_zero) {
  // gptq/quant.py sets xmin = -xmax only where xmin < 0: a constant 0.75 group keeps xmin = 0, so
  // scale = 0.75 / 15 = 0.05, zero = 8, q = clamp(round(15) + 8) = 15 and the value is 7 * 0.05.
  std::vector<float> w(32, 0.75f);
  const QuantizedMatrix m = rb::quant::quantize_int4(w.data(), 1, 32, 32, true, "w");
  const float scale = 0.75f / 15.0f;
  BOOST_TEST(m.scale[0] == scale);
  BOOST_TEST(code_at(m, 0, 0) == 15);
  BOOST_TEST(dequantize(m)[0] == 7.0f * scale);
  // Asymmetric handles it: zero = round(-0 / scale) = 0, q = 15, value = 15 * scale.
  const QuantizedMatrix a = rb::quant::quantize_int4(w.data(), 1, 32, 32, false, "w");
  BOOST_TEST(dequantize(a)[0] == 15.0f * scale);
}

BOOST_AUTO_TEST_CASE(all_zero_group_uses_unit_range) {
  std::vector<float> w(16, 0.0f);
  for (bool sym : {true, false}) {
    const QuantizedMatrix m = rb::quant::quantize_int4(w.data(), 1, 16, 16, sym, "w");
    BOOST_TEST(m.scale[0] == 2.0f / 15.0f);  // xmin = -1, xmax = 1
    // sym: zero 8; asym: zero = round(1 / fp32(2 / 15)) (7.4999996 -> 7); 0 takes the zero's code.
    BOOST_TEST(code_at(m, 0, 3) == (sym ? 8 : 7));
    if (!sym) BOOST_TEST(m.zero[0] == 7.0f);
    BOOST_TEST(dequantize(m)[3] == 0.0f);
  }
}

BOOST_AUTO_TEST_CASE(rejections) {
  std::vector<float> w(4 * 100, 0.1f);
  BOOST_TEST(error_of([&] { rb::quant::quantize_int4(w.data(), 4, 100, 64, true, "m.safetensors: o_proj.weight"); }) ==
             "m.safetensors: o_proj.weight: group_size: group size 64 does not divide the row length 100");
  BOOST_TEST(error_of([&] { rb::quant::quantize_int4(w.data(), 4, 100, 1, false, "w"); }) ==
             "w: group_size: group size 1 is below 2");
  BOOST_TEST(error_of([&] { rb::quant::quantize_int4(w.data(), 4, 100, 0, false, "w"); }) ==
             "w: group_size: group size 0 is below 2");
  w[250] = NAN;
  BOOST_TEST(error_of([&] { rb::quant::quantize_int4(w.data(), 4, 100, 20, false, "w"); }) ==
             "w: weights: element [2, 50] is not finite");
}
