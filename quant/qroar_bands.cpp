#include "quant/qroar_bands.hpp"

#include <cmath>
#include <numbers>

#include "common/error.hpp"

namespace rb::quant {

const char* band_mode_name(BandMode m) { return m == BandMode::Frequency ? "frequency" : "wavelength"; }

int64_t band_count(const BandSpec& spec) { return spec.mode == BandMode::Frequency ? spec.count : 3; }

std::vector<int> assign_bands(const BandSpec& spec, int64_t rotary_dim, double rope_theta, int64_t original_context,
                              const std::string& where) {
  const int64_t pairs = rotary_dim / 2;
  if (pairs < 1) throw InputError(where, "bands", "the model rotates no dimension pairs (rotary_dim " + std::to_string(rotary_dim) + ")");
  std::vector<int> band(static_cast<size_t>(pairs));
  if (spec.mode == BandMode::Frequency) {
    if (spec.count < 1 || pairs % spec.count != 0)
      throw InputError(where, "bands", std::to_string(spec.count) + " bands do not divide the " + std::to_string(pairs) +
                                           " rotary pairs (rotary_dim " + std::to_string(rotary_dim) + ")");
    const int64_t per_band = pairs / spec.count;
    for (int64_t i = 0; i < pairs; ++i) band[static_cast<size_t>(i)] = static_cast<int>(i / per_band);
    return band;
  }
  if (!(spec.wavelength_margin > 1.0))
    throw InputError(where, "bands", "the wavelength margin must be above 1 but is " + std::to_string(spec.wavelength_margin));
  if (original_context < 1 || !(rope_theta > 1.0))
    throw InputError(where, "bands", "wavelength bands need the original context and a RoPE base above 1");
  const double n = static_cast<double>(original_context);
  for (int64_t i = 0; i < pairs; ++i) {
    // inv_freq_i = theta^(-2i/d) (LlamaRotaryEmbedding's default), wavelength 2 pi / inv_freq_i.
    const double wavelength = 2.0 * std::numbers::pi * std::pow(rope_theta, 2.0 * static_cast<double>(i) / static_cast<double>(rotary_dim));
    band[static_cast<size_t>(i)] = wavelength < n / spec.wavelength_margin ? 0 : wavelength > n * spec.wavelength_margin ? 2 : 1;
  }
  return band;
}

std::vector<float> rope_row_scales(const std::vector<int>& band_of_pair, const std::vector<double>& band_scale,
                                   int64_t heads, int64_t head_dim) {
  const auto pairs = static_cast<int64_t>(band_of_pair.size());
  std::vector<float> rows(static_cast<size_t>(heads * head_dim), 1.0f);
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < pairs; ++i) {
      const auto s = static_cast<float>(band_scale.at(static_cast<size_t>(band_of_pair[static_cast<size_t>(i)])));
      rows[static_cast<size_t>(h * head_dim + i)] = s;
      rows[static_cast<size_t>(h * head_dim + i + pairs)] = s;
    }
  return rows;
}

void scale_rows(QuantizedMatrix& m, const std::vector<float>& row_scale, const std::string& where) {
  if (static_cast<int64_t>(row_scale.size()) != m.rows)
    throw Error(where + ": " + std::to_string(row_scale.size()) + " row scales for " + std::to_string(m.rows) + " rows");
  if (m.g_idx.empty() && (m.group_size <= 0 || m.cols % m.group_size != 0))
    throw InputError(where, "group_size", "groups of " + std::to_string(m.group_size) + " weights cross the rows of " +
                                              std::to_string(m.cols) + " columns; a row cannot be scaled alone");
  const int64_t per_row = m.groups() / m.rows;
  for (int64_t r = 0; r < m.rows; ++r) {
    const float s = row_scale[static_cast<size_t>(r)];
    if (s == 1.0f) continue;
    for (int64_t g = r * per_row; g < (r + 1) * per_row; ++g) {
      m.scale[static_cast<size_t>(g)] *= s;
      if (!m.bias.empty()) m.bias[static_cast<size_t>(g)] *= s;
    }
  }
}

}  // namespace rb::quant
