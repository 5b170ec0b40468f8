#pragma once
// One Q-ROAR search from request to scales file contents (docs/QROAR.md): check the inputs before
// any weight is read, build the dev set, search, compute the asked-for diagnostics, and attach the
// search record. `ropebatch qroar` and grids with `qroar = "search"` both run it.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "harness/qroar_search.hpp"

namespace rb::cli {

struct QroarRunRequest {
  std::string model_path;
  std::string data;                  // the dev text: a file or a datasets source spec
  nlohmann::json rope;               // the RoPE method searched under; null: the model's own
  quant::QuantOptions quant;         // applied after scaling; off: a 4-bit checkpoint as published
  int64_t length = 0;                // the long dev windows
  int64_t short_length = 0;          // 0: the model's trained length when below `length`, else length / 4
  int64_t dev_windows = 2;
  QroarSearchOptions search;
  std::string diagnostics = "all";   // none, pressure, tails, all
  double epsilon = 0.05;             // pressure's phase step
  double tail_quantile = 0.999;
  BackendOptions backend;
  bool show_progress = true;
  // Where the request came from, for messages: the command line ("--short-length") or a grid file
  // ("qroar.short_length").
  std::string source = "command line";
  bool from_grid = false;
  std::string field(const std::string& option) const;
};

struct QroarRunResult {
  QroarScales scales;  // with `record` (search, diagnostics) filled in
  QroarSearchResult search;
  int64_t short_length = 0;
};

// What a run stores of the scales it applies (its configuration's "qroar"): the file, variant,
// bands and scales, with the diagnostics and dev-set objective the file's record carries.
nlohmann::json qroar_run_fields(const QroarScales& scales, const std::string& file);

// Evaluations of the dev set one search makes at most: 1 + passes x rows x bands x (grid - 1).
int64_t qroar_search_evaluations(const QroarSearchOptions& o, const ModelConfig& c);

// Throws InputError naming request.source and the field for bad input.
QroarRunResult run_qroar(const QroarRunRequest& request);

// "4" (B frequency bands) or "wavelength".
quant::BandSpec parse_qroar_bands(const std::string& text, double wavelength_margin, const std::string& source,
                                  const std::string& field);
// "0.5,1,2"; empty: default_qroar_grid().
std::vector<double> parse_qroar_scale_grid(const std::string& text, const std::string& source, const std::string& field);
// Throws unless `name` is none, pressure, tails or all.
void check_qroar_diagnostics(const std::string& name, const std::string& source, const std::string& field);
// Throws unless the grid holds 1 and only finite positive numbers, passes >= 1, tolerance >= 0.
void check_qroar_search_options(const QroarSearchOptions& o, const std::string& source, const std::string& grid_field,
                                const std::string& passes_field, const std::string& tolerance_field);

}  // namespace rb::cli
