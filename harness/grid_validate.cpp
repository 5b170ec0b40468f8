// Everything that can be wrong with a grid, found before any forward pass: models, datasets, every
// rope configuration against every model, window settings against lengths, duplicate runs.
#include <filesystem>
#include <map>
#include <set>

#include "common/error.hpp"
#include "datasets/source.hpp"
#include "harness/grid.hpp"
#include "harness/grid_models.hpp"
#include "harness/grid_resolve.hpp"
#include "harness/model_rope.hpp"
#include "model_core/loaders/qroar_at_load.hpp"
#include "harness/options.hpp"
#include "harness/qroar_run.hpp"

namespace rb {

using nlohmann::json;

namespace {

std::string at_line(const Grid& g, int64_t line) { return line > 0 ? g.source + ":" + std::to_string(line) : g.source; }

// "X: F: P" -> "P" for an InputError from (file X, field F).
std::string problem_of(const InputError& e) {
  std::string prefix = e.file() + ": ";
  if (!e.field().empty()) prefix += e.field() + ": ";
  const std::string what = e.what();
  return what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what;
}

void check_models(const Grid& g) {
  for (std::size_t i = 0; i < g.models.size(); ++i) {
    try {
      grid_detail::grid_model_config(g.models[i]);
    } catch (const InputError& e) {
      throw InputError(g.source, "models[" + std::to_string(i) + "]", e.what());
    }
  }
}

// A datasets source spec names something that exists (bible-kjv is made by its program).
void check_source_exists(const std::string& source_spec, const std::string& where, const std::string& field) {
  data::SourceSpec spec;
  try {
    spec = data::parse_source_spec(source_spec);
  } catch (const InputError& e) {
    throw InputError(where, field, e.what());
  }
  if (spec.kind == data::SourceKind::bible_kjv) return;
  std::error_code ec;
  if (!std::filesystem::exists(spec.path, ec)) {
    const std::string hint = spec.path.filename() == "bible" || spec.path.filename() == "bible_kjv"
                                 ? " (did you mean \"bible-kjv\"?)"
                                 : "";
    throw InputError(where, field, "no such file or directory: " + spec.path.string() + hint);
  }
}

void check_datasets(const Grid& g) {
  for (std::size_t i = 0; i < g.datasets.size(); ++i)
    check_source_exists(g.datasets[i], g.source, "datasets[" + std::to_string(i) + "]");
}

// The axis a rope key comes from, for the key path of a message.
std::string field_for(const GridMethod& m, const std::string& rope_field) {
  const std::string key = rope_field.rfind("rope.", 0) == 0 ? rope_field.substr(5) : rope_field;
  for (const auto& a : m.sweep)
    if (a.key == key) return m.where + ".sweep." + key;
  for (const auto& a : m.zip)
    if (a.key == key) return m.where + ".zip." + key;
  return m.where + ".rope" + (key.empty() ? "" : "." + key);
}

void check_ropes(const Grid& g) {
  for (const auto& model : g.models) {
    const ModelConfig& config = grid_detail::grid_model_config(model);
    const rope::RopeModelInfo info = cli::rope_model_info(config);
    for (const auto& m : g.methods) {
      const std::string file = at_line(g, m.line);
      for (const auto& c : method_configs(m)) {
        const std::string context = " (configuration \"" + c.label + "\", model " + model + ")";
        if (c.rope.is_null()) {
          try {
            cli::model_rope(config, nullptr);
          } catch (const InputError& e) {
            throw InputError(file, m.where + ".rope", "the model's own RoPE settings are unusable: " +
                                                           std::string(e.what()) + context);
          }
          continue;
        }
        const json rope = grid_detail::resolve_for_model(c.rope, info, file, m.where + ".rope.");
        try {
          cli::model_rope(config, rope, file);
        } catch (const InputError& e) {
          throw InputError(file, field_for(m, e.field()), problem_of(e) + context);
        }
      }
    }
  }
}

// A search's bands fit every model's rotary pairs and its rows can be scaled; the dev text exists.
void check_qroar_search(const Grid& g) {
  if (!g.qroar) return;
  const GridQroarSearch& q = *g.qroar;
  const std::string where = at_line(g, q.line);
  const quant::BandSpec bands = cli::parse_qroar_bands(q.bands, q.wavelength_margin, where, "qroar.bands");
  const QroarVariant variant = parse_qroar_variant(q.variant, where, "qroar.variant");
  for (const auto& m : g.methods) {
    if (!m.qroar_search) continue;
    for (const auto& model : g.models) {
      try {
        (void)qroar_identity(grid_detail::grid_model_config(model), bands, variant, q.scope == "layer");
      } catch (const InputError& e) {
        throw InputError(at_line(g, m.line), m.where + ".qroar",
                         "cannot search Q-ROAR scales for model " + model + ": " + problem_of(e));
      }
    }
  }
  check_source_exists(q.data, where, "qroar.data");
}

// Each method's scales file fits every model (before any weight is read).
void check_qroar(const Grid& g) {
  check_qroar_search(g);
  for (const auto& m : g.methods) {
    if (m.qroar.empty()) continue;
    QroarScales scales;
    try {
      scales = load_qroar_scales(m.qroar);
    } catch (const InputError& e) {
      throw InputError(at_line(g, m.line), m.where + ".qroar", std::string(e.what()).substr(2));
    }
    for (const auto& model : g.models) {
      try {
        check_qroar_model(scales, grid_detail::grid_model_config(model));
      } catch (const InputError& e) {
        throw InputError(at_line(g, m.line), m.where + ".qroar", std::string(e.what()).substr(2) + " (model " + model + ")");
      }
    }
  }
}

void check_windows(const Grid& g) {
  for (const auto& m : g.methods) {
    for (int64_t length : m.lengths.empty() ? g.lengths : m.lengths) {
      if (g.windows.stride > length)
        throw InputError(g.source, "windows.stride",
                         "stride " + std::to_string(g.windows.stride) + " is longer than the length " +
                             std::to_string(length) + " of " + m.where + " \"" + m.name + "\"");
    }
  }
}

void check_runs(const Grid& g, const std::vector<RunSpec>& runs) {
  std::map<std::string, std::size_t> seen;                   // canonical dump -> run index
  std::map<std::tuple<std::string, std::string, std::string>, json> ropes;  // (model, family, label) -> rope
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunSpec& r = runs[i];
    const std::string what = "run " + std::to_string(i + 1) + " (" + r.rope_label + ", length " + std::to_string(r.length) + ")";
    if (r.length < 2) throw InputError(g.source, "lengths", what + ": a window needs at least 2 tokens");
    const auto [it, fresh] = seen.emplace(r.canonical().dump(), i);
    if (!fresh)
      throw InputError(g.source, "methods",
                       what + " is the same as run " + std::to_string(it->second + 1) +
                           ": two method entries give one configuration; remove one");
    const auto key = std::make_tuple(r.model, r.family, r.rope_label);
    const auto [rit, first] = ropes.emplace(key, r.rope);
    if (!first && rit->second != r.rope)
      throw InputError(g.source, "methods",
                       "two different configurations of \"" + r.family + "\" share the label \"" + r.rope_label +
                           "\"; give one of the entries another name");
  }
}

}  // namespace

void validate_grid(const Grid& g, const std::vector<RunSpec>& runs) {
  if (g.models.empty()) throw InputError(g.source, "models", "no models: give models = [...] or --model");
  if (g.datasets.empty()) throw InputError(g.source, "datasets", "no datasets: give datasets = [...] or --data");
  check_models(g);
  check_datasets(g);
  check_ropes(g);
  check_qroar(g);
  check_windows(g);
  check_runs(g, runs);
}

void validate_grid(const Grid& g) {
  if (g.models.empty()) throw InputError(g.source, "models", "no models: give models = [...] or --model");
  check_models(g);
  check_qroar(g);  // before expansion reads the scales files
  validate_grid(g, expand_grid(g));
}

}  // namespace rb
