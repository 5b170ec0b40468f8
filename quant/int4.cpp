// INT4 round-to-nearest quantize-at-load with GPTQ's quantizer (IST-DASLab/gptq quant.py,
// Quantizer.find_params with perchannel=True, mse=False, bits=4, applied per row to each group of
// `group_size` columns, as gptq.py's fasterquant does with groupsize; also AutoGPTQ's quantizer.py):
//   xmin = min(min(x), 0), xmax = max(max(x), 0)
//   sym:  xmax = max(|xmin|, xmax); xmin = -xmax only where xmin < 0 (a group without a negative
//         weight keeps xmin = 0: GPTQ's own behaviour, kept for fidelity)
//   xmin == xmax == 0: xmin = -1, xmax = +1
//   scale = (xmax - xmin) / 15;  zero = sym ? 8 : round(-xmin / scale)
//   q = clamp(round(x / scale) + zero, 0, 15);  value = scale * (q - zero)
// All in fp32, round half to even (torch.round).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.hpp"
#include "quant/quantizers.hpp"

namespace rb::quant {

QuantizedMatrix quantize_int4(const float* w, int64_t rows, int64_t cols, int64_t group_size, bool symmetric,
                              const std::string& where) {
  if (rows < 0 || cols < 0)
    throw InputError(where, "shape", "negative shape [" + std::to_string(rows) + ", " + std::to_string(cols) + "]");
  if (group_size < 2) throw InputError(where, "group_size", "group size " + std::to_string(group_size) + " is below 2");
  if (cols % group_size != 0)
    throw InputError(where, "group_size", "group size " + std::to_string(group_size) +
                                              " does not divide the row length " + std::to_string(cols));
  for (int64_t i = 0; i < rows * cols; ++i)
    if (!std::isfinite(w[i]))
      throw InputError(where, "weights", "element [" + std::to_string(i / cols) + ", " + std::to_string(i % cols) +
                                             "] is not finite");
  constexpr float kMaxq = 15.0f;
  QuantizedMatrix m;
  m.scheme = symmetric ? Scheme::INT4 : Scheme::INT4_ASYM;
  m.rows = rows;
  m.cols = cols;
  m.group_size = group_size;
  // Symmetric: zero is always 8, so it moves into the table (q - 8 is exact) and is not stored.
  for (int k = 0; k < 16; ++k) m.table[static_cast<std::size_t>(k)] = static_cast<float>(symmetric ? k - 8 : k);
  // As a checkpoint would store it (GPTQ): an fp16 scale per group, plus a packed 4-bit zero when asymmetric.
  m.format_bits_per_weight = 4.0 + (symmetric ? 16.0 : 20.0) / static_cast<double>(group_size);
  const int64_t groups_per_row = cols / group_size;
  const int64_t groups = rows * groups_per_row;
  m.scale.assign(static_cast<std::size_t>(groups), 0.0f);
  if (!symmetric) m.zero.assign(static_cast<std::size_t>(groups), 0.0f);
  const int64_t rb = m.row_bytes();
  m.codes.assign(static_cast<std::size_t>(rows * rb), 0);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* row = m.codes.data() + r * rb;
    for (int64_t g = 0; g < groups_per_row; ++g) {
      const float* x = w + r * cols + g * group_size;
      float xmin = x[0], xmax = x[0];
      for (int64_t j = 1; j < group_size; ++j) {
        xmin = std::min(xmin, x[j]);
        xmax = std::max(xmax, x[j]);
      }
      xmin = std::min(xmin, 0.0f);
      xmax = std::max(xmax, 0.0f);
      if (symmetric) {
        xmax = std::max(std::fabs(xmin), xmax);
        if (xmin < 0.0f) xmin = -xmax;
      }
      if (xmin == 0.0f && xmax == 0.0f) {
        xmin = -1.0f;
        xmax = 1.0f;
      }
      const float scale = (xmax - xmin) / kMaxq;
      const float zero = symmetric ? 8.0f : std::nearbyint(-xmin / scale);
      const std::size_t gi = static_cast<std::size_t>(r * groups_per_row + g);
      m.scale[gi] = scale;
      if (!symmetric) m.zero[gi] = zero;
      for (int64_t j = 0; j < group_size; ++j) {
        float q = std::nearbyint(x[j] / scale) + zero;
        // torch.clamp; a NaN (0 / 0 from a scale that underflowed to 0) becomes the zero point.
        q = std::isnan(q) ? zero : std::clamp(q, 0.0f, kMaxq);
        const int64_t c = g * group_size + j;
        row[c / 2] = static_cast<uint8_t>(row[c / 2] | (static_cast<int>(q) << ((c & 1) * 4)));
      }
    }
  }
  m.validate(where);
  return m;
}

}  // namespace rb::quant
