// QuantizedMatrix itself: the value formula (separately rounded fp32 ops, empty zero/bias skipped),
// fp16 rounding, validate's messages, row ranges and thread-count independence of
// dequantize_rows, permuted_rows and memory_bytes.
#define BOOST_TEST_MODULE quant_matrix
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <omp.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "quant/checkpoint_formats.hpp"
#include "quant/quantized_matrix.hpp"
#include "quant/quantizers.hpp"

using rb::quant::QuantizedMatrix;
using rb::quant::Scheme;

namespace {

uint32_t bits_of(float f) { return std::bit_cast<uint32_t>(f); }

std::vector<float> dequantize(const QuantizedMatrix& m) {
  std::vector<float> out(static_cast<std::size_t>(m.rows * m.cols));
  m.dequantize_rows(0, m.rows, out.data());
  return out;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (bits_of(a[i]) != bits_of(b[i])) return false;
  return true;
}

// A 1 x cols matrix with one group, all codes `code`.
QuantizedMatrix one_group(int64_t cols, int code) {
  QuantizedMatrix m;
  m.rows = 1;
  m.cols = cols;
  m.group_size = cols;
  for (int k = 0; k < 16; ++k) m.table[k] = static_cast<float>(k);
  m.codes.assign(static_cast<std::size_t>(m.row_bytes()), static_cast<uint8_t>(code | (code << 4)));
  if (cols % 2) m.codes.back() &= 0x0F;
  m.scale = {1.0f};
  return m;
}

// Independent fp16 reference: round |x| to 11 significant bits (or to a multiple of 2^-24 below
// 2^-14) in double, ties to even, inf from 65520 on.
float fp16_reference(float x) {
  const double a = std::fabs(static_cast<double>(x));
  double r;
  if (a >= 65520.0) {
    r = INFINITY;
  } else {
    int e = 0;
    std::frexp(a, &e);  // a = f * 2^e, f in [0.5, 1)
    const int exp = std::max(e - 1, -14);
    const double quantum = std::ldexp(1.0, exp - 10);
    r = std::nearbyint(a / quantum) * quantum;
  }
  return static_cast<float>(std::signbit(x) ? -r : r);
}

float half_bits_to_float(uint16_t h) {
  const int exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  double v = exp == 0 ? std::ldexp(mant, -24) : std::ldexp(1.0 + mant / 1024.0, exp - 15);
  return static_cast<float>((h & 0x8000) ? -v : v);
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

BOOST_AUTO_TEST_SUITE(fp16)

BOOST_AUTO_TEST_CASE(every_finite_half_round_trips) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if (((h >> 10) & 0x1F) == 0x1F) continue;
    const float f = half_bits_to_float(static_cast<uint16_t>(h));
    if (bits_of(rb::quant::round_to_fp16(f)) != bits_of(f)) {
      BOOST_ERROR("half 0x" << std::hex << h << " does not round-trip");
      break;
    }
  }
}

BOOST_AUTO_TEST_CASE(ties_go_to_even_and_neighbours_to_the_nearer) {
  int checked = 0;
  for (uint32_t h = 0; h < 0x7BFF; ++h) {  // adjacent positive finite halves h, h + 1
    const float lo = half_bits_to_float(static_cast<uint16_t>(h)), hi = half_bits_to_float(static_cast<uint16_t>(h + 1));
    const float mid = static_cast<float>((static_cast<double>(lo) + hi) / 2);  // 12 significant bits: exact
    const float even = (h & 1) ? hi : lo;
    if (rb::quant::round_to_fp16(mid) != even || rb::quant::round_to_fp16(-mid) != -even ||
        rb::quant::round_to_fp16(std::nextafter(mid, 0.0f)) != lo ||
        rb::quant::round_to_fp16(std::nextafter(mid, 1e9f)) != hi) {
      BOOST_ERROR("between halves 0x" << std::hex << h << " and 0x" << h + 1);
      break;
    }
    ++checked;
  }
  BOOST_TEST(checked == 0x7BFF);
}

BOOST_AUTO_TEST_CASE(overflow_subnormals_and_specials) {
  using rb::quant::round_to_fp16;
  BOOST_TEST(round_to_fp16(65504.0f) == 65504.0f);
  BOOST_TEST(round_to_fp16(std::nextafter(65520.0f, 0.0f)) == 65504.0f);
  BOOST_TEST(std::isinf(round_to_fp16(65520.0f)));
  BOOST_TEST(round_to_fp16(-1e30f) == -INFINITY);
  BOOST_TEST(round_to_fp16(INFINITY) == INFINITY);
  BOOST_TEST(std::isnan(round_to_fp16(NAN)));
  const float sub = std::ldexp(1.0f, -24);                          // smallest half subnormal
  BOOST_TEST(bits_of(round_to_fp16(sub / 2)) == bits_of(0.0f));    // tie -> even (0)
  BOOST_TEST(bits_of(round_to_fp16(-sub / 2)) == bits_of(-0.0f));
  BOOST_TEST(round_to_fp16(std::nextafter(sub / 2, 1.0f)) == sub);
  BOOST_TEST(round_to_fp16(3 * sub / 2) == 2 * sub);                // tie between 1 and 2 units -> 2
  BOOST_TEST(round_to_fp16(std::ldexp(1.0f, -14) - sub / 2) == std::ldexp(1.0f, -14));  // up into normals
  BOOST_TEST(bits_of(round_to_fp16(-0.0f)) == bits_of(-0.0f));
}

BOOST_AUTO_TEST_CASE(random_floats_match_a_double_reference) {
  std::mt19937 gen(7);
  std::uniform_int_distribution<uint32_t> any;
  int bad = 0;
  for (int i = 0; i < 2000000 && bad < 5; ++i) {
    // Exponents around the half range: from below its subnormals to past its maximum.
    const uint32_t b = (any(gen) & 0x807FFFFFu) | ((100u + any(gen) % 48u) << 23);
    const float x = std::bit_cast<float>(b);
    if (bits_of(rb::quant::round_to_fp16(x)) != bits_of(fp16_reference(x))) {
      BOOST_ERROR("x = " << x << " (0x" << std::hex << b << ")");
      ++bad;
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(value_formula)

BOOST_AUTO_TEST_CASE(each_operation_rounded_no_fma) {
  // (t - z) = 1 + 2^-12, s = 1 + 2^-12: the exact product 1 + 2^-11 + 2^-24 rounds (tie, even) to
  // 1 + 2^-11, and + b = -(1 + 2^-11) gives exactly 0. A fused multiply-add would give 2^-24.
  const float u = 1.0f + std::ldexp(1.0f, -12);
  QuantizedMatrix m = one_group(3, 5);
  m.table[5] = 4.0f + u;  // 5 + 2^-12, exact; t - z = u exactly
  m.zero = {4.0f};
  m.scale = {u};
  m.bias = {-(1.0f + std::ldexp(1.0f, -11))};
  const volatile float t = m.table[5], z = 4.0f, s = u, b = m.bias[0];
  const volatile float diff = t - z;
  const volatile float prod = diff * s;
  const float separately = prod + b;
  const float fused = std::fma(static_cast<float>(diff), static_cast<float>(s), static_cast<float>(b));
  BOOST_REQUIRE(bits_of(separately) != bits_of(fused));  // the case distinguishes the two
  const std::vector<float> y = dequantize(m);
  for (float v : y) BOOST_TEST(bits_of(v) == bits_of(separately));
}

BOOST_AUTO_TEST_CASE(empty_zero_and_bias_skip_their_operation) {
  // -1 * 0 = -0; adding a bias of +0 would make it +0, so an empty bias must not add anything.
  QuantizedMatrix m = one_group(4, 0);
  m.table[0] = -1.0f;
  m.scale = {0.0f};
  BOOST_TEST(bits_of(dequantize(m)[0]) == bits_of(-0.0f));
  m.bias = {0.0f};
  BOOST_TEST(bits_of(dequantize(m)[0]) == bits_of(0.0f));
}

BOOST_AUTO_TEST_CASE(fp16_rounding_applies_last) {
  QuantizedMatrix m = one_group(2, 3);
  m.scale = {0.1f};  // 3 * 0.1f ~ 0.3 = 1228.8 * 2^-12 -> fp16 1229 * 2^-12
  BOOST_TEST(dequantize(m)[0] == 3 * 0.1f);
  m.round_to_fp16 = true;
  BOOST_TEST(dequantize(m)[0] == 0.300048828125f);
}

BOOST_AUTO_TEST_CASE(codes_low_nibble_first_and_flat_groups_cross_rows) {
  // 3 x 5 with flat groups of 4: group(r, c) = (5r + c) / 4 (cols odd: each row starts a byte).
  QuantizedMatrix m;
  m.rows = 3;
  m.cols = 5;
  m.group_size = 4;
  for (int k = 0; k < 16; ++k) m.table[k] = static_cast<float>(k);
  m.codes = {0x21, 0x43, 0x05, 0x76, 0x98, 0x0A, 0xCB, 0xED, 0x0F};
  m.scale = {1.0f, 10.0f, 100.0f, 1000.0f};
  const std::vector<float> y = dequantize(m);
  const std::vector<float> want = {1, 2, 3, 4, 50, 60, 70, 80, 900, 1000, 1100, 1200, 13000, 14000, 15000};
  BOOST_TEST(y == want, boost::test_tools::per_element());
  BOOST_TEST(m.groups() == 4);
  BOOST_CHECK_THROW(m.groups_per_row(), rb::Error);
}

BOOST_AUTO_TEST_CASE(g_idx_groups_per_row) {
  // 2 x 4, two groups per row chosen by g_idx = {1, 0, 0, 1}: group(r, c) = 2r + g_idx[c].
  QuantizedMatrix m;
  m.rows = 2;
  m.cols = 4;
  m.group_size = 2;
  for (int k = 0; k < 16; ++k) m.table[k] = static_cast<float>(k);
  m.codes = {0x11, 0x11, 0x11, 0x11};
  m.scale = {1, 2, 3, 4};
  m.zero = {0, 0, 0, 0};
  m.g_idx = {1, 0, 0, 1};
  m.g_idx_groups = 2;
  BOOST_TEST(dequantize(m) == (std::vector<float>{2, 1, 1, 2, 4, 3, 3, 4}), boost::test_tools::per_element());
  BOOST_TEST(m.groups_per_row() == 2);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(structure)

BOOST_AUTO_TEST_CASE(validate_names_where_and_field) {
  const QuantizedMatrix good = rb::quant::quantize_int4(std::vector<float>(4 * 64, 0.5f).data(), 4, 64, 32, false, "w");
  BOOST_CHECK_NO_THROW(good.validate("x"));
  auto broken = [&](auto edit) {
    QuantizedMatrix m = good;
    edit(m);
    return error_of([&] { m.validate("model.bin: layer.q"); });
  };
  std::string e = broken([](QuantizedMatrix& m) { m.codes.pop_back(); });
  BOOST_TEST(e == "model.bin: layer.q: codes: holds 127 bytes; a [4, 64] matrix of 4-bit codes needs 128");
  e = broken([](QuantizedMatrix& m) { m.scale.push_back(1.0f); });
  BOOST_TEST(e == "model.bin: layer.q: scale: has 9 entries; 8 groups need one each");
  e = broken([](QuantizedMatrix& m) { m.zero.resize(3); });
  BOOST_TEST(e == "model.bin: layer.q: zero: has 3 entries; 8 groups need one each");
  e = broken([](QuantizedMatrix& m) { m.bias.resize(7); });
  BOOST_TEST(e == "model.bin: layer.q: bias: has 7 entries; 8 groups need one each");
  e = broken([](QuantizedMatrix& m) { m.scale[5] = INFINITY; });
  BOOST_TEST(e == "model.bin: layer.q: scale: entry 5 is not finite");
  e = broken([](QuantizedMatrix& m) { m.zero[2] = NAN; });
  BOOST_TEST(e == "model.bin: layer.q: zero: entry 2 is not finite");
  e = broken([](QuantizedMatrix& m) { m.table[15] = NAN; });
  BOOST_TEST(e == "model.bin: layer.q: table: entry 15 is not finite");
  e = broken([](QuantizedMatrix& m) { m.group_size = 0; });
  BOOST_TEST(e == "model.bin: layer.q: group_size: group size 0 is below 1");
  e = broken([](QuantizedMatrix& m) {
    m.g_idx.assign(64, 0);
    m.g_idx[9] = 2;
    m.g_idx_groups = 2;
  });
  BOOST_TEST(e == "model.bin: layer.q: g_idx: entry 9 is 2, outside [0, 2)");
  e = broken([](QuantizedMatrix& m) {
    m.g_idx.assign(63, 0);
    m.g_idx_groups = 2;
  });
  BOOST_TEST(e == "model.bin: layer.q: g_idx: has 63 entries; one per column (64) is needed");
}

BOOST_AUTO_TEST_CASE(row_ranges_and_thread_count_do_not_change_values) {
  std::mt19937 gen(3);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  std::vector<float> w(37 * 100);
  for (float& x : w) x = nd(gen);
  for (const QuantizedMatrix& m : {rb::quant::quantize_nf4(w.data(), 37, 100, true, "w"),
                                   rb::quant::quantize_int4(w.data(), 37, 100, 25, false, "w")}) {
    const std::vector<float> all = dequantize(m);
    std::vector<float> part(static_cast<std::size_t>(10 * m.cols));
    m.dequantize_rows(13, 23, part.data());
    BOOST_TEST(same_bits(part, std::vector<float>(all.begin() + 13 * 100, all.begin() + 23 * 100)));
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const std::vector<float> one = dequantize(m);
    omp_set_num_threads(3);
    const std::vector<float> three = dequantize(m);
    omp_set_num_threads(threads);
    BOOST_TEST(same_bits(one, all));
    BOOST_TEST(same_bits(three, all));
    BOOST_CHECK_THROW(m.dequantize_rows(30, 38, part.data()), rb::Error);
    BOOST_CHECK_THROW(m.dequantize_rows(5, 4, part.data()), rb::Error);
  }
}

BOOST_AUTO_TEST_CASE(permuted_rows_moves_codes_and_parameters) {
  std::mt19937 gen(5);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  const int64_t rows = 6, cols = 128;
  std::vector<float> w(rows * cols);
  for (float& x : w) x = nd(gen);
  const std::vector<int64_t> perm = {3, 0, 5, 1, 4, 2};
  std::vector<QuantizedMatrix> ms = {rb::quant::quantize_nf4(w.data(), rows, cols, false, "w"),
                                     rb::quant::quantize_int4(w.data(), rows, cols, 32, false, "w"),
                                     rb::quant::quantize_int4(w.data(), rows, cols, 64, true, "w")};
  // A GPTQ-like matrix with act-order g_idx and a Q4_1-like one with biases.
  QuantizedMatrix g = ms[1];
  g.g_idx.resize(cols);
  for (int64_t c = 0; c < cols; ++c) g.g_idx[c] = static_cast<int32_t>((c * 7) % 4);
  g.g_idx_groups = 4;
  ms.push_back(g);
  QuantizedMatrix b = ms[2];
  b.bias.resize(b.scale.size());
  for (std::size_t i = 0; i < b.bias.size(); ++i) b.bias[i] = 0.01f * static_cast<float>(i);
  ms.push_back(b);
  for (const QuantizedMatrix& m : ms) {
    const QuantizedMatrix p = m.permuted_rows(perm);
    BOOST_CHECK_NO_THROW(p.validate("p"));
    const std::vector<float> before = dequantize(m), after = dequantize(p);
    for (int64_t i = 0; i < rows; ++i)
      BOOST_TEST(same_bits(std::vector<float>(after.begin() + i * cols, after.begin() + (i + 1) * cols),
                           std::vector<float>(before.begin() + perm[i] * cols, before.begin() + (perm[i] + 1) * cols)));
  }
  // Groups crossing rows (NF4, 100 columns) cannot be permuted; a bad permutation is refused.
  const QuantizedMatrix crossing = rb::quant::quantize_nf4(w.data(), 4, 100, false, "w");
  BOOST_TEST(error_of([&] { crossing.permuted_rows({0, 1, 2, 3}); }) ==
             "nf4 permuted_rows: group_size: groups of 64 cross rows of length 100; rows cannot be permuted");
  BOOST_TEST(error_of([&] { ms[0].permuted_rows({0, 1, 2}); }) == "nf4 permuted_rows: perm: has 3 entries for 6 rows");
  BOOST_TEST(error_of([&] { ms[0].permuted_rows({0, 1, 2, 3, 4, 6}); }) ==
             "nf4 permuted_rows: perm: entry 5 is 6, outside [0, 6)");
}

BOOST_AUTO_TEST_CASE(memory_bytes_counts_codes_parameters_and_g_idx) {
  std::vector<float> w(4 * 100, 0.25f);
  // NF4 3 x 100: 3 rows of 50 bytes, the 64-byte table, 5 fp32 absmax.
  BOOST_TEST(rb::quant::quantize_nf4(w.data(), 3, 100, false, "w").memory_bytes() == 150u + 64u + 5u * 4u);
  // int4-asym 4 x 100, groups of 20: 200 code bytes, table, 20 scales + 20 zeros.
  BOOST_TEST(rb::quant::quantize_int4(w.data(), 4, 100, 20, false, "w").memory_bytes() == 200u + 64u + 160u);
  // int4 (sym) stores no zeros.
  BOOST_TEST(rb::quant::quantize_int4(w.data(), 4, 100, 20, true, "w").memory_bytes() == 200u + 64u + 80u);
  // Odd columns: each row rounds up to whole bytes.
  BOOST_TEST(rb::quant::quantize_nf4(w.data(), 3, 5, false, "w").memory_bytes() == 9u + 64u + 4u);
  // A g_idx adds 4 bytes per column.
  QuantizedMatrix m = rb::quant::quantize_int4(w.data(), 4, 100, 20, false, "w");
  m.g_idx.assign(100, 0);
  m.g_idx_groups = 5;
  BOOST_TEST(m.memory_bytes() == 200u + 64u + 160u + 400u);
}

BOOST_AUTO_TEST_SUITE_END()
