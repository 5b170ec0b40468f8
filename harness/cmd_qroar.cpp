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
#include "harness/qroar_run.hpp"

namespace rb::cli {

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
  QroarRunRequest request;
  request.model_path = model_path;
  request.data = data;
  request.rope = parse_rope_argument(rope_text);
  request.quant = quant::parse_quant_options(quant_name, group_size, "command line", "--quant");
  request.search.bands = parse_qroar_bands(bands_text, margin, "command line", "--bands");
  request.search.variant = parse_qroar_variant(variant_text, "command line", "--variant");
  if (scope != "global" && scope != "layer") throw InputError("command line", "--scope", "expected global or layer, got '" + scope + "'");
  request.search.per_layer = scope == "layer";
  request.search.grid = parse_qroar_scale_grid(grid_text, "command line", "--grid");
  request.search.short_tolerance = tolerance;
  request.search.passes = passes;
  request.length = length;
  request.short_length = short_length;
  request.dev_windows = dev_windows;
  request.diagnostics = diagnostics;
  request.epsilon = epsilon;
  request.tail_quantile = tail_quantile;
  request.backend.kind = backend_kind;
  request.backend.threads = threads;
  const QroarRunResult result = run_qroar(request);
  const QroarScales& scales = result.scales;
  save_qroar_scales(scales, out_path);

  if (format == "json") {
    std::cout << qroar_to_json(scales).dump(2) << "\n";
  } else {
    std::printf("qroar: %s, %s bands (%lld), %s scales, %lld evaluations\n", qroar_variant_name(scales.variant),
                quant::band_mode_name(scales.bands.mode), static_cast<long long>(scales.band_count()), scope.c_str(),
                static_cast<long long>(result.search.evaluations));
    std::printf("  dev long  NLL (L=%lld): %.6f -> %.6f\n", static_cast<long long>(length), result.search.identity.long_nll, result.search.best.long_nll);
    std::printf("  dev short NLL (L=%lld): %.6f -> %.6f\n", static_cast<long long>(result.short_length), result.search.identity.short_nll,
                result.search.best.short_nll);
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
