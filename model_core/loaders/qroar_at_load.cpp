#include "model_core/loaders/qroar_at_load.hpp"

#include <cmath>
#include <fstream>

#include "common/error.hpp"
#include "model_core/model_def/tensor_table.hpp"

namespace rb {
namespace {

constexpr const char* kFormat = "ropebatch-qroar/1";

int64_t original_context(const ModelConfig& c) {
  if (c.rope_scaling.is_object() && c.rope_scaling.contains("original_max_position_embeddings") &&
      c.rope_scaling.at("original_max_position_embeddings").is_number_integer())
    return c.rope_scaling.at("original_max_position_embeddings").get<int64_t>();
  return c.max_position_embeddings;
}

void scale_tensor_rows(HostTensor& t, const std::vector<float>& rows, const std::string& where) {
  if (t.rows() != static_cast<int64_t>(rows.size()))
    throw InputError(where, "shape", "has " + std::to_string(t.rows()) + " rows, the scales address " + std::to_string(rows.size()));
  if (t.is_packed()) {
    quant::QuantizedMatrix m = *t.packed;
    quant::scale_rows(m, rows, where);
    t.packed = std::make_shared<const quant::QuantizedMatrix>(std::move(m));
    return;
  }
  materialize_f32(t);
  const int64_t cols = t.cols();
  for (int64_t r = 0; r < t.rows(); ++r)
    for (int64_t col = 0; col < cols; ++col) t.data[static_cast<size_t>(r * cols + col)] *= rows[static_cast<size_t>(r)];
}

const nlohmann::json& field(const nlohmann::json& j, const char* key, const std::string& file) {
  if (!j.is_object() || !j.contains(key)) throw InputError(file, key, "missing");
  return j.at(key);
}

int64_t int_field(const nlohmann::json& j, const char* key, const std::string& file, const std::string& prefix) {
  const nlohmann::json& v = field(j, key, file);
  if (!v.is_number_integer()) throw InputError(file, prefix + key, "expected an integer but found " + v.dump());
  return v.get<int64_t>();
}

}  // namespace

const char* qroar_variant_name(QroarVariant v) { return v == QroarVariant::Symmetric ? "symmetric" : "plain"; }

QroarVariant parse_qroar_variant(const std::string& name, const std::string& where, const std::string& key) {
  if (name == "symmetric") return QroarVariant::Symmetric;
  if (name == "plain") return QroarVariant::Plain;
  throw InputError(where, key, "'" + name + "' is not a Q-ROAR variant; known: symmetric, plain");
}

double QroarScales::scale(int64_t layer, int band) const {
  const std::vector<double>& row = scales.size() == 1 ? scales.front() : scales.at(static_cast<size_t>(layer));
  return row.at(static_cast<size_t>(band));
}

bool QroarScales::is_identity() const {
  for (const auto& row : scales)
    for (double s : row)
      if (s != 1.0) return false;
  return true;
}

QroarScales qroar_identity(const ModelConfig& c, const quant::BandSpec& spec, QroarVariant variant, bool per_layer) {
  if (c.qk_norm)
    throw InputError(c.source, "qk_norm", "Q-ROAR scales rows of W_Q and W_K, but this model's q/k RMSNorm (q_norm, k_norm) "
                                          "renormalizes every head after the projections and undoes a row scaling");
  QroarScales s;
  s.architecture = c.architecture;
  s.num_layers = c.num_layers;
  s.num_heads = c.num_heads;
  s.num_kv_heads = c.num_kv_heads;
  s.head_dim = c.head_dim;
  s.rotary_dim = c.rotary_dim();
  s.bands = spec;
  s.band_of_pair = quant::assign_bands(spec, s.rotary_dim, c.rope_theta, original_context(c), c.source);
  s.variant = variant;
  s.scales.assign(per_layer ? static_cast<size_t>(c.num_layers) : 1, std::vector<double>(static_cast<size_t>(s.band_count()), 1.0));
  return s;
}

nlohmann::json qroar_to_json(const QroarScales& s) {
  nlohmann::json bands = {{"mode", quant::band_mode_name(s.bands.mode)}, {"count", s.band_count()}, {"band_of_pair", s.band_of_pair}};
  if (s.bands.mode == quant::BandMode::Wavelength) bands["wavelength_margin"] = s.bands.wavelength_margin;
  return {{"format", kFormat},
          {"model", {{"architecture", s.architecture}, {"num_layers", s.num_layers}, {"num_heads", s.num_heads},
                     {"num_kv_heads", s.num_kv_heads}, {"head_dim", s.head_dim}, {"rotary_dim", s.rotary_dim}}},
          {"bands", bands},
          {"variant", qroar_variant_name(s.variant)},
          {"scope", s.per_layer() ? "layer" : "global"},
          {"scales", s.scales},
          {"record", s.record}};
}

QroarScales qroar_from_json(const nlohmann::json& j, const std::string& file) {
  if (!j.is_object()) throw InputError(file, "", "a Q-ROAR scales file is a JSON object");
  const nlohmann::json& format = field(j, "format", file);
  if (format != kFormat) throw InputError(file, "format", "expected \"" + std::string(kFormat) + "\" but found " + format.dump());
  QroarScales s;
  s.file = file;
  const nlohmann::json& m = field(j, "model", file);
  if (!field(m, "architecture", file).is_string()) throw InputError(file, "model.architecture", "expected a string");
  s.architecture = m.at("architecture").get<std::string>();
  s.num_layers = int_field(m, "num_layers", file, "model.");
  s.num_heads = int_field(m, "num_heads", file, "model.");
  s.num_kv_heads = int_field(m, "num_kv_heads", file, "model.");
  s.head_dim = int_field(m, "head_dim", file, "model.");
  s.rotary_dim = int_field(m, "rotary_dim", file, "model.");
  const nlohmann::json& b = field(j, "bands", file);
  const nlohmann::json& mode = field(b, "mode", file);
  if (mode == "frequency") {
    s.bands.mode = quant::BandMode::Frequency;
  } else if (mode == "wavelength") {
    s.bands.mode = quant::BandMode::Wavelength;
    if (b.contains("wavelength_margin") && b.at("wavelength_margin").is_number())
      s.bands.wavelength_margin = b.at("wavelength_margin").get<double>();
  } else {
    throw InputError(file, "bands.mode", mode.dump() + " is not a band mode; known: \"frequency\", \"wavelength\"");
  }
  s.bands.count = int_field(b, "count", file, "bands.");
  if (s.bands.count < 1 || (s.bands.mode == quant::BandMode::Wavelength && s.bands.count != 3))
    throw InputError(file, "bands.count", "expected a positive count (3 for wavelength bands) but found " + std::to_string(s.bands.count));
  const nlohmann::json& pairs = field(b, "band_of_pair", file);
  if (!pairs.is_array() || static_cast<int64_t>(pairs.size()) * 2 != s.rotary_dim)
    throw InputError(file, "bands.band_of_pair", "expected rotary_dim / 2 = " + std::to_string(s.rotary_dim / 2) + " band numbers");
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (!pairs[i].is_number_integer() || pairs[i].get<int64_t>() < 0 || pairs[i].get<int64_t>() >= s.bands.count)
      throw InputError(file, "bands.band_of_pair[" + std::to_string(i) + "]", "expected a band number below " + std::to_string(s.bands.count));
    s.band_of_pair.push_back(pairs[i].get<int>());
  }
  const nlohmann::json& variant = field(j, "variant", file);
  if (!variant.is_string()) throw InputError(file, "variant", "expected \"symmetric\" or \"plain\"");
  s.variant = parse_qroar_variant(variant.get<std::string>(), file, "variant");
  const nlohmann::json& rows = field(j, "scales", file);
  if (!rows.is_array() || (rows.size() != 1 && static_cast<int64_t>(rows.size()) != s.num_layers))
    throw InputError(file, "scales", "expected one row of band scales, or one per layer (" + std::to_string(s.num_layers) + ")");
  for (size_t r = 0; r < rows.size(); ++r) {
    if (!rows[r].is_array() || static_cast<int64_t>(rows[r].size()) != s.bands.count)
      throw InputError(file, "scales[" + std::to_string(r) + "]", "expected " + std::to_string(s.bands.count) + " band scales");
    std::vector<double>& row = s.scales.emplace_back();
    for (size_t i = 0; i < rows[r].size(); ++i) {
      const nlohmann::json& v = rows[r][i];
      if (!v.is_number() || !(v.get<double>() > 0.0) || !std::isfinite(v.get<double>()))
        throw InputError(file, "scales[" + std::to_string(r) + "][" + std::to_string(i) + "]", "expected a finite number > 0 but found " + v.dump());
      row.push_back(v.get<double>());
    }
  }
  if (j.contains("record")) s.record = j.at("record");
  return s;
}

QroarScales load_qroar_scales(const std::filesystem::path& path) {
  const std::string file = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(file, "", "cannot open the Q-ROAR scales file");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(file, "", std::string("not JSON: ") + e.what());
  }
  return qroar_from_json(j, file);
}

void save_qroar_scales(const QroarScales& s, const std::filesystem::path& file) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << qroar_to_json(s).dump(1) << "\n";
  if (!out) throw Error(file.string() + ": cannot write the Q-ROAR scales");
}

void check_qroar_model(const QroarScales& s, const ModelConfig& c) {
  const auto same = [&](const char* key, int64_t mine, int64_t model) {
    if (mine != model)
      throw InputError(s.file, std::string("model.") + key, "is " + std::to_string(mine) + " but the model (" + c.source + ") has " +
                                                                std::to_string(model) + ": these scales were made for another model");
  };
  if (s.architecture != c.architecture)
    throw InputError(s.file, "model.architecture", "is '" + s.architecture + "' but the model (" + c.source + ") is '" +
                                                       c.architecture + "': these scales were made for another model");
  same("num_layers", s.num_layers, c.num_layers);
  same("num_heads", s.num_heads, c.num_heads);
  same("num_kv_heads", s.num_kv_heads, c.num_kv_heads);
  same("head_dim", s.head_dim, c.head_dim);
  same("rotary_dim", s.rotary_dim, c.rotary_dim());
  if (c.qk_norm) (void)qroar_identity(c, s.bands, s.variant, false);  // the refusal, with the model named
}

void apply_qroar_scales(ModelWeights& w, const ModelConfig& c, const QroarScales& s) {
  check_qroar_model(s, c);
  if (s.is_identity()) return;
  const FamilyDef& family = family_for(c);
  for (int64_t layer = 0; layer < c.num_layers; ++layer) {
    std::vector<double> q_band(static_cast<size_t>(s.band_count())), k_band(q_band.size());
    for (int b = 0; b < s.band_count(); ++b) {
      q_band[static_cast<size_t>(b)] = s.scale(layer, b);
      k_band[static_cast<size_t>(b)] = s.variant == QroarVariant::Symmetric ? 1.0 / s.scale(layer, b) : s.scale(layer, b);
    }
    const std::vector<float> q_rows = quant::rope_row_scales(s.band_of_pair, q_band, c.num_heads, c.head_dim);
    const std::vector<float> k_rows = quant::rope_row_scales(s.band_of_pair, k_band, c.num_kv_heads, c.head_dim);
    for (const auto& [role, rows] : {std::pair{TensorRole::Q, &q_rows}, std::pair{TensorRole::QBias, &q_rows},
                                     std::pair{TensorRole::K, &k_rows}, std::pair{TensorRole::KBias, &k_rows}}) {
      const TensorSpec* spec = find_spec(family, role);
      if (spec == nullptr) continue;
      const std::string name = tensor_name(*spec, layer);
      const auto it = w.tensors.find(name);
      if (it == w.tensors.end()) continue;  // an absent bias
      scale_tensor_rows(it->second, *rows, w.source + ": " + name);
    }
  }
}

}  // namespace rb
