#include "harness/qroar_run.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "common/error.hpp"
#include "harness/model_rope.hpp"
#include "harness/progress.hpp"
#include "harness/qroar_diagnostics.hpp"
#include "harness/text_input.hpp"
#include "model_core/model.hpp"

namespace rb::cli {

std::string QroarRunRequest::field(const std::string& option) const {
  if (!from_grid) return "--" + option;
  std::string key = option;
  std::replace(key.begin(), key.end(), '-', '_');
  return "qroar." + key;
}

quant::BandSpec parse_qroar_bands(const std::string& text, double wavelength_margin, const std::string& source,
                                  const std::string& field) {
  quant::BandSpec spec;
  if (text == "wavelength") {
    spec.mode = quant::BandMode::Wavelength;
    spec.wavelength_margin = wavelength_margin;
    return spec;
  }
  char* end = nullptr;
  const long long n = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || n < 1)
    throw InputError(source, field, "expected a number of frequency bands (>= 1) or 'wavelength', got '" + text + "'");
  spec.count = n;
  return spec;
}

std::vector<double> parse_qroar_scale_grid(const std::string& text, const std::string& source, const std::string& field) {
  if (text.empty()) return default_qroar_grid();
  std::vector<double> grid;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0') throw InputError(source, field, "'" + item + "' is not a number");
    grid.push_back(v);
  }
  return grid;
}

void check_qroar_diagnostics(const std::string& name, const std::string& source, const std::string& field) {
  if (name != "none" && name != "pressure" && name != "tails" && name != "all")
    throw InputError(source, field, "expected none, pressure, tails or all, got '" + name + "'");
}

void check_qroar_search_options(const QroarSearchOptions& o, const std::string& source, const std::string& grid_field,
                                const std::string& passes_field, const std::string& tolerance_field) {
  if (std::find(o.grid.begin(), o.grid.end(), 1.0) == o.grid.end())
    throw InputError(source, grid_field, "the grid of scales must hold 1 (the identity)");
  for (double v : o.grid)
    if (!(v > 0.0) || !std::isfinite(v)) throw InputError(source, grid_field, "every scale must be a finite number > 0");
  if (o.passes < 1) throw InputError(source, passes_field, "must be at least 1");
  if (!(o.short_tolerance >= 0.0) || !std::isfinite(o.short_tolerance))
    throw InputError(source, tolerance_field, "must be a finite number >= 0");
}

nlohmann::json qroar_run_fields(const QroarScales& s, const std::string& file) {
  nlohmann::json q{{"file", file}, {"variant", qroar_variant_name(s.variant)}, {"band_of_pair", s.band_of_pair}, {"scales", s.scales}};
  if (s.record.contains("diagnostics")) q["diagnostics"] = s.record["diagnostics"];
  if (s.record.contains("search"))
    for (const char* k : {"identity", "best"})
      if (s.record["search"].contains(k)) q["dev_objective"][k] = s.record["search"][k];
  return q;
}

int64_t qroar_search_evaluations(const QroarSearchOptions& o, const ModelConfig& c) {
  const int64_t rows = o.per_layer ? c.num_layers : 1;
  return 1 + o.passes * rows * quant::band_count(o.bands) * static_cast<int64_t>(std::max<size_t>(1, o.grid.size()) - 1);
}

QroarRunResult run_qroar(const QroarRunRequest& q) {
  const QroarSearchOptions& search = q.search;
  check_qroar_search_options(search, q.source, q.field("grid"), q.field("passes"), q.field("short-tolerance"));
  check_qroar_diagnostics(q.diagnostics, q.source, q.field("diagnostics"));
  if (q.dev_windows < 1) throw InputError(q.source, q.field("dev-windows"), "must be at least 1");

  // Everything about the inputs is checked before any weight is read.
  Model model = load_model(q.model_path, LoadOptions{.load_tokenizer = true, .load_weights = false});
  (void)qroar_identity(model.config, search.bands, search.variant, search.per_layer);  // bands fit, rows scalable
  const ModelRope rope = model_rope(model.config, q.rope);
  if (q.length < 2) throw InputError(q.source, q.field("length"), "must be at least 2");
  int64_t short_length = q.short_length;
  if (short_length == 0)
    short_length = model.config.max_position_embeddings < q.length ? model.config.max_position_embeddings
                                                                     : std::max<int64_t>(2, q.length / 4);
  if (short_length < 2 || short_length > q.length)
    throw InputError(q.source, q.field("short-length"),
                     "must be between 2 and the long length (" + std::to_string(q.length) + ")");
  const TokenizedText text = tokenize_source(q.data, *model.tokenizer, BosPolicy::Auto);
  QroarDevSet dev = make_qroar_dev_set(text.tokens, q.length, short_length, q.dev_windows, text.id, q.field("dev-windows"));

  LoadOptions weights{.load_tokenizer = false, .load_weights = true, .quant = q.quant};
  weights.defer_quantization = true;
  Model loaded = load_model(q.model_path, weights);
  const std::string quant_label = q.quant.enabled() ? q.quant.label() : loaded.quant;
  QroarEvaluator evaluator(std::move(loaded), rope, q.quant, q.backend, dev);
  std::optional<Progress> progress;
  if (q.show_progress) progress.emplace("qroar", qroar_search_evaluations(search, model.config));
  QroarRunResult out;
  out.short_length = short_length;
  out.search = qroar_search(evaluator, search, [&](int64_t n, const QroarObjective& best) {
    if (!progress) return;
    char note[160];
    std::snprintf(note, sizeof note, "trial %lld  best long NLL %.6f  short NLL %.6f", static_cast<long long>(n), best.long_nll,
                  best.short_nll);
    progress->update(n, note);
  });
  if (progress) progress->clear();

  QroarScales scales = out.search.scales;
  nlohmann::json record = {
      {"search", {{"model", q.model_path},
                  {"dev", {{"data", text.id}, {"data_sha256", text.sha256}, {"tokens", dev.tokens.size()},
                           {"long_length", q.length}, {"short_length", short_length},
                           {"long_windows", dev.long_windows.size()}, {"short_windows", dev.short_windows.size()}}},
                  {"rope", {{"method", rope.name()}, {"config", rope.config()}}},
                  {"quant", quant_label},
                  {"grid", search.grid},
                  {"short_tolerance", search.short_tolerance},
                  {"passes", search.passes},
                  {"backend", q.backend.kind},
                  {"evaluations", out.search.evaluations},
                  {"identity", out.search.identity.to_json()},
                  {"best", out.search.best.to_json()},
                  {"trace", out.search.trace}}}};
  if (q.diagnostics != "none") {
    nlohmann::json d;
    // The quantized model as searched, at the identity: which bands the RoPE method stresses.
    Model& quantized = evaluator.model_with(qroar_identity(model.config, search.bands, search.variant, false));
    if (q.diagnostics == "pressure" || q.diagnostics == "all") {
      verbose_note("qroar: interpolation pressure, " + std::to_string(2 * model.config.num_layers * scales.band_count() + 1) +
                   " scorings of the long dev windows");
      d["pressure"] = interpolation_pressure(quantized, rope, scales, dev, q.backend, q.epsilon).to_json();
    }
    if (q.diagnostics == "tails" || q.diagnostics == "all") {
      d["tail_inflation"]["quantized"] = tail_inflation(quantized, rope, scales, dev, q.backend.threads, q.tail_quantile).to_json();
      const Model full = load_model(q.model_path, LoadOptions{.load_tokenizer = false, .load_weights = true});
      d["tail_inflation"]["full_precision"] = tail_inflation(full, rope, scales, dev, q.backend.threads, q.tail_quantile).to_json();
      d["tail_inflation"]["full_precision"]["quant"] = full.quant;
    }
    record["diagnostics"] = d;
  }
  scales.record = record;
  out.scales = std::move(scales);
  return out;
}

}  // namespace rb::cli
