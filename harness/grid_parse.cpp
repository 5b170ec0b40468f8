// Grid TOML -> Grid: every key, type and value checked, with the file, line, key path and problem
// in each message. Schema: docs/GRIDS.md.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <set>

#include <toml++/toml.h>

#include "common/error.hpp"
#include "common/json_input.hpp"
#include "harness/grid.hpp"
#include "harness/grid_paths.hpp"
#include "harness/grid_resolve.hpp"
#include "harness/grid_suggest.hpp"
#include "harness/qroar_run.hpp"
#include "harness/quant_label.hpp"

namespace rb {

namespace {

using grid_detail::did_you_mean;
using grid_detail::join;
using nlohmann::json;

const std::vector<std::string> kTopKeys = {"name",    "description", "models",  "datasets", "lengths", "metrics",
                                           "quant",   "windows",     "passkey", "longppl",  "methods", "qroar"};
const std::vector<std::string> kMethodKeys = {"name",    "description", "rope",    "sweep",
                                              "zip",     "lengths",     "baseline", "qroar"};
const std::vector<std::string> kWindowKeys = {"stride", "max_windows", "max_tokens", "mode"};
const std::vector<std::string> kPasskeyKeys = {"depths", "trials", "seed"};
const std::vector<std::string> kLongPplKeys = {"short_length", "alpha", "beta"};
const std::vector<std::string> kQroarKeys = {"data",     "length",       "short_length", "dev_windows", "bands",
                                             "wavelength_margin", "variant", "scope", "grid", "short_tolerance",
                                             "passes",   "diagnostics",  "epsilon",      "tail_quantile"};
const std::vector<std::string> kMetrics = {"ppl", "passkey", "longppl"};
const std::vector<std::string> kWindowModes = {"auto", "concatenated", "per-document"};

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  // Runs `check`; an InputError it throws for (this grid, `field`) becomes the same problem at the
  // node's line.
  template <typename Check>
  void at_line_of(const toml::node* node, const std::string& field, const Check& check) const {
    try {
      check();
    } catch (const InputError& e) {
      const std::string message = e.what(), prefix = source_ + ": " + field + ": ";
      fail(node, field, message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message);
    }
  }

  [[noreturn]] void fail(const toml::node* node, const std::string& field, const std::string& problem) const {
    fail_at(node ? node->source().begin.line : 0, field, problem);
  }
  [[noreturn]] void fail_at(int64_t line, const std::string& field, const std::string& problem) const {
    throw InputError(line > 0 ? source_ + ":" + std::to_string(line) : source_, field, problem);
  }

  void check_keys(const toml::table& table, const std::vector<std::string>& allowed, const std::string& path) const {
    for (auto&& [key, node] : table) {
      const std::string k(key.str());
      if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
      fail_at(key.source().begin.line, path.empty() ? k : path + "." + k,
              "unknown key" + did_you_mean(k, allowed) + "; allowed: " + join(allowed));
    }
  }

  const toml::table& table(const toml::node& node, const std::string& field) const {
    if (!node.is_table()) fail(&node, field, "must be a table, got " + type_name(node));
    return *node.as_table();
  }

  std::string string(const toml::node& node, const std::string& field) const {
    if (!node.is_string()) fail(&node, field, "must be a string, got " + type_name(node));
    return node.as_string()->get();
  }

  bool boolean(const toml::node& node, const std::string& field) const {
    if (!node.is_boolean()) fail(&node, field, "must be true or false, got " + type_name(node));
    return node.as_boolean()->get();
  }

  int64_t integer(const toml::node& node, const std::string& field, int64_t min) const {
    if (!node.is_integer()) fail(&node, field, "must be an integer >= " + std::to_string(min) + ", got " + type_name(node));
    const int64_t v = node.as_integer()->get();
    if (v < min) fail(&node, field, std::to_string(v) + " is below " + std::to_string(min));
    return v;
  }

  double number(const toml::node& node, const std::string& field) const {
    if (node.is_integer()) return static_cast<double>(node.as_integer()->get());
    if (node.is_floating_point()) {
      const double v = node.as_floating_point()->get();
      if (!std::isfinite(v)) fail(&node, field, "must be a finite number");
      return v;
    }
    fail(&node, field, "must be a number, got " + type_name(node));
  }

  // A string, or an array of strings.
  std::vector<std::string> strings(const toml::node& node, const std::string& field) const {
    if (node.is_string()) return {node.as_string()->get()};
    if (!node.is_array()) fail(&node, field, "must be a string or an array of strings, got " + type_name(node));
    std::vector<std::string> out;
    const auto& array = *node.as_array();
    for (std::size_t i = 0; i < array.size(); ++i) out.push_back(string(array[i], field + "[" + std::to_string(i) + "]"));
    if (out.empty()) fail(&node, field, "is empty");
    return out;
  }

  // [2048, "4k", "16K"]: integers >= 2, or strings with a k (x1024) suffix.
  std::vector<int64_t> lengths(const toml::node& node, const std::string& field) const {
    if (!node.is_array()) fail(&node, field, "must be an array of lengths such as [2048, \"4k\"], got " + type_name(node));
    std::vector<int64_t> out;
    const auto& array = *node.as_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      const toml::node& item = array[i];
      const std::string f = field + "[" + std::to_string(i) + "]";
      int64_t v = 0;
      if (item.is_integer()) {
        v = item.as_integer()->get();
      } else if (item.is_string()) {
        v = parse_k_length(item.as_string()->get());
        if (v == 0) fail(&item, f, "\"" + item.as_string()->get() + "\" is not a length (use e.g. 2048 or \"2k\")");
      } else {
        fail(&item, f, "must be a length such as 2048 or \"2k\", got " + type_name(item));
      }
      if (v < 2) fail(&item, f, "length " + std::to_string(v) + " is too short: a window needs at least 2 tokens");
      if (std::find(out.begin(), out.end(), v) != out.end())
        fail(&item, f, "length " + std::to_string(v) + " is listed twice");
      out.push_back(v);
    }
    if (out.empty()) fail(&node, field, "is empty");
    return out;
  }

  // Any TOML value as JSON (dates and times have no JSON form).
  json to_json(const toml::node& node, const std::string& field) const {
    if (node.is_integer()) return node.as_integer()->get();
    if (node.is_floating_point()) return node.as_floating_point()->get();
    if (node.is_boolean()) return node.as_boolean()->get();
    if (node.is_string()) return node.as_string()->get();
    if (node.is_array()) {
      json out = json::array();
      const auto& array = *node.as_array();
      for (std::size_t i = 0; i < array.size(); ++i) out.push_back(to_json(array[i], field + "[" + std::to_string(i) + "]"));
      return out;
    }
    if (node.is_table()) {
      json out = json::object();
      for (auto&& [key, value] : *node.as_table()) out[std::string(key.str())] = to_json(value, field + "." + std::string(key.str()));
      return out;
    }
    fail(&node, field, "dates and times are not allowed here");
  }

  static std::string type_name(const toml::node& node) {
    switch (node.type()) {
      case toml::node_type::table: return "a table";
      case toml::node_type::array: return "an array";
      case toml::node_type::string: return "a string";
      case toml::node_type::integer: return "an integer";
      case toml::node_type::floating_point: return "a number";
      case toml::node_type::boolean: return "a boolean";
      default: return "a date or time";
    }
  }

  static int64_t parse_k_length(const std::string& text) {
    std::string digits = text;
    int64_t mult = 1;
    if (!digits.empty() && (digits.back() == 'k' || digits.back() == 'K')) {
      mult = 1024;
      digits.pop_back();
    }
    if (digits.empty() || digits.size() > 12 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return 0;
    return std::stoll(digits) * mult;
  }

 private:
  std::string source_;
};

void parse_windows(const Reader& r, const toml::table& t, WindowSettings& w) {
  r.check_keys(t, kWindowKeys, "windows");
  if (auto* n = t.get("stride")) w.stride = r.integer(*n, "windows.stride", 0);
  if (auto* n = t.get("max_windows")) w.max_windows = r.integer(*n, "windows.max_windows", 0);
  if (auto* n = t.get("max_tokens")) w.max_tokens = r.integer(*n, "windows.max_tokens", 0);
  if (auto* n = t.get("mode")) {
    w.mode = r.string(*n, "windows.mode");
    if (std::find(kWindowModes.begin(), kWindowModes.end(), w.mode) == kWindowModes.end())
      r.fail(n, "windows.mode", "unknown mode \"" + w.mode + "\"" + did_you_mean(w.mode, kWindowModes) +
                                    "; allowed: " + join(kWindowModes));
  }
}

// [qroar]: each value checked as `ropebatch qroar` checks its option, with the grid's line.
GridQroarSearch parse_qroar(const Reader& r, const toml::table& t, const std::string& base_dir, const std::string& source) {
  r.check_keys(t, kQroarKeys, "qroar");
  GridQroarSearch q;
  q.line = t.source().begin.line;
  const toml::node* data = t.get("data");
  if (!data) r.fail_at(q.line, "qroar.data", "missing: the dev text the scales are searched on (not an evaluation dataset)");
  const std::string data_spec = r.string(*data, "qroar.data");
  r.at_line_of(data, "qroar.data", [&] { q.data = grid_detail::resolve_dataset(data_spec, base_dir, source, "qroar.data"); });
  if (auto* n = t.get("length")) q.length = r.integer(*n, "qroar.length", 2);
  if (auto* n = t.get("short_length")) q.short_length = r.integer(*n, "qroar.short_length", 2);
  if (q.length > 0 && q.short_length > q.length)
    r.fail(t.get("short_length"), "qroar.short_length", "is above qroar.length (" + std::to_string(q.length) + ")");
  if (auto* n = t.get("dev_windows")) q.dev_windows = r.integer(*n, "qroar.dev_windows", 1);
  if (auto* n = t.get("wavelength_margin")) q.wavelength_margin = r.number(*n, "qroar.wavelength_margin");
  if (auto* n = t.get("bands")) {
    q.bands = n->is_integer() ? std::to_string(r.integer(*n, "qroar.bands", 1)) : r.string(*n, "qroar.bands");
    r.at_line_of(n, "qroar.bands", [&] { (void)cli::parse_qroar_bands(q.bands, q.wavelength_margin, source, "qroar.bands"); });
  }
  if (auto* n = t.get("variant")) {
    q.variant = r.string(*n, "qroar.variant");
    r.at_line_of(n, "qroar.variant", [&] { (void)parse_qroar_variant(q.variant, source, "qroar.variant"); });
  }
  if (auto* n = t.get("scope")) {
    q.scope = r.string(*n, "qroar.scope");
    if (q.scope != "global" && q.scope != "layer") r.fail(n, "qroar.scope", "expected \"global\" or \"layer\", got \"" + q.scope + "\"");
  }
  q.grid = cli::default_qroar_grid();
  if (auto* n = t.get("grid")) {
    if (!n->is_array() || n->as_array()->empty()) r.fail(n, "qroar.grid", "must be a non-empty array of scales holding 1");
    q.grid.clear();
    const auto& array = *n->as_array();
    for (std::size_t i = 0; i < array.size(); ++i) q.grid.push_back(r.number(array[i], "qroar.grid[" + std::to_string(i) + "]"));
  }
  if (auto* n = t.get("short_tolerance")) q.short_tolerance = r.number(*n, "qroar.short_tolerance");
  if (auto* n = t.get("passes")) q.passes = r.integer(*n, "qroar.passes", 1);
  if (std::find(q.grid.begin(), q.grid.end(), 1.0) == q.grid.end())
    r.fail(t.get("grid"), "qroar.grid", "the grid of scales must hold 1 (the identity)");
  for (double v : q.grid)
    if (!(v > 0.0)) r.fail(t.get("grid"), "qroar.grid", "every scale must be > 0, got " + std::to_string(v));
  if (!(q.short_tolerance >= 0.0)) r.fail(t.get("short_tolerance"), "qroar.short_tolerance", "must be >= 0");
  if (auto* n = t.get("diagnostics")) {
    q.diagnostics = r.string(*n, "qroar.diagnostics");
    r.at_line_of(n, "qroar.diagnostics", [&] { cli::check_qroar_diagnostics(q.diagnostics, source, "qroar.diagnostics"); });
  }
  if (auto* n = t.get("epsilon")) {
    q.epsilon = r.number(*n, "qroar.epsilon");
    if (!(q.epsilon > 0.0)) r.fail(n, "qroar.epsilon", "must be > 0");
  }
  if (auto* n = t.get("tail_quantile")) {
    q.tail_quantile = r.number(*n, "qroar.tail_quantile");
    if (!(q.tail_quantile > 0.0 && q.tail_quantile < 1.0)) r.fail(n, "qroar.tail_quantile", "must be in (0, 1)");
  }
  return q;
}

void parse_passkey(const Reader& r, const toml::table& t, PasskeySettings& p) {
  r.check_keys(t, kPasskeyKeys, "passkey");
  if (auto* n = t.get("depths")) {
    if (!n->is_array() || n->as_array()->empty()) r.fail(n, "passkey.depths", "must be a non-empty array of numbers in [0, 1]");
    p.depths.clear();
    const auto& array = *n->as_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      const std::string f = "passkey.depths[" + std::to_string(i) + "]";
      const double d = r.number(array[i], f);
      if (d < 0.0 || d > 1.0) r.fail(&array[i], f, "depth " + std::to_string(d) + " is outside [0, 1]");
      p.depths.push_back(d);
    }
  }
  if (auto* n = t.get("trials")) p.trials = r.integer(*n, "passkey.trials", 1);
  if (auto* n = t.get("seed")) p.seed = static_cast<uint64_t>(r.integer(*n, "passkey.seed", 0));
}

void parse_longppl(const Reader& r, const toml::table& t, LongPplSettings& l) {
  r.check_keys(t, kLongPplKeys, "longppl");
  if (auto* n = t.get("short_length")) l.short_length = r.integer(*n, "longppl.short_length", 1);
  if (auto* n = t.get("alpha")) l.alpha = r.number(*n, "longppl.alpha");
  if (auto* n = t.get("beta")) l.beta = r.number(*n, "longppl.beta");
}

// Sweep and zip tables: arrays of values, nested tables flattened into dotted keys.
void parse_axes(const Reader& r, const toml::table& t, const std::string& field, const std::string& prefix,
                bool zipped, std::vector<GridAxis>& out, std::vector<std::pair<int64_t, int64_t>>& positions) {
  for (auto&& [key, node] : t) {
    const std::string name = prefix + std::string(key.str());
    const std::string f = field + "." + name;
    if (node.is_table()) {
      parse_axes(r, *node.as_table(), field, name + ".", zipped, out, positions);
      continue;
    }
    if (!node.is_array())
      r.fail(&node, f, "must be a list of values, e.g. " + std::string(key.str()) + " = [2, 4], got " + Reader::type_name(node));
    const auto& array = *node.as_array();
    if (array.empty()) r.fail(&node, f, "is empty: a swept parameter needs at least one value");
    GridAxis axis{name, {}};
    for (std::size_t i = 0; i < array.size(); ++i) {
      json v = r.to_json(array[i], f + "[" + std::to_string(i) + "]");
      if (!zipped && std::find(axis.values.begin(), axis.values.end(), v) != axis.values.end())
        r.fail(&array[i], f + "[" + std::to_string(i) + "]", "value " + v.dump() + " is listed twice");
      axis.values.push_back(std::move(v));
    }
    out.push_back(std::move(axis));
    positions.push_back({node.source().begin.line, node.source().begin.column});
  }
}

// toml++ tables iterate in key order; the axes keep the order of the file.
void parse_axes(const Reader& r, const toml::table& t, const std::string& field, bool zipped, std::vector<GridAxis>& out) {
  std::vector<GridAxis> axes;
  std::vector<std::pair<int64_t, int64_t>> positions;
  parse_axes(r, t, field, "", zipped, axes, positions);
  std::vector<std::size_t> order(axes.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return positions[a] < positions[b]; });
  for (std::size_t i : order) out.push_back(std::move(axes[i]));
}

bool has_path(const json& object, const std::string& dotted) {
  const json* cur = &object;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = dotted.find('.', start);
    const std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(part)) return false;
    cur = &cur->at(part);
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

GridMethod parse_method(const Reader& r, const toml::node& node, std::size_t index) {
  GridMethod m;
  m.where = "methods[" + std::to_string(index) + "]";
  m.line = node.source().begin.line;
  const toml::table& t = r.table(node, m.where);
  r.check_keys(t, kMethodKeys, m.where);
  const toml::node* name = t.get("name");
  if (!name) r.fail(&node, m.where + ".name", "missing: every method needs a name (its family in reports)");
  m.name = r.string(*name, m.where + ".name");
  if (m.name.empty()) r.fail(name, m.where + ".name", "is empty");

  if (auto* rope = t.get("rope")) {
    const std::string f = m.where + ".rope";
    if (rope->is_string()) {
      try {
        m.rope = parse_json_input(rope->as_string()->get(), "");
      } catch (const InputError& e) {
        r.fail(rope, f, "not valid JSON: " + std::string(e.what()).substr(2));  // e.what(): ": [FIELD: ]PROBLEM"
      }
    } else if (rope->is_table()) {
      m.rope = r.to_json(*rope, f);
    } else {
      r.fail(rope, f, "must be a table such as { rope_type = \"yarn\", factor = 4 } or a JSON string, got " +
                          Reader::type_name(*rope));
    }
    if (!m.rope.is_object() && !m.rope.is_null())
      r.fail(rope, f, "must be a JSON object such as {\"rope_type\": \"yarn\", \"factor\": 4}, got " + m.rope.dump());
  }
  if (auto* n = t.get("sweep")) parse_axes(r, r.table(*n, m.where + ".sweep"), m.where + ".sweep", false, m.sweep);
  if (auto* n = t.get("zip")) {
    parse_axes(r, r.table(*n, m.where + ".zip"), m.where + ".zip", true, m.zip);
    for (const auto& axis : m.zip)
      if (axis.values.size() != m.zip.front().values.size())
        r.fail(n, m.where + ".zip." + axis.key,
               "has " + std::to_string(axis.values.size()) + " values but zip." + m.zip.front().key + " has " +
                   std::to_string(m.zip.front().values.size()) + "; zipped lists must have the same length");
    // Rows (the i-th value of every zipped key) must differ.
    const std::size_t rows = m.zip.empty() ? 0 : m.zip.front().values.size();
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t j = 0; j < i; ++j) {
        bool same = true;
        for (const auto& axis : m.zip) same &= axis.values[i] == axis.values[j];
        if (same)
          r.fail(n, m.where + ".zip", "row " + std::to_string(i) + " repeats row " + std::to_string(j) +
                                          " (the i-th values of every zipped list)");
      }
  }
  for (const auto& z : m.zip)
    for (const auto& s : m.sweep)
      if (z.key == s.key)
        r.fail(&node, m.where + ".zip." + z.key, "is also in " + m.where + ".sweep; a parameter is swept one way only");
  for (const auto* axes : {&m.sweep, &m.zip})
    for (const auto& a : *axes)
      if (m.rope.is_object() && has_path(m.rope, a.key))
        r.fail(&node, m.where + (axes == &m.sweep ? ".sweep." : ".zip.") + a.key,
               "is also set in " + m.where + ".rope; give it in one place");

  // A method named after a RoPE method implies its rope_type.
  const auto names = rope::method_names();
  const bool is_method_name = std::find(names.begin(), names.end(), m.name) != names.end();
  if (m.rope.is_null() && (is_method_name || !m.sweep.empty() || !m.zip.empty())) m.rope = json::object();
  if (m.rope.is_object() && !m.rope.contains("rope_type") && !m.rope.contains("type") && is_method_name)
    m.rope["rope_type"] = m.name;

  if (auto* n = t.get("description")) m.description = r.string(*n, m.where + ".description");
  if (auto* n = t.get("lengths")) m.lengths = r.lengths(*n, m.where + ".lengths");
  if (auto* n = t.get("baseline")) m.baseline = r.boolean(*n, m.where + ".baseline");
  if (auto* n = t.get("qroar")) {
    m.qroar = r.string(*n, m.where + ".qroar");
    if (m.qroar == "search") {
      m.qroar_search = true;
      m.qroar.clear();
    } else if (m.qroar.empty()) {
      r.fail(n, m.where + ".qroar", "is empty; give a scales file made by `ropebatch qroar`, or \"search\"");
    }
  }
  return m;
}

// rope_type of every configuration names a known method.
void check_method_names(const Reader& r, const GridMethod& m, const std::function<std::string(int64_t)>& source_at) {
  const auto names = rope::method_names();
  for (const auto& config : method_configs(m)) {
    if (!config.rope.is_object()) continue;
    for (const char* key : {"rope_type", "type"}) {
      if (!config.rope.contains(key)) continue;
      const json& v = config.rope.at(key);
      bool swept = false;
      for (const auto* axes : {&m.sweep, &m.zip})
        for (const auto& a : *axes) swept |= a.key == key;
      const std::string field = m.where + (swept ? ".sweep." : ".rope.") + key;
      if (!v.is_string()) r.fail_at(m.line, field, "must be a method name, got " + v.dump() + "; allowed: " + join(names));
      const std::string type = v.get<std::string>();
      if (std::find(names.begin(), names.end(), type) == names.end())
        r.fail_at(m.line, field, "unknown method \"" + type + "\"" + did_you_mean(type, names) + "; allowed: " + join(names));
    }
    // Generator tables are checked now, with a stand-in model; the real one comes at expansion.
    if (grid_detail::needs_model(config.rope)) {
      rope::RopeModelInfo stand_in;
      stand_in.head_dim = 64;
      grid_detail::resolve_for_model(config.rope, stand_in, source_at(m.line), m.where + ".rope.");
    }
  }
}

}  // namespace

Grid parse_grid(const std::string& toml_text, const std::string& source, const std::string& base_dir) {
  const Reader r(source);
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    r.fail_at(begin.line, "", "not valid TOML (column " + std::to_string(begin.column) + "): " +
                                  std::string(e.description()));
  }
  r.check_keys(root, kTopKeys, "");

  Grid g;
  g.source = source;
  g.name = std::filesystem::path(source).stem().string();
  if (auto* n = root.get("name")) g.name = r.string(*n, "name");
  if (auto* n = root.get("description")) g.description = r.string(*n, "description");
  if (auto* n = root.get("models")) {
    const auto list = r.strings(*n, "models");
    for (std::size_t i = 0; i < list.size(); ++i)
      g.models.push_back(grid_detail::resolve_model(list[i], base_dir, source, "models[" + std::to_string(i) + "]"));
  }
  if (auto* n = root.get("datasets")) {
    const auto list = r.strings(*n, "datasets");
    for (std::size_t i = 0; i < list.size(); ++i)
      g.datasets.push_back(grid_detail::resolve_dataset(list[i], base_dir, source, "datasets[" + std::to_string(i) + "]"));
  }
  if (auto* n = root.get("lengths")) g.lengths = r.lengths(*n, "lengths");
  if (auto* n = root.get("metrics")) {
    g.metrics = r.strings(*n, "metrics");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < g.metrics.size(); ++i) {
      const std::string& m = g.metrics[i];
      const std::string f = "metrics[" + std::to_string(i) + "]";
      if (std::find(kMetrics.begin(), kMetrics.end(), m) == kMetrics.end())
        r.fail(n, f, "unknown metric \"" + m + "\"" + did_you_mean(m, kMetrics) + "; allowed: " + join(kMetrics));
      if (!seen.insert(m).second) r.fail(n, f, "metric \"" + m + "\" is listed twice");
    }
  }
  if (auto* n = root.get("quant")) {
    g.quant = r.strings(*n, "quant");
    for (std::size_t i = 0; i < g.quant.size(); ++i) {
      const std::string f = "quant[" + std::to_string(i) + "]";
      r.at_line_of(n, f, [&] { g.quant[i] = quant_from_label(g.quant[i], source, f).label(); });  // canonical: "int4" -> "int4-g128"
    }
    for (std::size_t i = 0; i < g.quant.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (g.quant[i] == g.quant[j])
          r.fail(n, "quant[" + std::to_string(i) + "]", "\"" + g.quant[i] + "\" is listed twice");
  }
  if (auto* n = root.get("windows")) parse_windows(r, r.table(*n, "windows"), g.windows);
  if (auto* n = root.get("passkey")) parse_passkey(r, r.table(*n, "passkey"), g.passkey);
  if (auto* n = root.get("longppl")) parse_longppl(r, r.table(*n, "longppl"), g.longppl);
  if (auto* n = root.get("qroar")) g.qroar = parse_qroar(r, r.table(*n, "qroar"), base_dir, source);

  const toml::node* methods = root.get("methods");
  if (!methods) r.fail_at(0, "methods", "missing: a grid needs at least one [[methods]] entry");
  if (!methods->is_array() || methods->as_array()->empty())
    r.fail(methods, "methods", "must be a non-empty array of tables ([[methods]] entries)");
  const auto& array = *methods->as_array();
  for (std::size_t i = 0; i < array.size(); ++i) g.methods.push_back(parse_method(r, array[i], i));
  for (auto& m : g.methods)  // a scales file relative to the grid file, as models and datasets
    if (!m.qroar.empty() && std::filesystem::path(m.qroar).is_relative() && !base_dir.empty())
      m.qroar = (std::filesystem::path(base_dir) / m.qroar).lexically_normal().string();

  // [qroar] and qroar = "search" come together.
  const auto searching = std::find_if(g.methods.begin(), g.methods.end(), [](const GridMethod& m) { return m.qroar_search; });
  if (searching != g.methods.end() && !g.qroar)
    r.fail_at(searching->line, searching->where + ".qroar",
              "is \"search\", but the grid has no [qroar] table saying how to search (at least its dev text: data = \"...\")");
  if (searching == g.methods.end() && g.qroar)
    r.fail_at(g.qroar->line, "qroar", "no method has qroar = \"search\"; remove [qroar] or mark the methods to search");

  // Lengths: the grid's, or every method's own.
  for (const auto& m : g.methods)
    if (m.lengths.empty() && g.lengths.empty())
      r.fail_at(m.line, m.where + ".lengths", "missing: give the grid's lengths = [...] or the method's own");

  // Exactly one baseline, a single configuration.
  std::vector<const GridMethod*> baselines;
  for (const auto& m : g.methods)
    if (m.baseline) baselines.push_back(&m);
  if (baselines.empty())
    r.fail_at(0, "methods", "no baseline: mark exactly one method with baseline = true (usually the model's own RoPE)");
  if (baselines.size() > 1)
    r.fail_at(baselines[1]->line, baselines[1]->where + ".baseline",
              "a second baseline (the first is " + baselines[0]->where + " \"" + baselines[0]->name +
                  "\"); exactly one method is the baseline");
  if (method_configs(*baselines[0]).size() != 1)
    r.fail_at(baselines[0]->line, baselines[0]->where + ".baseline",
              "the baseline must be one configuration, but this method sweeps " +
                  std::to_string(method_configs(*baselines[0]).size()));

  auto source_at = [&](int64_t line) { return line > 0 ? source + ":" + std::to_string(line) : source; };
  for (const auto& m : g.methods) check_method_names(r, m, source_at);
  return g;
}

}  // namespace rb
