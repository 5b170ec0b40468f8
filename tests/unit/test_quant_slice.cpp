// Slices of a 4-bit matrix for tensor parallelism (quant/quantized_matrix_slice.hpp): every value of
// a slice equals the same (row, column) of the whole matrix bit for bit, for flat groups (NF4,
// int4) and act-order GPTQ groups; a slice that would cut a group is refused with a message.
#define BOOST_TEST_DYN_LINK
#define BOOST_TEST_MODULE quant_slice
#include <boost/test/unit_test.hpp>

#include <bit>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "quant/quantized_matrix_slice.hpp"
#include "quant/quantizers.hpp"

using rb::quant::QuantizedMatrix;

namespace {

std::vector<float> random_weights(int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 0.05f);
  std::vector<float> w(static_cast<size_t>(rows * cols));
  for (float& x : w) x = d(rng);
  return w;
}

std::vector<float> values(const QuantizedMatrix& m) {
  std::vector<float> out(static_cast<size_t>(m.rows * m.cols));
  m.dequantize_rows(0, m.rows, out.data());
  return out;
}

// The slice's values against the whole matrix's, compared as bits.
void expect_same(const QuantizedMatrix& whole, const QuantizedMatrix& part, int64_t r0, int64_t c0) {
  const std::vector<float> a = values(whole), b = values(part);
  int64_t differ = 0;
  for (int64_t r = 0; r < part.rows; ++r)
    for (int64_t c = 0; c < part.cols; ++c)
      differ += std::bit_cast<uint32_t>(b[r * part.cols + c]) != std::bit_cast<uint32_t>(a[(r0 + r) * whole.cols + c0 + c]);
  BOOST_TEST(differ == 0);
  BOOST_CHECK_NO_THROW(part.validate("slice"));
}

bool cuts_a_group(const std::function<void()>& f) {
  try {
    f();
  } catch (const rb::InputError& e) {
    return std::string(e.what()).find("group_size") != std::string::npos &&
           std::string(e.what()).find("where.safetensors") != std::string::npos;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(flat_int4_groups_slice_on_group_edges) {
  const int64_t rows = 12, cols = 96;
  const auto w = random_weights(rows, cols, 1);
  const QuantizedMatrix m = rb::quant::quantize_int4(w.data(), rows, cols, 32, false, "t");
  expect_same(m, rb::quant::slice_rows(m, 4, 6, "where.safetensors"), 4, 0);
  expect_same(m, rb::quant::slice_cols(m, 32, 64, "where.safetensors"), 0, 32);
  expect_same(m, rb::quant::slice_cols(m, 0, 32, "where.safetensors"), 0, 0);
  BOOST_TEST(cuts_a_group([&] { rb::quant::slice_cols(m, 16, 32, "where.safetensors"); }));
  BOOST_TEST(cuts_a_group([&] { rb::quant::slice_cols(m, 0, 48, "where.safetensors"); }));
}

BOOST_AUTO_TEST_CASE(nf4_blocks_may_cross_rows) {
  // Blocks of 64 over rows of 96: a row range must start and end on a block edge.
  const int64_t rows = 8, cols = 96;
  const auto w = random_weights(rows, cols, 2);
  const QuantizedMatrix m = rb::quant::quantize_nf4(w.data(), rows, cols, false, "t");
  expect_same(m, rb::quant::slice_rows(m, 2, 2, "where.safetensors"), 2, 0);  // 192 weights = 3 blocks
  expect_same(m, rb::quant::slice_rows(m, 0, 8, "where.safetensors"), 0, 0);
  BOOST_TEST(cuts_a_group([&] { rb::quant::slice_rows(m, 1, 2, "where.safetensors"); }));
  BOOST_TEST(cuts_a_group([&] { rb::quant::slice_cols(m, 0, 64, "where.safetensors"); }));  // blocks cross rows
}

BOOST_AUTO_TEST_CASE(act_order_keeps_every_group_of_a_row) {
  const int64_t rows = 6, cols = 64;
  const auto w = random_weights(rows, cols, 3);
  QuantizedMatrix m = rb::quant::quantize_int4(w.data(), rows, cols, 16, true, "t");
  // An act-order layout: g_idx maps column c to group (c / 16 + 1) % 4 of its row (GPTQ's desc_act
  // gives any such map).
  m.g_idx_groups = 4;
  m.g_idx.resize(static_cast<size_t>(cols));
  for (int64_t c = 0; c < cols; ++c) m.g_idx[static_cast<size_t>(c)] = static_cast<int32_t>((c / 16 + 1) % 4);
  BOOST_REQUIRE_NO_THROW(m.validate("act-order"));
  expect_same(m, rb::quant::slice_cols(m, 5, 27, "where.safetensors"), 0, 5);  // any columns, odd ones too
  expect_same(m, rb::quant::slice_rows(m, 1, 3, "where.safetensors"), 1, 0);
}

BOOST_AUTO_TEST_CASE(ranges_outside_the_matrix_are_refused) {
  const auto w = random_weights(4, 32, 4);
  const QuantizedMatrix m = rb::quant::quantize_int4(w.data(), 4, 32, 32, false, "t");
  BOOST_CHECK_THROW(rb::quant::slice_rows(m, 3, 2, "w"), rb::InputError);
  BOOST_CHECK_THROW(rb::quant::slice_cols(m, 0, 0, "w"), rb::InputError);
}
