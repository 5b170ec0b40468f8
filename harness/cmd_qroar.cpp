// `ropebatch qroar`: Q-ROAR band scales for W_Q / W_K searched on a dev text (docs/QROAR.md),
// written with the dev-set objective before and after and the band diagnostics.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "common/error.hpp"
#include "harness/commands.hpp"
#include "harness/model_rope.hpp"
#include "harness/options.hpp"
#include "harness/progress.hpp"
#include "harness/qroar_diagnostics.hpp"
#include "harness/qroar_search.hpp"
#include "harness/text_input.hpp"
#include "model_core/model.hpp"

namespace rb::cli {
namespace {

quant::BandSpec parse_bands(const std::string& text, double margin) {
  quant::BandSpec spec;
  if (text == "wavelength") {
    spec.mode = quant::BandMode::Wavelength;
    spec.wavelength_margin = margin;
    return spec;
  }
  char* end = nullptr;
  const long long n = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || n < 1)
    throw InputError("command line", "--bands", "expected a number of frequency bands (>= 1) or 'wavelength', got '" + text + "'");
  spec.count = n;
  return spec;
}

std::vector<double> parse_scale_grid(const std::string& text) {
  if (text.empty()) return default_qroar_grid();
  std::vector<double> grid;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0') throw InputError("command line", "--grid", "'" + item + "' is not a number");
    grid.push_back(v);
  }
  return grid;
}

}  // namespace

int cmd_qroar(const Args& args) {
  po::options_description desc("qroar options");
  std::string model_path, data, rope_text, quant_name, bands_text, variant_text, scope, grid_text, out_path, format,
      backend_kind, diagnostics;
  int64_t length = 0, short_length = 0, group_size = 0, dev_windows = 0;
  int threads = 0, passes = 0;
  double tolerance = 0, margin = 0, epsilon = 0, tail_quantile = 0;
  desc.add_options()
      ("model", po::value(&model_path)->required(), "Hugging Face model directory or .gguf file")
      ("data", po::value(&data)->required(), "the dev text (not the evaluation text): a file or a source spec as for eval")
      ("rope", po::value(&rope_text)->default_value(""), "the RoPE method the scales are searched under (default: the model's own)")
      ("quant", po::value(&quant_name)->default_value("none"), "quantization after scaling: nf4, nf4-dq, int4, int4-asym; none for a 4-bit checkpoint read as published")
      ("group-size", po::value(&group_size)->default_value(0), "int4 group size (default 128)")
      ("length", po::value(&length)->required(), "the long dev windows' length")
      ("short-length", po::value(&short_length)->default_value(0), "the short windows' length (default: the model's trained length when below --length, else length / 4)")
      ("dev-windows", po::value(&dev_windows)->default_value(2), "long windows in the dev set (the short ones cover the same tokens)")
      ("bands", po::value(&bands_text)->default_value("4"), "B contiguous frequency bands, or 'wavelength' (below / around / above the original context)")
      ("wavelength-margin", po::value(&margin)->default_value(2.0), "wavelength bands: 'around' is [N / m, N * m]")
      ("variant", po::value(&variant_text)->default_value("symmetric"), "symmetric (W_Q * s, W_K / s) or plain (both * s)")
      ("scope", po::value(&scope)->default_value("global"), "global (one scale per band) or layer (per layer and band)")
      ("grid", po::value(&grid_text)->default_value(""), "candidate scales, comma-separated, holding 1 (default 2^(k/3), k = -3..3)")
      ("short-tolerance", po::value(&tolerance)->default_value(0.005), "the short NLL may rise by at most this fraction")
      ("passes", po::value(&passes)->default_value(2), "coordinate-search sweeps")
      ("diagnostics", po::value(&diagnostics)->default_value("all"), "none, pressure, tails (tail inflation only: no GPU needed), or all (pressure and tail inflation)")
      ("epsilon", po::value(&epsilon)->default_value(0.05), "phase step of the pressure's finite differences")
      ("tail-quantile", po::value(&tail_quantile)->default_value(0.999), "the quantile of |q|, |k| for tail inflation")
      ("backend", po::value(&backend_kind)->default_value("cpu"), "cpu or cuda (tail inflation always runs on the CPU)")
      ("threads", po::value(&threads)->default_value(0), "CPU threads (0: all cores)")
      ("out", po::value(&out_path)->required(), "the scales file to write (JSON)")
      ("format", po::value(&format)->default_value("text"), "text or json");
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm,
                     "usage: ropebatch qroar --model PATH --data DEV --length L [--short-length S] [--rope JSON] "
                     "[--quant nf4|int4|...] [--bands B|wavelength] [--variant symmetric|plain] [--scope global|layer] "
                     "--out scales.json"))
    return kExitOk;
  check_format(format);
  const quant::QuantOptions quant = quant::parse_quant_options(quant_name, group_size, "command line", "--quant");
  QroarSearchOptions search;
  search.bands = parse_bands(bands_text, margin);
  search.variant = parse_qroar_variant(variant_text, "command line", "--variant");
  if (scope != "global" && scope != "layer") throw InputError("command line", "--scope", "expected global or layer, got '" + scope + "'");
  search.per_layer = scope == "layer";
  search.grid = parse_scale_grid(grid_text);
  search.short_tolerance = tolerance;
  search.passes = passes;
  if (diagnostics != "none" && diagnostics != "pressure" && diagnostics != "tails" && diagnostics != "all")
    throw InputError("command line", "--diagnostics", "expected none, pressure, tails or all, got '" + diagnostics + "'");
  if (dev_windows < 1) throw InputError("command line", "--dev-windows", "must be at least 1");

  // Everything about the inputs is checked before any weight is read.
  Model model = load_model(model_path, LoadOptions{.load_tokenizer = true, .load_weights = false});
  (void)qroar_identity(model.config, search.bands, search.variant, search.per_layer);  // bands fit, rows scalable
  const ModelRope rope = model_rope(model.config, parse_rope_argument(rope_text));
  if (length < 2) throw InputError("command line", "--length", "must be at least 2");
  if (short_length == 0)
    short_length = model.config.max_position_embeddings < length ? model.config.max_position_embeddings : std::max<int64_t>(2, length / 4);
  if (short_length < 2 || short_length > length)
    throw InputError("command line", "--short-length", "must be between 2 and --length (" + std::to_string(length) + ")");
  const TokenizedText text = tokenize_source(data, *model.tokenizer, BosPolicy::Auto);
  QroarDevSet dev = make_qroar_dev_set(text.tokens, length, short_length, dev_windows, text.id);

  LoadOptions weights{.load_tokenizer = false, .load_weights = true, .quant = quant};
  weights.defer_quantization = true;
  Model loaded = load_model(model_path, weights);
  const std::string quant_label = quant.enabled() ? quant.label() : loaded.quant;
  BackendOptions bopts;
  bopts.kind = backend_kind;
  bopts.threads = threads;
  QroarEvaluator evaluator(std::move(loaded), rope, quant, bopts, dev);
  const int64_t rows = search.per_layer ? model.config.num_layers : 1;
  Progress progress("qroar", 1 + search.passes * rows * quant::band_count(search.bands) *
                                     static_cast<int64_t>(std::max<size_t>(1, search.grid.size()) - 1));
  const QroarSearchResult result = qroar_search(evaluator, search, [&](int64_t n, const QroarObjective& best) {
    char note[160];
    std::snprintf(note, sizeof note, "trial %lld  best long NLL %.6f  short NLL %.6f", static_cast<long long>(n), best.long_nll,
                  best.short_nll);
    progress.update(n, note);
  });
  progress.clear();

  QroarScales scales = result.scales;
  nlohmann::json record = {
      {"search", {{"model", model_path},
                  {"dev", {{"data", text.id}, {"data_sha256", text.sha256}, {"tokens", dev.tokens.size()},
                           {"long_length", length}, {"short_length", short_length},
                           {"long_windows", dev.long_windows.size()}, {"short_windows", dev.short_windows.size()}}},
                  {"rope", {{"method", rope.name()}, {"config", rope.config()}}},
                  {"quant", quant_label},
                  {"grid", search.grid},
                  {"short_tolerance", search.short_tolerance},
                  {"passes", search.passes},
                  {"backend", backend_kind},
                  {"evaluations", result.evaluations},
                  {"identity", result.identity.to_json()},
                  {"best", result.best.to_json()},
                  {"trace", result.trace}}}};
  if (diagnostics != "none") {
    nlohmann::json d;
    // The quantized model as searched, at the identity: which bands the RoPE method stresses.
    Model& quantized = evaluator.model_with(qroar_identity(model.config, search.bands, search.variant, false));
    if (diagnostics == "pressure" || diagnostics == "all") {
      verbose_note("qroar: interpolation pressure, " + std::to_string(2 * model.config.num_layers * scales.band_count() + 1) +
                   " scorings of the long dev windows");
      d["pressure"] = interpolation_pressure(quantized, rope, scales, dev, bopts, epsilon).to_json();
    }
    if (diagnostics == "tails" || diagnostics == "all") {
      d["tail_inflation"]["quantized"] = tail_inflation(quantized, rope, scales, dev, threads, tail_quantile).to_json();
      const Model full = load_model(model_path, LoadOptions{.load_tokenizer = false, .load_weights = true});
      d["tail_inflation"]["full_precision"] = tail_inflation(full, rope, scales, dev, threads, tail_quantile).to_json();
      d["tail_inflation"]["full_precision"]["quant"] = full.quant;
    }
    record["diagnostics"] = d;
  }
  scales.record = record;
  save_qroar_scales(scales, out_path);

  if (format == "json") {
    std::cout << qroar_to_json(scales).dump(2) << "\n";
  } else {
    std::printf("qroar: %s, %s bands (%lld), %s scales, %lld evaluations\n", qroar_variant_name(scales.variant),
                quant::band_mode_name(scales.bands.mode), static_cast<long long>(scales.band_count()), scope.c_str(),
                static_cast<long long>(result.evaluations));
    std::printf("  dev long  NLL (L=%lld): %.6f -> %.6f\n", static_cast<long long>(length), result.identity.long_nll, result.best.long_nll);
    std::printf("  dev short NLL (L=%lld): %.6f -> %.6f\n", static_cast<long long>(short_length), result.identity.short_nll,
                result.best.short_nll);
    for (size_t r = 0; r < scales.scales.size(); ++r) {
      std::printf("  %s scales:", scales.per_layer() ? ("layer " + std::to_string(r)).c_str() : "band");
      for (double s : scales.scales[r]) std::printf(" %.4f", s);
      std::printf("\n");
    }
    std::printf("  written to %s\n", out_path.c_str());
  }
  return kExitOk;
}

}  // namespace rb::cli
