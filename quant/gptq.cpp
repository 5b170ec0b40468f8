// GPTQ checkpoints (AutoGPTQ / GPTQModel / transformers) -> QuantizedMatrix.
// Packing (AutoGPTQ auto_gptq/nn_modules/qlinear/qlinear_cuda.py QuantLinear.pack, same in
// GPTQModel's TorchQuantLinear): qweight[i / 8, o] holds input row i of W^T in bits 4 * (i % 8);
// qzeros[g, o / 8] holds the zero of output o in bits 4 * (o % 8). Dequantization (their torch
// forward path): zeros = (nibble & 15) + 1 for checkpoint_format "gptq" (v1; pack stored zero - 1,
// so a zero of 0 cannot be represented: its stored 15 reads back as 16, as in AutoGPTQ), the
// nibble itself for "gptq_v2"; weight = scales[g_idx[i], o] * (q - zeros[g_idx[i], o]) in fp16.
#include <cstring>
#include <string>

#include "common/error.hpp"
#include "quant/checkpoint_formats.hpp"

namespace rb::quant {
namespace {

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

}  // namespace

QuantizedMatrix unpack_gptq(const Int32Tensor& qweight, const Int32Tensor& qzeros, const FloatTensor& scales,
                            const Int32Tensor* g_idx, int64_t group_size, GptqZeros zeros, const std::string& where) {
  if (qweight.shape.size() != 2 || qweight.shape[0] < 1 || qweight.shape[1] < 1)
    throw InputError(where, "qweight", "shape " + shape_str(qweight.shape) + ", expected [in / 8, out]");
  const int64_t in = qweight.shape[0] * 8, out = qweight.shape[1];
  expect_shape(qweight, {in / 8, out}, where, "qweight", "in / 8, out");
  if (out % 8 != 0)
    throw InputError(where, "qweight", std::to_string(out) + " output features are not a multiple of 8 (qzeros packs 8 per int32)");
  const int64_t gs = group_size == -1 ? in : group_size;
  if (gs < 1 || in % gs != 0)
    throw InputError(where, "group_size", "group size " + std::to_string(group_size) + " does not divide the " +
                                              std::to_string(in) + " input features");
  const int64_t groups = in / gs;
  const std::string why = std::to_string(in) + " inputs / group size " + std::to_string(gs) + " = " +
                          std::to_string(groups) + " groups, " + std::to_string(out) + " outputs";
  expect_shape(qzeros, {groups, out / 8}, where, "qzeros", why);
  expect_shape(scales, {groups, out}, where, "scales", why);
  bool act_order = false;
  if (g_idx != nullptr) {
    expect_shape(*g_idx, {in}, where, "g_idx", "one group per input feature");
    for (int64_t i = 0; i < in; ++i) {
      const int32_t g = g_idx->data[static_cast<std::size_t>(i)];
      if (g < 0 || g >= groups)
        throw InputError(where, "g_idx", "entry " + std::to_string(i) + " is " + std::to_string(g) + ", outside [0, " +
                                             std::to_string(groups) + ")");
      if (g != i / gs) act_order = true;
    }
  }

  QuantizedMatrix m;
  m.scheme = Scheme::GPTQ;
  m.rows = out;
  m.cols = in;
  m.group_size = gs;
  m.round_to_fp16 = true;
  for (int k = 0; k < 16; ++k) m.table[static_cast<std::size_t>(k)] = static_cast<float>(k);
  // fp16 scale + packed 4-bit zero per group, and an int32 g_idx entry per input feature.
  m.format_bits_per_weight = 4.0 + 20.0 / static_cast<double>(gs) + (g_idx ? 32.0 / static_cast<double>(out) : 0.0);
  // Row o of the matrix, bytes 4 * k .. 4 * k + 3 = the little-endian bytes of qweight[k, o]: both
  // put input 8k + j in nibble j.
  const int64_t rb = m.row_bytes();
  m.codes.assign(static_cast<std::size_t>(out * rb), 0);
  for (int64_t k = 0; k < in / 8; ++k)
    for (int64_t o = 0; o < out; ++o) {
      const uint32_t word = static_cast<uint32_t>(qweight.data[static_cast<std::size_t>(k * out + o)]);
      for (int b = 0; b < 4; ++b) m.codes[static_cast<std::size_t>(o * rb + 4 * k + b)] = static_cast<uint8_t>(word >> (8 * b));
    }
  m.scale.resize(static_cast<std::size_t>(out * groups));
  m.zero.resize(static_cast<std::size_t>(out * groups));
  const int32_t zero_add = zeros == GptqZeros::V1StoredMinusOne ? 1 : 0;
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t o = 0; o < out; ++o) {
      const uint32_t word = static_cast<uint32_t>(qzeros.data[static_cast<std::size_t>(g * (out / 8) + o / 8)]);
      const int32_t nibble = static_cast<int32_t>((word >> (4 * (o % 8))) & 15u);
      const std::size_t dst = static_cast<std::size_t>(o * groups + g);
      m.zero[dst] = static_cast<float>(nibble + zero_add);
      m.scale[dst] = scales.data[static_cast<std::size_t>(g * out + o)];
    }
  if (act_order) {
    m.g_idx = g_idx->data;
    m.g_idx_groups = groups;
  }
  m.validate(where);
  return m;
}

}  // namespace rb::quant
