// Grid -> configurations -> runs. Expansion order and labels: docs/GRIDS.md, "Expansion".
#include <algorithm>
#include <charconv>

#include "common/error.hpp"
#include "harness/grid.hpp"
#include "harness/grid_models.hpp"
#include "harness/grid_resolve.hpp"
#include "harness/options.hpp"
#include "harness/qroar_run.hpp"
#include "model_core/loaders/qroar_at_load.hpp"

namespace rb {

using nlohmann::json;

namespace {

void set_path(json& object, const std::string& dotted, const json& value) {
  json* cur = &object;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = dotted.find('.', start);
    const std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (dot == std::string::npos) {
      (*cur)[part] = value;
      return;
    }
    json& next = (*cur)[part];
    if (!next.is_object()) next = json::object();
    cur = &next;
    start = dot + 1;
  }
}

std::string label_value(const json& v) {
  if (v.is_number_float()) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v.get<double>());
    return std::string(buf, r.ptr);
  }
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// Scalar parameters of a rope object as "key=value", nested objects as "base.key=value"; lists and
// generator tables are named by their scalar members only.
void fixed_params(const json& rope, const std::string& prefix, std::vector<std::string>& out) {
  if (!rope.is_object()) return;
  auto add = [&](const std::string& key, const json& v) {
    if (v.is_object()) fixed_params(v, prefix + key + ".", out);
    else if (!v.is_array()) out.push_back(prefix + key + "=" + label_value(v));
  };
  if (rope.contains("factor")) add("factor", rope.at("factor"));
  for (const auto& [key, v] : rope.items())
    if (key != "factor" && key != "rope_type" && key != "type") add(key, v);
}

std::string make_label(const GridMethod& m, const json& rope, const std::vector<std::pair<std::string, json>>& swept) {
  std::vector<std::string> parts;
  if (swept.empty()) {
    fixed_params(rope, "", parts);
  } else {
    for (const auto& [key, v] : swept)
      if (key == "factor") parts.push_back(key + "=" + label_value(v));
    for (const auto& [key, v] : swept)
      if (key != "factor") parts.push_back(key + "=" + label_value(v));
  }
  std::string label = m.name;
  for (const auto& p : parts) label += " " + p;
  return label;
}

const std::vector<int64_t>& lengths_of(const Grid& g, const GridMethod& m) { return m.lengths.empty() ? g.lengths : m.lengths; }

}  // namespace

std::vector<GridConfig> method_configs(const GridMethod& m) {
  std::vector<GridConfig> out;
  const std::size_t zip_size = m.zip.empty() ? 1 : m.zip.front().values.size();
  std::vector<std::size_t> index(m.sweep.size(), 0);
  while (true) {
    for (std::size_t z = 0; z < zip_size; ++z) {
      json rope = m.rope;
      std::vector<std::pair<std::string, json>> swept;
      for (std::size_t a = 0; a < m.sweep.size(); ++a) swept.emplace_back(m.sweep[a].key, m.sweep[a].values[index[a]]);
      for (const auto& axis : m.zip) swept.emplace_back(axis.key, axis.values[z]);
      for (const auto& [key, v] : swept) set_path(rope, key, v);
      out.push_back({rope, make_label(m, rope, swept)});
    }
    // Odometer over the sweep axes, the last fastest.
    std::size_t a = m.sweep.size();
    while (a > 0 && ++index[a - 1] == m.sweep[a - 1].values.size()) index[--a] = 0;
    if (a == 0) break;
  }
  return out;
}

int64_t runs_per_model_dataset(const Grid& g) {
  int64_t n = 0;
  for (const auto& m : g.methods)
    n += static_cast<int64_t>(method_configs(m).size() * lengths_of(g, m).size() * g.quant.size());
  return n;
}

int64_t count_runs(const Grid& g) {
  return static_cast<int64_t>(g.models.size() * g.datasets.size()) * runs_per_model_dataset(g);
}

// What a run records of its Q-ROAR scales file: enough to tell two files apart, and the band
// diagnostics and dev-set objective the file carries (stored with the run, drawn by the report).
json qroar_of(const GridMethod& m) {
  if (m.qroar.empty()) return nullptr;
  return cli::qroar_run_fields(load_qroar_scales(m.qroar), m.qroar);
}

json GridQroarSearch::request(int64_t resolved_length) const {
  return {{"data", data},         {"length", resolved_length},
          {"short_length", short_length}, {"dev_windows", dev_windows},
          {"bands", bands},       {"wavelength_margin", wavelength_margin},
          {"variant", variant},   {"scope", scope},
          {"grid", grid},         {"short_tolerance", short_tolerance},
          {"passes", passes},     {"diagnostics", diagnostics},
          {"epsilon", epsilon},   {"tail_quantile", tail_quantile}};
}

std::vector<RunSpec> expand_grid(const Grid& g) {
  std::vector<RunSpec> runs;
  std::vector<json> qroar;
  for (const auto& m : g.methods) {
    if (!m.qroar_search) {
      qroar.push_back(qroar_of(m));
      continue;
    }
    // The search request is the run's identity; the scales it finds join the run's stored
    // configuration when the sweep resolves it (harness/sweep_qroar.hpp).
    const auto& lengths = lengths_of(g, m);
    const int64_t longest = *std::max_element(lengths.begin(), lengths.end());
    qroar.push_back({{"search", g.qroar->request(g.qroar->length > 0 ? g.qroar->length : longest)}});
  }
  for (const auto& model : g.models) {
    for (const auto& dataset : g.datasets) {
      for (size_t mi = 0; mi < g.methods.size(); ++mi) {
        const GridMethod& m = g.methods[mi];
        const std::string file = m.line > 0 ? g.source + ":" + std::to_string(m.line) : g.source;
        for (const auto& config : method_configs(m)) {
          json rope = config.rope;
          if (grid_detail::needs_model(rope)) {
            const auto info = cli::rope_model_info(grid_detail::grid_model_config(model));
            rope = grid_detail::resolve_for_model(rope, info, file, m.where + ".rope.");
          }
          for (int64_t length : lengths_of(g, m)) {
            for (const auto& quant : g.quant) {
              RunSpec r;
              r.model = model;
              r.dataset = dataset;
              r.rope = rope;
              r.rope_label = config.label;
              r.family = m.name;
              r.length = length;
              r.quant = quant;
              r.metrics = g.metrics;
              r.baseline = m.baseline;
              r.windows = g.windows;
              r.passkey = g.passkey;
              r.longppl = g.longppl;
              r.qroar = qroar[mi];
              runs.push_back(std::move(r));
            }
          }
        }
      }
    }
  }
  return runs;
}

}  // namespace rb
