// unpack_gptq / unpack_awq / pack_gguf_q4: published checkpoint tensors -> QuantizedMatrix.
// GPTQ (v1, v2; sequential and act-order g_idx) and AWQ GEMM tensors from
// tests/fixtures/quant/{gptq,awq}.json must give the codes, zeros and fp16 dequantized values of the
// transcribed AutoGPTQ / AutoAWQ references bit for bit; corrupt tensors are refused with an
// InputError naming the tensor and the problem.
#define BOOST_TEST_MODULE quant_checkpoints
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "quant/checkpoint_formats.hpp"

namespace fs = std::filesystem;
using rb::quant::FloatTensor;
using rb::quant::GptqZeros;
using rb::quant::Int32Tensor;
using rb::quant::QuantizedMatrix;

namespace {

nlohmann::json load(const char* name) {
  return nlohmann::json::parse(std::ifstream(fs::path(RB_FIXTURES) / "quant" / name));
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

struct Packed {
  Int32Tensor qweight, qzeros, g_idx;
  FloatTensor scales;
  int64_t group_size = 0;
};

Packed packed(const nlohmann::json& c) {
  Packed p;
  p.qweight = {c.at("qweight_shape").get<std::vector<int64_t>>(), c.at("qweight").get<std::vector<int32_t>>()};
  p.qzeros = {c.at("qzeros_shape").get<std::vector<int64_t>>(), c.at("qzeros").get<std::vector<int32_t>>()};
  p.scales = {c.at("scales_shape").get<std::vector<int64_t>>(), floats(c.at("scales_bits"))};
  if (c.contains("g_idx")) p.g_idx = {{c.at("in").get<int64_t>()}, c.at("g_idx").get<std::vector<int32_t>>()};
  p.group_size = c.at("group_size");
  return p;
}

const nlohmann::json& gptq_case(const std::string& name) {
  static const nlohmann::json j = load("gptq.json");
  for (const auto& c : j.at("cases"))
    if (c.at("name") == name) return c;
  throw std::runtime_error("no fixture case " + name);
}

void check_against_fixture(const QuantizedMatrix& m, const nlohmann::json& c) {
  BOOST_TEST(m.rows == c.at("out").get<int64_t>());
  BOOST_TEST(m.cols == c.at("in").get<int64_t>());
  BOOST_TEST(hex_codes(m) == c.at("codes").get<std::string>());
  BOOST_TEST(first_bit_difference(m.zero, floats(c.at("zero_bits"))) == -1);
  BOOST_TEST(first_bit_difference(dequantize(m), floats(c.at("values_bits"))) == -1);
  BOOST_TEST(m.round_to_fp16);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(gptq)

BOOST_AUTO_TEST_CASE(fixtures_bit_identical) {
  const nlohmann::json j = load("gptq.json");
  int cases = 0;
  for (const auto& c : j.at("cases")) {
    const std::string name = c.at("name");
    BOOST_TEST_CONTEXT(name) {
      const Packed p = packed(c);
      const GptqZeros z = c.at("v1").get<bool>() ? GptqZeros::V1StoredMinusOne : GptqZeros::V2Exact;
      const QuantizedMatrix m = rb::quant::unpack_gptq(p.qweight, p.qzeros, p.scales, &p.g_idx, p.group_size, z, name);
      check_against_fixture(m, c);
      BOOST_TEST((m.scheme == rb::quant::Scheme::GPTQ));
      if (c.at("act_order").get<bool>()) {
        BOOST_TEST(m.g_idx == p.g_idx.data, boost::test_tools::per_element());
        BOOST_TEST(m.g_idx_groups == 4);
        BOOST_TEST(m.format_bits_per_weight == 4.0 + 20.0 / 16 + 32.0 / 16);
      } else {
        // A sequential g_idx (i / group_size) is the flat layout; without g_idx the same.
        BOOST_TEST(m.g_idx.empty());
        const QuantizedMatrix no_gidx = rb::quant::unpack_gptq(p.qweight, p.qzeros, p.scales, nullptr, p.group_size, z, name);
        check_against_fixture(no_gidx, c);
        BOOST_TEST(no_gidx.format_bits_per_weight == 4.0 + 20.0 / 16);
      }
      ++cases;
    }
  }
  BOOST_TEST(cases == 4);
}

BOOST_AUTO_TEST_CASE(v1_zero_of_zero_reads_as_sixteen) {
  // Row 3 of the fixture has no negative weight: RTN's zero is 0, v1 stores 0 - 1 = 15 and
  // AutoGPTQ reads it back as 15 + 1 = 16; v2 keeps 0.
  const Packed v1 = packed(gptq_case("gptq_v1_sequential")), v2 = packed(gptq_case("gptq_v2_sequential"));
  const QuantizedMatrix a = rb::quant::unpack_gptq(v1.qweight, v1.qzeros, v1.scales, nullptr, 16, GptqZeros::V1StoredMinusOne, "v1");
  const QuantizedMatrix b = rb::quant::unpack_gptq(v2.qweight, v2.qzeros, v2.scales, nullptr, 16, GptqZeros::V2Exact, "v2");
  BOOST_TEST(a.zero[3 * 4] == 16.0f);
  BOOST_TEST(b.zero[3 * 4] == 0.0f);
  // Everywhere else the two formats agree.
  BOOST_TEST(a.zero[2 * 4] == b.zero[2 * 4]);
}

BOOST_AUTO_TEST_CASE(group_size_minus_one_is_one_group) {
  // 16 inputs x 8 outputs, one group: g = -1 means the whole input dimension.
  Int32Tensor qweight{{2, 8}, std::vector<int32_t>(16, 0x76543210)};
  Int32Tensor qzeros{{1, 1}, {static_cast<int32_t>(0x88888888u)}};
  FloatTensor scales{{1, 8}, std::vector<float>(8, 0.5f)};
  const QuantizedMatrix m = rb::quant::unpack_gptq(qweight, qzeros, scales, nullptr, -1, GptqZeros::V2Exact, "w");
  BOOST_TEST(m.group_size == 16);
  const std::vector<float> y = dequantize(m);
  BOOST_TEST(y[0] == -4.0f);   // (0 - 8) * 0.5
  BOOST_TEST(y[7] == -0.5f);   // (7 - 8) * 0.5
  BOOST_TEST(y[15] == -0.5f);
}

BOOST_AUTO_TEST_CASE(corrupt_tensors_are_refused) {
  const Packed good = packed(gptq_case("gptq_v1_act_order"));
  const GptqZeros v1 = GptqZeros::V1StoredMinusOne;
  const std::string where = "model.safetensors: model.layers.0.self_attn.q_proj";
  auto unpack = [&](const Packed& p, int64_t gs) {
    return error_of([&] { rb::quant::unpack_gptq(p.qweight, p.qzeros, p.scales, &p.g_idx, gs, v1, where); });
  };
  BOOST_TEST(unpack(good, 16) == "(no InputError)");
  Packed p = good;
  p.qweight.data.pop_back();
  BOOST_TEST(unpack(p, 16) == where + ": qweight: holds 127 values for shape [8, 16]");
  p = good;
  p.qweight.shape = {8, 16, 1};
  BOOST_TEST(unpack(p, 16) == where + ": qweight: shape [8, 16, 1], expected [in / 8, out]");
  p = good;
  p.qzeros.shape = {4, 3};
  BOOST_TEST(unpack(p, 16) == where + ": qzeros: shape [4, 3], expected [4, 2] (64 inputs / group size 16 = 4 groups, 16 outputs)");
  p = good;
  p.scales.shape = {16, 4};
  BOOST_TEST(unpack(p, 16) == where + ": scales: shape [16, 4], expected [4, 16] (64 inputs / group size 16 = 4 groups, 16 outputs)");
  // Group size 32 would need 2 groups: the 4-group qzeros no longer fit.
  BOOST_TEST(unpack(good, 32) == where + ": qzeros: shape [4, 2], expected [2, 2] (64 inputs / group size 32 = 2 groups, 16 outputs)");
  BOOST_TEST(unpack(good, 24) == where + ": group_size: group size 24 does not divide the 64 input features");
  BOOST_TEST(unpack(good, 0) == where + ": group_size: group size 0 does not divide the 64 input features");
  p = good;
  p.g_idx.data[17] = 4;
  BOOST_TEST(unpack(p, 16) == where + ": g_idx: entry 17 is 4, outside [0, 4)");
  p.g_idx.data[17] = -1;
  BOOST_TEST(unpack(p, 16) == where + ": g_idx: entry 17 is -1, outside [0, 4)");
  p = good;
  p.g_idx.data.pop_back();
  p.g_idx.shape = {63};
  BOOST_TEST(unpack(p, 16) == where + ": g_idx: shape [63], expected [64] (one group per input feature)");
  p = good;
  p.scales.data[5] = INFINITY;
  BOOST_TEST(unpack(p, 16) == where + ": scale: entry 20 is not finite");  // scales[0, 5] -> output 5, group 0
  // 12 outputs cannot pack into qzeros' 8 per int32.
  Int32Tensor qw{{2, 12}, std::vector<int32_t>(24, 0)};
  Int32Tensor qz{{1, 1}, {0}};
  FloatTensor sc{{1, 12}, std::vector<float>(12, 1.0f)};
  BOOST_TEST(error_of([&] { rb::quant::unpack_gptq(qw, qz, sc, nullptr, 16, v1, "w"); }) ==
             "w: qweight: 12 output features are not a multiple of 8 (qzeros packs 8 per int32)");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(awq)

BOOST_AUTO_TEST_CASE(fixtures_bit_identical) {
  const nlohmann::json j = load("awq.json");
  int cases = 0;
  for (const auto& c : j.at("cases")) {
    const std::string name = c.at("name");
    BOOST_TEST_CONTEXT(name) {
      const Packed p = packed(c);
      const QuantizedMatrix m = rb::quant::unpack_awq(p.qweight, p.qzeros, p.scales, p.group_size, name);
      check_against_fixture(m, c);
      BOOST_TEST((m.scheme == rb::quant::Scheme::AWQ));
      BOOST_TEST(m.g_idx.empty());
      BOOST_TEST(m.format_bits_per_weight == 4.0 + 20.0 / static_cast<double>(p.group_size));
      ++cases;
    }
  }
  BOOST_TEST(cases == 2);
}

BOOST_AUTO_TEST_CASE(awq_order_by_hand) {
  // One input row, 8 outputs: nibble i of the word holds output AWQ_ORDER[i] = [0, 2, 4, 6, 1, 3, 5, 7].
  // Nibbles 0..7 = 1..8, so output o gets 1 + (position of o in AWQ_ORDER).
  Int32Tensor qweight{{1, 1}, {static_cast<int32_t>(0x87654321u)}};
  Int32Tensor qzeros{{1, 1}, {0}};
  FloatTensor scales{{1, 8}, std::vector<float>(8, 1.0f)};
  const QuantizedMatrix m = rb::quant::unpack_awq(qweight, qzeros, scales, 1, "w");
  const std::vector<float> y = dequantize(m);  // [8 outputs, 1 input]
  BOOST_TEST(y == (std::vector<float>{1, 5, 2, 6, 3, 7, 4, 8}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(corrupt_tensors_are_refused) {
  const nlohmann::json j = load("awq.json");
  const Packed good = packed(j.at("cases").at(0));  // in 64, out 16, groups of 16
  const std::string where = "awq.safetensors: model.layers.1.mlp.down_proj";
  auto unpack = [&](const Packed& p, int64_t gs) {
    return error_of([&] { rb::quant::unpack_awq(p.qweight, p.qzeros, p.scales, gs, where); });
  };
  BOOST_TEST(unpack(good, 16) == "(no InputError)");
  Packed p = good;
  p.qweight.data.resize(10);
  BOOST_TEST(unpack(p, 16) == where + ": qweight: holds 10 values for shape [64, 2]");
  p = good;
  p.qzeros.shape = {2, 4};
  BOOST_TEST(unpack(p, 16) == where + ": qzeros: shape [2, 4], expected [4, 2] (64 inputs / group size 16 = 4 groups, 16 outputs)");
  p = good;
  p.scales.shape = {4, 8};
  BOOST_TEST(unpack(p, 16) == where + ": scales: shape [4, 8], expected [4, 16] (64 inputs / group size 16 = 4 groups, 16 outputs)");
  BOOST_TEST(unpack(good, 48) == where + ": group_size: group size 48 does not divide the 64 input features");
  p = good;
  p.scales.data[0] = NAN;
  BOOST_TEST(unpack(p, 16) == where + ": scale: entry 0 is not finite");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(gguf)

BOOST_AUTO_TEST_CASE(byte_count_must_match_the_shape) {
  using rb::quant::Scheme;
  std::vector<uint8_t> blocks(3 * 2 * 18, 0);  // 3 rows of 64 Q4_0 weights
  const std::string where = "model.gguf: blk.0.attn_q.weight";
  BOOST_TEST(error_of([&] { rb::quant::pack_gguf_q4(Scheme::GGUF_Q4_0, blocks.data(), blocks.size(), 3, 64, where); }) ==
             "(no InputError)");
  BOOST_TEST(error_of([&] { rb::quant::pack_gguf_q4(Scheme::GGUF_Q4_0, blocks.data(), blocks.size() - 1, 3, 64, where); }) ==
             where + ": data: 107 bytes for a [3, 64] Q4_0 tensor, which takes 108 (18 bytes per 32 weights)");
  BOOST_TEST(error_of([&] { rb::quant::pack_gguf_q4(Scheme::GGUF_Q4_1, blocks.data(), blocks.size(), 3, 64, where); }) ==
             where + ": data: 108 bytes for a [3, 64] Q4_1 tensor, which takes 120 (20 bytes per 32 weights)");
  BOOST_TEST(error_of([&] { rb::quant::pack_gguf_q4(Scheme::GGUF_Q4_K, blocks.data(), blocks.size(), 3, 64, where); }) ==
             where + ": shape: row length 64 is not a multiple of the Q4_K block size 256");
  BOOST_TEST(error_of([&] { rb::quant::pack_gguf_q4(Scheme::GGUF_Q4_0, blocks.data(), blocks.size(), 3, 48, where); }) ==
             where + ": shape: row length 48 is not a multiple of the Q4_0 block size 32");
  BOOST_CHECK_THROW(rb::quant::pack_gguf_q4(Scheme::NF4, blocks.data(), blocks.size(), 3, 64, where), rb::Error);
  // An fp16 scale of inf (0x7C00) is refused rather than dequantized to inf / NaN.
  blocks[18 + 1] = 0x7C;
  BOOST_TEST(error_of([&] { rb::quant::pack_gguf_q4(Scheme::GGUF_Q4_0, blocks.data(), blocks.size(), 3, 64, where); }) ==
             where + ": scale: entry 1 is not finite");
}

BOOST_AUTO_TEST_CASE(q4_0_block_by_hand) {
  // d = 0.5 (0x3800); qs[j] = j | (15 - j) << 4: y[j] = (j - 8) / 2, y[j + 16] = (7 - j) / 2.
  std::vector<uint8_t> blk(18);
  blk[0] = 0x00;
  blk[1] = 0x38;
  for (int j = 0; j < 16; ++j) blk[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  const QuantizedMatrix m = rb::quant::pack_gguf_q4(rb::quant::Scheme::GGUF_Q4_0, blk.data(), blk.size(), 1, 32, "b");
  const std::vector<float> y = dequantize(m);
  for (int j = 0; j < 16; ++j) {
    BOOST_TEST(y[j] == (j - 8) * 0.5f);
    BOOST_TEST(y[j + 16] == (7 - j) * 0.5f);
  }
  BOOST_TEST(m.format_bits_per_weight == 4.5);
}

BOOST_AUTO_TEST_SUITE_END()
