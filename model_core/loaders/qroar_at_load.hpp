#pragma once
// Q-ROAR scales (docs/QROAR.md): per band b a factor s_b on the rows of W_Q (and its bias) and of
// W_K of that band, applied to a checkpoint's full-precision weights before --quant quantizes
// them, or to the group parameters of a 4-bit checkpoint's rows (GPTQ, AWQ, GGUF Q4).
//   symmetric: W_Q * s_b, W_K / s_b — every attention logit q.k unchanged in exact arithmetic;
//              only where quantization rounds does the model change;
//   plain:     W_Q * s_b, W_K * s_b — a per-band attention temperature s_b^2.
// The scales file (JSON, "format": "ropebatch-qroar/1") names the model it was searched on; applying
// it to another is an error naming the field that differs.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model_core/config.hpp"
#include "model_core/weights.hpp"
#include "quant/qroar_bands.hpp"

namespace rb {

enum class QroarVariant { Symmetric, Plain };
const char* qroar_variant_name(QroarVariant v);
QroarVariant parse_qroar_variant(const std::string& name, const std::string& where, const std::string& field);

struct QroarScales {
  std::string file;  // where they were read from, for messages ("" when made in memory)
  // The model they were made for: its architecture and the shapes the scales address.
  std::string architecture;
  int64_t num_layers = 0, num_heads = 0, num_kv_heads = 0, head_dim = 0, rotary_dim = 0;
  quant::BandSpec bands;
  std::vector<int> band_of_pair;  // rotary_dim / 2 entries
  QroarVariant variant = QroarVariant::Symmetric;
  // One row for every layer alike, or one row per layer; each row has a factor per band.
  std::vector<std::vector<double>> scales;
  nlohmann::json record = nlohmann::json::object();  // how they were found (search, diagnostics)

  int64_t band_count() const { return quant::band_count(bands); }
  double scale(int64_t layer, int band) const;
  bool per_layer() const { return scales.size() > 1; }
  bool is_identity() const;
};

// The bands of `c` under `spec` (its unscaled RoPE base and original context for wavelength
// bands); refuses models whose rows cannot carry the scales: q/k RMSNorm after the projections
// (Qwen3, Gemma-3) renormalizes each head and undoes a row scaling.
QroarScales qroar_identity(const ModelConfig& c, const quant::BandSpec& spec, QroarVariant variant, bool per_layer);

nlohmann::json qroar_to_json(const QroarScales& s);
QroarScales qroar_from_json(const nlohmann::json& j, const std::string& file);
QroarScales load_qroar_scales(const std::filesystem::path& file);
void save_qroar_scales(const QroarScales& s, const std::filesystem::path& file);

// Throws InputError(s.file, field, ...) when the scales were made for another model than `c`.
void check_qroar_model(const QroarScales& s, const ModelConfig& c);

// Scales the rows of every layer's q_proj, k_proj (and their biases) in place: fp32 and stored
// tensors as fp32, 4-bit ones through their group parameters (quant::scale_rows).
void apply_qroar_scales(ModelWeights& w, const ModelConfig& c, const QroarScales& s);

}  // namespace rb
