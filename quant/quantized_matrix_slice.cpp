#include "quant/quantized_matrix_slice.hpp"

#include <cstring>

#include "common/error.hpp"

namespace rb::quant {
namespace {

std::string num(int64_t v) { return std::to_string(v); }

void check_range(const std::string& where, const char* axis, int64_t begin, int64_t n, int64_t extent) {
  if (begin < 0 || n <= 0 || begin + n > extent)
    throw InputError(where, axis, "slice [" + num(begin) + ", " + num(begin + n) + ") outside [0, " + num(extent) + ")");
}

std::vector<float> take(const std::vector<float>& v, int64_t first, int64_t n) {
  if (v.empty()) return {};
  return std::vector<float>(v.begin() + first, v.begin() + first + n);
}

uint8_t nibble(const uint8_t* row, int64_t c) { return (row[c / 2] >> ((c % 2) * 4)) & 0x0F; }

}  // namespace

QuantizedMatrix slice_rows(const QuantizedMatrix& m, int64_t r0, int64_t n, const std::string& where) {
  check_range(where, "rows", r0, n, m.rows);
  QuantizedMatrix out = m;
  out.rows = n;
  const int64_t rb = m.row_bytes();
  out.codes.assign(m.codes.begin() + r0 * rb, m.codes.begin() + (r0 + n) * rb);
  int64_t g0 = 0, groups = 0;
  if (!m.g_idx.empty()) {
    g0 = r0 * m.g_idx_groups;
    groups = n * m.g_idx_groups;
  } else {
    if (m.group_size <= 0 || (r0 * m.cols) % m.group_size != 0 || (n * m.cols) % m.group_size != 0)
      throw InputError(where, "group_size",
                       "rows [" + num(r0) + ", " + num(r0 + n) + ") of a " + num(m.rows) + " x " + num(m.cols) +
                           " matrix cut a quantization group of " + num(m.group_size) + " weights");
    g0 = r0 * m.cols / m.group_size;
    groups = n * m.cols / m.group_size;
  }
  out.scale = take(m.scale, g0, groups);
  out.zero = take(m.zero, g0, groups);
  out.bias = take(m.bias, g0, groups);
  return out;
}

QuantizedMatrix slice_cols(const QuantizedMatrix& m, int64_t c0, int64_t n, const std::string& where) {
  check_range(where, "cols", c0, n, m.cols);
  QuantizedMatrix out = m;
  out.cols = n;
  const int64_t rb = m.row_bytes(), orb = out.row_bytes();
  if (m.g_idx.empty()) {
    if (m.group_size <= 0 || m.cols % m.group_size != 0 || c0 % m.group_size != 0 || n % m.group_size != 0)
      throw InputError(where, "group_size",
                       "columns [" + num(c0) + ", " + num(c0 + n) + ") of a " + num(m.rows) + " x " + num(m.cols) +
                           " matrix cut a quantization group of " + num(m.group_size) + " weights");
    const int64_t gpr = m.cols / m.group_size, ogpr = n / m.group_size, gc0 = c0 / m.group_size;
    auto per_row = [&](const std::vector<float>& v) {
      std::vector<float> r;
      if (v.empty()) return r;
      r.reserve(static_cast<size_t>(m.rows * ogpr));
      for (int64_t row = 0; row < m.rows; ++row)
        r.insert(r.end(), v.begin() + row * gpr + gc0, v.begin() + row * gpr + gc0 + ogpr);
      return r;
    };
    out.scale = per_row(m.scale);
    out.zero = per_row(m.zero);
    out.bias = per_row(m.bias);
  } else {
    out.g_idx.assign(m.g_idx.begin() + c0, m.g_idx.begin() + c0 + n);  // every group of the row is kept
  }
  out.codes.assign(static_cast<size_t>(m.rows * orb), 0);
  for (int64_t r = 0; r < m.rows; ++r) {
    const uint8_t* src = m.codes.data() + r * rb;
    uint8_t* dst = out.codes.data() + r * orb;
    if (c0 % 2 == 0 && n % 2 == 0) {
      std::memcpy(dst, src + c0 / 2, static_cast<size_t>(n / 2));
    } else {
      for (int64_t c = 0; c < n; ++c) dst[c / 2] |= static_cast<uint8_t>(nibble(src, c0 + c) << ((c % 2) * 4));
    }
  }
  return out;
}

}  // namespace rb::quant
