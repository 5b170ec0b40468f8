#pragma once
// Grids: what `ropebatch run` and `ropebatch plan` evaluate. A grid names models, datasets,
// context lengths, RoPE methods with parameter sweeps, quantization, metrics and their settings,
// and one baseline configuration; it expands into RunSpecs (one configuration at one length).
// File format, expansion rules and the built-in grids: docs/GRIDS.md.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/run_spec.hpp"

namespace rb {

// One swept parameter: a key of the method's rope object ("factor", or a dotted path into a nested
// object: "base.factor", "long_factor.exponent") and the values it takes.
struct GridAxis {
  std::string key;
  std::vector<nlohmann::json> values;
};

// One [[methods]] entry.
struct GridMethod {
  std::string name;              // family for reports ("original", "yarn", ...)
  std::string description;       // optional, for listings
  nlohmann::json rope;           // Hugging Face style rope object; null: the model's own settings
  std::vector<GridAxis> sweep;   // cartesian product over these axes
  std::vector<GridAxis> zip;     // one axis whose i-th value sets every zip key to its i-th value
  std::vector<int64_t> lengths;  // empty: the grid's lengths
  bool baseline = false;
  std::string qroar;             // a Q-ROAR scales file (absolute) applied to every run; empty: none
  bool qroar_search = false;     // qroar = "search": scales searched per configuration ([qroar])
  std::string where;             // "methods[3]", for messages
  int64_t line = 0;              // line of the entry in the grid file (0: unknown)
};

// [qroar]: how the methods with qroar = "search" search their Q-ROAR scales, once per model,
// quantization and RoPE configuration, shared by that configuration's lengths (docs/GRIDS.md;
// the keys are `ropebatch qroar`'s options, docs/QROAR.md).
struct GridQroarSearch {
  std::string data;               // the dev text, resolved as datasets are (not the evaluation text)
  int64_t length = 0;             // the long dev windows; 0: the method's longest length
  int64_t short_length = 0;       // 0: the model's trained length when below `length`, else length / 4
  int64_t dev_windows = 2;
  std::string bands = "4";        // B frequency bands, or "wavelength"
  double wavelength_margin = 2.0;
  std::string variant = "symmetric";
  std::string scope = "global";   // or "layer"
  std::vector<double> grid;       // the candidate scales (holding 1)
  double short_tolerance = 0.005;
  int64_t passes = 2;
  std::string diagnostics = "none";  // none, pressure, tails, all
  double epsilon = 0.05, tail_quantile = 0.999;
  int64_t line = 0;
  // What a run records as its request (its identity): every setting, with `length` resolved.
  nlohmann::json request(int64_t resolved_length) const;
};

struct Grid {
  std::string name;
  std::string description;
  std::string source;  // the grid file, or "builtin grid 'NAME'": the FILE of every message
  std::vector<std::string> models;    // model paths (aliases resolved, absolute)
  std::vector<std::string> datasets;  // datasets source specs ("bible-kjv", "text:/abs/path", ...)
  std::vector<int64_t> lengths;
  std::vector<std::string> metrics{"ppl"};
  std::vector<std::string> quant{"none"};
  WindowSettings windows;
  PasskeySettings passkey;
  LongPplSettings longppl;
  std::vector<GridMethod> methods;
  std::optional<GridQroarSearch> qroar;  // [qroar]; present exactly when a method searches
};

// Command-line replacements of the grid's own lists (empty: keep the grid's).
struct GridOverrides {
  std::vector<std::string> models;
  std::vector<std::string> datasets;
};

// One configuration of a method before it meets a model: the rope object with the swept values
// set, and the label "yarn factor=4 beta_fast=32". Generated LongRoPE factor lists and filled-in
// model defaults are resolved per model by expand_grid.
struct GridConfig {
  nlohmann::json rope;
  std::string label;
};

// NAME of a built-in grid (see `ropebatch grids`) or a path to a .toml file; applies `overrides`,
// resolves model aliases ("smollm2" = $RB_SMOLLM2_GGUF) and relative paths (against the grid
// file's folder; the working directory for built-ins and overrides). Throws rb::InputError.
Grid load_grid(const std::string& name_or_path, const GridOverrides& overrides = {});

// Parses grid TOML text. `source` names it in messages; relative paths resolve against `base_dir`.
// Checks everything that needs no model: keys, types, values, sweeps, one baseline, method names.
Grid parse_grid(const std::string& toml_text, const std::string& source, const std::string& base_dir);

// Replaces models/datasets per `overrides`, resolving aliases and paths against the working
// directory; checks that the grid has models and datasets.
void apply_overrides(Grid& grid, const GridOverrides& overrides);

// The configurations of one method entry, in expansion order (sweep axes in key order, the last
// varying fastest; the zip axis innermost).
std::vector<GridConfig> method_configs(const GridMethod& method);

// Runs per (model, dataset): sum over methods of configurations x lengths x quantizations.
int64_t runs_per_model_dataset(const Grid& grid);
// All runs: models x datasets x runs_per_model_dataset.
int64_t count_runs(const Grid& grid);

// Every run, in the order model, dataset, method, configuration, length, quantization. Reads
// each model's config when a method needs it (generated LongRoPE factors, Llama 3's
// original_max_position_embeddings). Throws rb::InputError naming the method entry.
std::vector<RunSpec> expand_grid(const Grid& grid);

// Checks, before any forward pass, that every run can start: models load (config only), every rope
// configuration builds for every model, datasets parse and exist, lengths fit the window settings,
// no two runs are the same. Throws rb::InputError naming the grid, the key path and the problem.
void validate_grid(const Grid& grid, const std::vector<RunSpec>& runs);
// Same, for all of the grid's runs.
void validate_grid(const Grid& grid);

}  // namespace rb
