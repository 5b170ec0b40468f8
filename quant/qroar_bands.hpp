#pragma once
// Q-ROAR's frequency bands and row scaling (docs/QROAR.md; Qiao et al., "Rethinking RoPE Scaling in
// Quantized LLM", arXiv 2510.00028). RoPE rotates pairs (i, i + rotary_dim/2) of each head of q and k
// (transformers' rotate_half); a band is a set of pairs, and scaling a band scales both rows of each
// of its pairs, in every head, so a pair keeps its shape under rotation.
#include <cstdint>
#include <string>
#include <vector>

#include "quant/quantized_matrix.hpp"

namespace rb::quant {

enum class BandMode {
  Frequency,   // `count` contiguous groups of pairs, pair 0 (highest frequency) first
  Wavelength,  // three groups by the unscaled wavelength 2 pi theta^(2i/d) against the original context N:
               // below N / margin, within [N / margin, N * margin], above N * margin
};

struct BandSpec {
  BandMode mode = BandMode::Frequency;
  int64_t count = 4;               // Frequency only; must divide rotary_dim / 2
  double wavelength_margin = 2.0;  // Wavelength only; > 1
};

const char* band_mode_name(BandMode m);  // "frequency", "wavelength"
int64_t band_count(const BandSpec& spec);

// The band of each pair i < rotary_dim / 2. Throws rb::InputError(where, "bands", ...) when the
// spec does not fit (a count that does not divide the pairs, rotary_dim < 2, a margin <= 1).
std::vector<int> assign_bands(const BandSpec& spec, int64_t rotary_dim, double rope_theta, int64_t original_context,
                              const std::string& where);

// The multiplier of each row of a q_proj / k_proj weight of `heads` heads: rows h * head_dim + i
// and h * head_dim + i + rotary_dim / 2 get band_scale[band_of_pair[i]]; unrotated rows keep 1.
std::vector<float> rope_row_scales(const std::vector<int>& band_of_pair, const std::vector<double>& band_scale,
                                   int64_t heads, int64_t head_dim);

// Rows of a 4-bit matrix times row_scale[r], through their group parameters: value =
// (t - z) (s scale) + (s bias), exact in real arithmetic and exact in fp32 when s is a power of
// two (otherwise within one rounding of s * value). Needs groups that do not cross rows (GGUF
// blocks, GPTQ/AWQ groups, int4 with a group size dividing the row); throws InputError(where,
// "group_size", ...) otherwise.
void scale_rows(QuantizedMatrix& m, const std::vector<float>& row_scale, const std::string& where);

}  // namespace rb::quant
