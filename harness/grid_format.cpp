#include "harness/grid_format.hpp"

#include <sstream>

#include "harness/grid_suggest.hpp"

namespace rb {

using nlohmann::json;

namespace {

const std::vector<int64_t>& lengths_of(const Grid& g, const GridMethod& m) { return m.lengths.empty() ? g.lengths : m.lengths; }

std::string values_text(const std::vector<json>& values) {
  std::string s;
  for (const auto& v : values) s += (s.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
  return s;
}

std::string swept_text(const GridMethod& m) {
  std::vector<std::string> parts;
  for (const auto& a : m.sweep) parts.push_back(a.key + " = " + values_text(a.values));
  if (!m.zip.empty()) {
    std::vector<std::string> zipped;
    for (const auto& a : m.zip) zipped.push_back(a.key + " = " + values_text(a.values));
    parts.push_back("zipped: " + grid_detail::join(zipped, " with "));
  }
  return parts.empty() ? "-" : grid_detail::join(parts, "; ");
}

std::string rope_text(const json& rope) { return rope.is_null() ? "the model's own" : rope.dump(); }

std::string settings_text(const Grid& g) {
  std::ostringstream s;
  s << "models: " << grid_detail::join(g.models) << "\n"
    << "datasets: " << grid_detail::join(g.datasets) << "\n"
    << "metrics: " << grid_detail::join(g.metrics) << "; quant: " << grid_detail::join(g.quant) << "\n"
    << "windows: stride " << g.windows.stride << ", max_windows " << g.windows.max_windows << ", max_tokens "
    << g.windows.max_tokens << ", mode " << g.windows.mode << " (0: non-overlapping / all)\n";
  const bool passkey = std::find(g.metrics.begin(), g.metrics.end(), "passkey") != g.metrics.end();
  const bool longppl = std::find(g.metrics.begin(), g.metrics.end(), "longppl") != g.metrics.end();
  if (passkey) {
    std::vector<json> depths(g.passkey.depths.begin(), g.passkey.depths.end());
    s << "passkey: depths " << values_text(depths) << ", trials " << g.passkey.trials << ", seed " << g.passkey.seed << "\n";
  }
  if (longppl)
    s << "longppl: short_length " << g.longppl.short_length << ", alpha " << g.longppl.alpha << ", beta "
      << g.longppl.beta << "\n";
  if (g.qroar)
    s << "qroar search: dev text " << g.qroar->data << ", length "
      << (g.qroar->length > 0 ? std::to_string(g.qroar->length) : std::string("each method's longest")) << ", "
      << g.qroar->dev_windows << " dev window(s), bands " << g.qroar->bands << ", " << g.qroar->variant << ", "
      << g.qroar->scope << " scope, " << g.qroar->passes << " pass(es)\n";
  return s.str();
}

std::string rope_cell(const json& rope) { return rope.is_null() ? "the model's own" : "`" + rope.dump() + "`"; }

std::string cell(std::string s) {  // Markdown table cell: no pipes
  for (std::size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2) s.replace(i, 1, "\\|");
  return s;
}

}  // namespace

std::string format_lengths(const std::vector<int64_t>& lengths) {
  std::vector<std::string> parts;
  for (int64_t L : lengths) parts.push_back(L % 1024 == 0 ? std::to_string(L / 1024) + "k" : std::to_string(L));
  return grid_detail::join(parts);
}

json grid_to_json(const Grid& g) {
  json methods = json::array();
  for (const auto& m : g.methods) {
    json configs = json::array();
    for (const auto& c : method_configs(m)) configs.push_back({{"label", c.label}, {"rope", c.rope}});
    json sweep = json::object(), zip = json::object();
    for (const auto& a : m.sweep) sweep[a.key] = a.values;
    for (const auto& a : m.zip) zip[a.key] = a.values;
    methods.push_back({{"entry", m.where},       {"name", m.name},       {"description", m.description},
                       {"rope", m.rope},         {"sweep", sweep},       {"zip", zip},
                       {"lengths", lengths_of(g, m)}, {"baseline", m.baseline},
                       {"qroar", m.qroar_search ? json("search") : m.qroar.empty() ? json(nullptr) : json(m.qroar)}, {"configurations", configs}});
  }
  return {{"name", g.name},
          {"description", g.description},
          {"source", g.source},
          {"models", g.models},
          {"datasets", g.datasets},
          {"lengths", g.lengths},
          {"metrics", g.metrics},
          {"quant", g.quant},
          {"windows",
           {{"stride", g.windows.stride},
            {"max_windows", g.windows.max_windows},
            {"max_tokens", g.windows.max_tokens},
            {"mode", g.windows.mode}}},
          {"passkey", {{"depths", g.passkey.depths}, {"trials", g.passkey.trials}, {"seed", g.passkey.seed}}},
          {"longppl", {{"short_length", g.longppl.short_length}, {"alpha", g.longppl.alpha}, {"beta", g.longppl.beta}}},
          {"qroar", g.qroar ? g.qroar->request(g.qroar->length) : json(nullptr)},
          {"runs_per_model_dataset", runs_per_model_dataset(g)},
          {"methods", methods}};
}

std::string grid_to_markdown(const Grid& g) {
  std::ostringstream s;
  s << "### `" << g.name << "`: " << runs_per_model_dataset(g) << " runs per model and dataset\n\n";
  if (!g.description.empty()) s << g.description << ".\n\n";
  std::istringstream settings(settings_text(g));
  for (std::string line; std::getline(settings, line);) s << "- " << line << "\n";
  s << "\n| entry | family | rope | swept | configurations | lengths | runs |\n|---|---|---|---|---|---|---|\n";
  for (const auto& m : g.methods) {
    const auto n = method_configs(m).size();
    s << "| " << m.where << " | " << m.name << (m.baseline ? " (baseline)" : "") << " | " << cell(rope_cell(m.rope))
      << " | " << cell(swept_text(m)) << " | " << n << " | " << format_lengths(lengths_of(g, m)) << " | "
      << n * lengths_of(g, m).size() * g.quant.size() << " |\n";
  }
  s << "\nConfigurations (rope before per-model values):\n\n| # | label | rope | lengths |\n|---|---|---|---|\n";
  int index = 0;
  for (const auto& m : g.methods)
    for (const auto& c : method_configs(m))
      s << "| " << ++index << " | " << cell(c.label) << " | " << cell(rope_cell(c.rope)) << " | "
        << format_lengths(lengths_of(g, m)) << " |\n";
  return s.str();
}

std::string grid_to_text(const Grid& g) {
  std::ostringstream s;
  s << "grid " << g.name << " (" << g.source << "): " << runs_per_model_dataset(g) << " runs per model and dataset, "
    << count_runs(g) << " in all\n";
  if (!g.description.empty()) s << g.description << "\n";
  s << settings_text(g) << "\n";
  int index = 0;
  for (const auto& m : g.methods) {
    s << m.where << "  " << m.name << (m.baseline ? " (baseline)" : "") << "  lengths " << format_lengths(lengths_of(g, m))
      << "  swept: " << swept_text(m) << "\n";
    for (const auto& c : method_configs(m)) {
      char num[16];
      std::snprintf(num, sizeof num, "%4d  ", ++index);
      s << num << c.label << "  " << rope_text(c.rope) << "\n";
    }
  }
  return s.str();
}

}  // namespace rb
