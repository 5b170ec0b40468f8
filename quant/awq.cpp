// AWQ GEMM checkpoints (AutoAWQ, version "gemm") -> QuantizedMatrix.
// awq/utils/packing_utils.py: qweight[i, k] packs outputs 8k .. 8k + 7 of input row i, output
// 8k + AWQ_ORDER[j] in bits 4j (AWQ_ORDER = [0, 2, 4, 6, 1, 3, 5, 7]; unpack_awq then
// reverse_awq_order with AWQ_REVERSE_ORDER = [0, 4, 1, 5, 2, 6, 3, 7] undoes it); qzeros[g, k]
// packs the zeros the same way; dequantize_gemm: (iweight - izeros) * scales in fp16, the zero
// stored as is.
#include <array>
#include <string>

#include "common/error.hpp"
#include "quant/checkpoint_formats.hpp"

namespace rb::quant {
namespace {

// Output 8k + m sits in nibble kAwqReverseOrder[m] of its word.
constexpr std::array<int, 8> kAwqReverseOrder = {0, 4, 1, 5, 2, 6, 3, 7};

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (std::size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

template <class Tensor>
void expect_shape(const Tensor& t, const std::vector<int64_t>& want, const std::string& where, const char* field,
                  const std::string& why) {
  if (t.shape != want)
    throw InputError(where, field, "shape " + shape_str(t.shape) + ", expected " + shape_str(want) + " (" + why + ")");
  int64_t n = 1;
  for (int64_t d : want) n *= d;
  if (static_cast<int64_t>(t.data.size()) != n)
    throw InputError(where, field, "holds " + std::to_string(t.data.size()) + " values for shape " + shape_str(t.shape));
}

inline uint32_t awq_nibble(int32_t word, int64_t o) {
  return (static_cast<uint32_t>(word) >> (4 * kAwqReverseOrder[static_cast<std::size_t>(o % 8)])) & 15u;
}

}  // namespace

QuantizedMatrix unpack_awq(const Int32Tensor& qweight, const Int32Tensor& qzeros, const FloatTensor& scales,
                           int64_t group_size, const std::string& where) {
  if (qweight.shape.size() != 2 || qweight.shape[0] < 1 || qweight.shape[1] < 1)
    throw InputError(where, "qweight", "shape " + shape_str(qweight.shape) + ", expected [in, out / 8]");
  const int64_t in = qweight.shape[0], out = qweight.shape[1] * 8;
  expect_shape(qweight, {in, out / 8}, where, "qweight", "in, out / 8");
  const int64_t gs = group_size == -1 ? in : group_size;
  if (gs < 1 || in % gs != 0)
    throw InputError(where, "group_size", "group size " + std::to_string(group_size) + " does not divide the " +
                                              std::to_string(in) + " input features");
  const int64_t groups = in / gs;
  const std::string why = std::to_string(in) + " inputs / group size " + std::to_string(gs) + " = " +
                          std::to_string(groups) + " groups, " + std::to_string(out) + " outputs";
  expect_shape(qzeros, {groups, out / 8}, where, "qzeros", why);
  expect_shape(scales, {groups, out}, where, "scales", why);

  QuantizedMatrix m;
  m.scheme = Scheme::AWQ;
  m.rows = out;
  m.cols = in;
  m.group_size = gs;
  m.round_to_fp16 = true;
  for (int k = 0; k < 16; ++k) m.table[static_cast<std::size_t>(k)] = static_cast<float>(k);
  m.format_bits_per_weight = 4.0 + 20.0 / static_cast<double>(gs);  // fp16 scale + packed 4-bit zero
  const int64_t rb = m.row_bytes();
  m.codes.assign(static_cast<std::size_t>(out * rb), 0);
  for (int64_t i = 0; i < in; ++i)
    for (int64_t o = 0; o < out; ++o) {
      const uint32_t q = awq_nibble(qweight.data[static_cast<std::size_t>(i * (out / 8) + o / 8)], o);
      uint8_t& byte = m.codes[static_cast<std::size_t>(o * rb + i / 2)];
      byte = static_cast<uint8_t>(byte | (q << ((i & 1) * 4)));
    }
  m.scale.resize(static_cast<std::size_t>(out * groups));
  m.zero.resize(static_cast<std::size_t>(out * groups));
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t o = 0; o < out; ++o) {
      const std::size_t dst = static_cast<std::size_t>(o * groups + g);
      m.zero[dst] = static_cast<float>(awq_nibble(qzeros.data[static_cast<std::size_t>(g * (out / 8) + o / 8)], o));
      m.scale[dst] = scales.data[static_cast<std::size_t>(g * out + o)];
    }
  m.validate(where);
  return m;
}

}  // namespace rb::quant
