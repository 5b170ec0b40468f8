// QuantizedMatrix: size checks, the value formula, row permutation, fp16 rounding.
//
// Exactness: every reference this layout reproduces (bitsandbytes, GPTQ, AWQ, ggml) evaluates the
// value with separately rounded fp32 operations. GCC contracts a * b + c into an FMA whenever the
// target has one (even with -std=c++20), so contraction is switched off for this whole file.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "quant/quantized_matrix.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <string>

#include "common/error.hpp"

namespace rb::quant {
namespace {

std::string num(int64_t v) { return std::to_string(v); }

bool all_finite(const std::vector<float>& v, std::size_t* bad) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i])) {
      *bad = i;
      return false;
    }
  return true;
}

// The 16 values a code can take in group g: the formula of quantized_matrix.hpp, one operation at a
// time; an empty zero/bias skips its operation so that signed zeros survive (-1 * 0 stays -0).
void group_lut(const QuantizedMatrix& m, int64_t g, float* lut) {
  const float s = m.scale[static_cast<std::size_t>(g)];
  const bool has_zero = !m.zero.empty(), has_bias = !m.bias.empty();
  const float z = has_zero ? m.zero[static_cast<std::size_t>(g)] : 0.0f;
  const float b = has_bias ? m.bias[static_cast<std::size_t>(g)] : 0.0f;
  for (int k = 0; k < 16; ++k) {
    float v = m.table[static_cast<std::size_t>(k)];
    if (has_zero) v = v - z;
    v = v * s;
    if (has_bias) v = v + b;
    lut[k] = m.round_to_fp16 ? round_to_fp16(v) : v;
  }
}

inline int code_at(const uint8_t* row, int64_t c) {
  const uint8_t byte = row[c >> 1];
  return (c & 1) ? (byte >> 4) : (byte & 0x0F);
}

}  // namespace

const char* scheme_name(Scheme s) {
  switch (s) {
    case Scheme::NF4: return "nf4";
    case Scheme::NF4_DQ: return "nf4-dq";
    case Scheme::INT4: return "int4";
    case Scheme::INT4_ASYM: return "int4-asym";
    case Scheme::GPTQ: return "gptq";
    case Scheme::AWQ: return "awq";
    case Scheme::GGUF_Q4_0: return "gguf-q4_0";
    case Scheme::GGUF_Q4_1: return "gguf-q4_1";
    case Scheme::GGUF_Q4_K: return "gguf-q4_k";
  }
  return "?";
}

int64_t QuantizedMatrix::groups_per_row() const {
  if (!g_idx.empty()) return g_idx_groups;
  if (group_size <= 0 || cols % group_size != 0)
    throw Error(std::string(scheme_name(scheme)) + " matrix: groups of " + num(group_size) +
                " cross rows of length " + num(cols) + "; there is no per-row group count");
  return cols / group_size;
}

std::size_t QuantizedMatrix::memory_bytes() const {
  return codes.size() + sizeof(table) + sizeof(float) * (scale.size() + zero.size() + bias.size()) +
         sizeof(int32_t) * g_idx.size();
}

void QuantizedMatrix::validate(const std::string& where) const {
  if (rows < 0 || cols < 0) throw InputError(where, "shape", "negative shape [" + num(rows) + ", " + num(cols) + "]");
  if (group_size < 1) throw InputError(where, "group_size", "group size " + num(group_size) + " is below 1");
  const std::size_t want_codes = static_cast<std::size_t>(rows * row_bytes());
  if (codes.size() != want_codes)
    throw InputError(where, "codes", "holds " + num(static_cast<int64_t>(codes.size())) + " bytes; a [" + num(rows) +
                                         ", " + num(cols) + "] matrix of 4-bit codes needs " +
                                         num(static_cast<int64_t>(want_codes)));
  int64_t want_groups;
  if (g_idx.empty()) {
    want_groups = (rows * cols + group_size - 1) / group_size;
  } else {
    if (static_cast<int64_t>(g_idx.size()) != cols)
      throw InputError(where, "g_idx", "has " + num(static_cast<int64_t>(g_idx.size())) + " entries; one per column (" +
                                           num(cols) + ") is needed");
    if (g_idx_groups < 1) throw InputError(where, "g_idx", "groups per row is " + num(g_idx_groups));
    for (std::size_t c = 0; c < g_idx.size(); ++c)
      if (g_idx[c] < 0 || g_idx[c] >= g_idx_groups)
        throw InputError(where, "g_idx", "entry " + num(static_cast<int64_t>(c)) + " is " + num(g_idx[c]) +
                                             ", outside [0, " + num(g_idx_groups) + ")");
    want_groups = rows * g_idx_groups;
  }
  const auto check_params = [&](const std::vector<float>& v, const char* field, bool optional) {
    if (optional && v.empty()) return;
    if (static_cast<int64_t>(v.size()) != want_groups)
      throw InputError(where, field, "has " + num(static_cast<int64_t>(v.size())) + " entries; " + num(want_groups) +
                                         " groups need one each");
    std::size_t bad = 0;
    if (!all_finite(v, &bad))
      throw InputError(where, field, "entry " + num(static_cast<int64_t>(bad)) + " is not finite");
  };
  check_params(scale, "scale", false);
  check_params(zero, "zero", true);
  check_params(bias, "bias", true);
  for (std::size_t k = 0; k < table.size(); ++k)
    if (!std::isfinite(table[k])) throw InputError(where, "table", "entry " + num(static_cast<int64_t>(k)) + " is not finite");
}

void QuantizedMatrix::dequantize_rows(int64_t r0, int64_t r1, float* out) const {
  if (r0 < 0 || r1 < r0 || r1 > rows)
    throw Error("dequantize_rows: rows [" + num(r0) + ", " + num(r1) + ") outside [0, " + num(rows) + ")");
  const int64_t rb = row_bytes();
  if (g_idx.empty()) {
    // Flat groups: walk each row by the runs of columns that share a group.
#pragma omp parallel for schedule(static)
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* row = codes.data() + r * rb;
      float* y = out + (r - r0) * cols;
      const int64_t flat = r * cols;
      float lut[16];
      for (int64_t c = 0; c < cols;) {
        const int64_t g = (flat + c) / group_size;
        const int64_t end = std::min(cols, (g + 1) * group_size - flat);
        group_lut(*this, g, lut);
        for (; c < end; ++c) y[c] = lut[code_at(row, c)];
      }
    }
  } else {
    const int64_t groups = g_idx_groups;
#pragma omp parallel for schedule(static)
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* row = codes.data() + r * rb;
      float* y = out + (r - r0) * cols;
      std::vector<float> lut(static_cast<std::size_t>(groups) * 16);
      for (int64_t g = 0; g < groups; ++g) group_lut(*this, r * groups + g, lut.data() + g * 16);
      for (int64_t c = 0; c < cols; ++c)
        y[c] = lut[static_cast<std::size_t>(g_idx[static_cast<std::size_t>(c)]) * 16 + code_at(row, c)];
    }
  }
}

QuantizedMatrix QuantizedMatrix::permuted_rows(const std::vector<int64_t>& perm) const {
  const std::string where = std::string(scheme_name(scheme)) + " permuted_rows";
  if (static_cast<int64_t>(perm.size()) != rows)
    throw InputError(where, "perm", "has " + num(static_cast<int64_t>(perm.size())) + " entries for " + num(rows) + " rows");
  if (g_idx.empty() && (group_size <= 0 || cols % group_size != 0))
    throw InputError(where, "group_size", "groups of " + num(group_size) + " cross rows of length " + num(cols) +
                                              "; rows cannot be permuted");
  const int64_t gpr = groups_per_row();
  const int64_t rb = row_bytes();
  QuantizedMatrix out = *this;
  const auto move_params = [&](const std::vector<float>& src, std::vector<float>& dst, int64_t i, int64_t from) {
    if (src.empty()) return;
    std::copy_n(src.begin() + from * gpr, gpr, dst.begin() + i * gpr);
  };
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t from = perm[static_cast<std::size_t>(i)];
    if (from < 0 || from >= rows)
      throw InputError(where, "perm", "entry " + num(i) + " is " + num(from) + ", outside [0, " + num(rows) + ")");
    std::memcpy(out.codes.data() + i * rb, codes.data() + from * rb, static_cast<std::size_t>(rb));
    move_params(scale, out.scale, i, from);
    move_params(zero, out.zero, i, from);
    move_params(bias, out.bias, i, from);
  }
  return out;
}

// IEEE binary16 round-to-nearest-even, done on the bits (what torch's .half() and CUDA's
// __float2half_rn compute), then widened back exactly.
float round_to_fp16(float x) {
  const uint32_t f = std::bit_cast<uint32_t>(x);
  const uint32_t sign = f & 0x80000000u;
  const uint32_t a = f & 0x7FFFFFFFu;
  if (a >= 0x7F800000u) return x;  // inf, NaN
  float r;
  if (a >= 0x477FF000u) {  // >= 65520 = 65504 + half an ulp: rounds past the largest half
    r = std::bit_cast<float>(0x7F800000u);
  } else if (a < 0x38800000u) {  // below 2^-14: half subnormals, a multiple of 2^-24
    // a * 2^24 < 1024 is exact; nearbyint rounds half to even in the default rounding mode.
    const float units = std::nearbyint(std::bit_cast<float>(a) * 16777216.0f);
    r = units * (1.0f / 16777216.0f);
  } else {  // normal: keep 10 mantissa bits, round half to even on the 13 dropped ones
    const uint32_t lsb = (a >> 13) & 1u;
    r = std::bit_cast<float>((a + 0x0FFFu + lsb) & ~0x1FFFu);
  }
  return std::bit_cast<float>(std::bit_cast<uint32_t>(r) | sign);
}

}  // namespace rb::quant
