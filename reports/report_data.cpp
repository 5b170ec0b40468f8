#include "reports/report_data.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <unordered_map>

#include "common/error.hpp"
#include "common/suggest.hpp"
#include "reports/report_format.hpp"
#include "reports/report_ranking.hpp"

namespace rb::reports {

using nlohmann::json;

namespace {

std::string text_field(const json& config, const char* key, const std::string& fallback = "") {
  const auto it = config.find(key);
  return (it != config.end() && it->is_string()) ? it->get<std::string>() : fallback;
}

int64_t length_of(const json& config) {
  const auto it = config.find("length");
  return (it != config.end() && it->is_number_integer()) ? it->get<int64_t>() : 0;
}

bool baseline_flag(const json& config) {
  const auto it = config.find("baseline");
  return it != config.end() && it->is_boolean() && it->get<bool>();
}

json without(const json& config, std::initializer_list<const char*> keys) {
  if (!config.is_object()) return config;
  json c = config;
  for (const char* k : keys) c.erase(k);
  return c;
}

std::string file_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const std::string name = std::filesystem::path(p).filename().string();
  return name.empty() ? p : name;
}

// "bible-kjv", "text:genesis.txt", "dir:pg19".
std::string dataset_display(const std::string& spec) {
  const auto colon = spec.find(':');
  if (colon == std::string::npos) return file_name(spec);
  return spec.substr(0, colon + 1) + file_name(spec.substr(colon + 1));
}

// For objects that would otherwise look the same: the top-level keys whose values differ within
// the group, as "key=value" (values as compact JSON).
std::vector<std::string> distinguishing_text(const std::vector<const json*>& group) {
  std::set<std::string> keys;
  for (const json* j : group)
    if (j->is_object())
      for (const auto& [k, v] : j->items()) keys.insert(k);
  std::vector<std::string> out(group.size());
  for (const std::string& k : keys) {
    const auto value_of = [&](const json* j) { return j->contains(k) ? (*j)[k].dump() : std::string("(absent)"); };
    bool differs = false;
    for (const json* j : group) differs = differs || value_of(j) != value_of(group.front());
    if (!differs) continue;
    for (std::size_t i = 0; i < group.size(); ++i)
      out[i] += (out[i].empty() ? "" : " ") + k + "=" + value_of(group[i]);
  }
  return out;
}

bool quant_less(const std::string& a, const std::string& b) {
  if ((a == "none") != (b == "none")) return a == "none";
  return natural_less(a, b);
}

struct RowBuild {
  ConfigurationRow row;
  json key;  // configuration without its length
};

struct SettingBuild {
  Setting setting;
  json key;  // the configuration without what varies within a setting
  std::map<std::string, std::size_t> row_index;  // row key dump -> index in rows
  std::vector<RowBuild> rows;
};

void disambiguate_rows(std::vector<RowBuild>& rows) {
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<std::size_t>> by_name;
  for (std::size_t i = 0; i < rows.size(); ++i)
    by_name[{rows[i].row.family, rows[i].row.rope_label, rows[i].row.quant}].push_back(i);
  for (const auto& [name, members] : by_name) {
    if (members.size() < 2) continue;
    std::vector<const json*> keys;
    for (std::size_t i : members) keys.push_back(&rows[i].key);
    const std::vector<std::string> extra = distinguishing_text(keys);
    for (std::size_t k = 0; k < members.size(); ++k) rows[members[k]].row.label += " [" + extra[k] + "]";
  }
}

void disambiguate_settings(std::vector<SettingBuild>& settings) {
  std::map<std::string, std::vector<std::size_t>> by_title;
  for (std::size_t i = 0; i < settings.size(); ++i) by_title[settings[i].setting.title].push_back(i);
  for (const auto& [title, members] : by_title) {
    if (members.size() < 2) continue;
    std::vector<const json*> keys;
    for (std::size_t i : members) keys.push_back(&settings[i].key);
    const std::vector<std::string> extra = distinguishing_text(keys);
    for (std::size_t k = 0; k < members.size(); ++k) settings[members[k]].setting.title += " [" + extra[k] + "]";
  }
}

bool row_less(const ConfigurationRow& a, const ConfigurationRow& b) {
  if (a.baseline != b.baseline) return a.baseline;
  if (a.family != b.family) return natural_less(a.family, b.family);
  if (a.label != b.label) return natural_less(a.label, b.label);
  return quant_less(a.quant, b.quant);
}

bool setting_less(const SettingBuild& a, const SettingBuild& b) {
  if (a.setting.model_name != b.setting.model_name) return natural_less(a.setting.model_name, b.setting.model_name);
  if (a.setting.dataset_name != b.setting.dataset_name)
    return natural_less(a.setting.dataset_name, b.setting.dataset_name);
  return a.key.dump() < b.key.dump();
}

std::vector<std::string> all_labels(const std::vector<SettingBuild>& settings) {
  std::set<std::string> labels;
  for (const SettingBuild& s : settings)
    for (const RowBuild& r : s.rows) labels.insert(r.row.label);
  return {labels.begin(), labels.end()};
}

// Marks the rows --baseline names: a label, or a family with one configuration per quantization.
void mark_named_baseline(std::vector<SettingBuild>& settings, const std::string& name) {
  bool found = false;
  for (SettingBuild& s : settings) {
    std::map<std::string, std::vector<std::size_t>> by_label, by_family;  // per quant
    for (std::size_t i = 0; i < s.rows.size(); ++i) {
      ConfigurationRow& row = s.rows[i].row;
      row.baseline = false;
      if (row.label == name || row.rope_label == name) by_label[row.quant].push_back(i);
      if (row.family == name) by_family[row.quant].push_back(i);
    }
    const auto& chosen = by_label.empty() ? by_family : by_label;
    for (const auto& [quant, members] : chosen) {
      if (members.size() > 1)
        throw InputError("command line", "--baseline",
                         "'" + name + "' names " + std::to_string(members.size()) + " configurations of " +
                             s.setting.title + " (e.g. '" + s.rows[members[0]].row.label + "' and '" +
                             s.rows[members[1]].row.label + "'); give one configuration's label");
      s.rows[members.front()].row.baseline = true;
      found = true;
    }
  }
  if (!found) {
    const std::vector<std::string> labels = all_labels(settings);
    const std::string near = nearest_name(name, labels);
    std::string known;
    for (std::size_t i = 0; i < labels.size() && i < 12; ++i) known += (i ? ", '" : "'") + labels[i] + "'";
    if (labels.size() > 12) known += ", ...";
    throw InputError("command line", "--baseline",
                     "'" + name + "' is no configuration or family in the results" +
                         (near.empty() ? "" : " (did you mean '" + near + "'?)") + "; configurations: " + known);
  }
}

void link_references(Setting& setting, const std::string& input_names, bool skip_baseline) {
  std::map<std::string, std::size_t> baseline_by_quant;
  std::vector<std::size_t> baselines;
  for (std::size_t i = 0; i < setting.rows.size(); ++i) {
    if (!setting.rows[i].baseline) continue;
    const auto [it, inserted] = baseline_by_quant.emplace(setting.rows[i].quant, i);
    if (!inserted)
      throw InputError(input_names, "baseline",
                       "two baseline configurations of " + setting.title + " with quantization '" +
                           setting.rows[i].quant + "': '" + setting.rows[it->second].label + "' and '" +
                           setting.rows[i].label + "'; choose one with --baseline LABEL");
    baselines.push_back(i);
  }
  if (baselines.empty()) {
    if (skip_baseline) return;
    throw InputError(input_names, "baseline",
                     "no baseline configuration of " + setting.title +
                         " in the results (no run has \"baseline\": true; a shard left out?). Give every "
                         "shard, name the configuration to compare with (--baseline LABEL), or leave the "
                         "comparison out (--no-baseline)");
  }
  for (ConfigurationRow& row : setting.rows) {
    if (row.baseline) continue;
    if (const auto it = baseline_by_quant.find(row.quant); it != baseline_by_quant.end())
      row.reference = it->second;
    else if (baselines.size() == 1)
      row.reference = baselines.front();
  }
}

void compute_collapse(ConfigurationRow& row) {
  const RunRecord* shortest = nullptr;
  const RunRecord* longest = nullptr;
  int64_t from = 0, to = 0;
  for (const auto& [length, run] : row.runs) {
    if (cell_state(run) != CellState::completed) continue;
    if (!shortest) {
      shortest = run;
      from = length;
    }
    longest = run;
    to = length;
  }
  if (shortest && to > from) row.collapse = CollapseRatio{*longest->ppl / *shortest->ppl, from, to};
}

// The model's trained context as the runs stored it (schema 2), from the first run that has it.
std::optional<TrainingLength> stored_training_length(const Setting& setting) {
  for (const ConfigurationRow& row : setting.rows)
    for (const auto& [length, run] : row.runs)
      if (run->trained_length)
        return TrainingLength{*run->trained_length, "stored with the runs (the model's max_position_embeddings)"};
  return std::nullopt;
}

bool has_metric(const json& config, const char* metric) {
  const auto it = config.find("metrics");
  if (it == config.end() || !it->is_array()) return false;
  return std::any_of(it->begin(), it->end(), [&](const json& m) { return m.is_string() && m.get<std::string>() == metric; });
}

}  // namespace

CellState cell_state(const RunRecord* run) {
  if (!run) return CellState::not_in_sweep;
  return (run->status == "ok" && run->ppl) ? CellState::completed : CellState::failed;
}

std::optional<PairedRatio> paired_comparison(const RunRecord* a, const RunRecord* b) {
  if (cell_state(a) != CellState::completed || cell_state(b) != CellState::completed) return std::nullopt;
  return paired_log_ratio(a->window_nll, a->window_predictions, b->window_nll, b->window_predictions);
}

std::optional<PairedRatio> Setting::paired_to_reference(const ConfigurationRow& row, int64_t length) const {
  if (!row.reference) return std::nullopt;
  return paired_comparison(row.run_at(length), rows[*row.reference].run_at(length));
}

std::string model_display_name(const std::string& model_path) { return file_name(model_path); }

std::string quant_of(const json& config) {
  const std::string quant = text_field(config, "quant");
  if (!quant.empty()) return quant;
  const std::string model = text_field(config, "model");
  return model.ends_with(".gguf") ? "gguf" : "none";
}

const RunRecord* ConfigurationRow::run_at(int64_t length) const {
  const auto it = runs.find(length);
  return it == runs.end() ? nullptr : it->second;
}

std::string ConfigurationRow::display_name(bool with_quant) const {
  std::string name = (label == family || label.starts_with(family + " ")) ? label : family + " " + label;
  if (with_quant) name += " [" + quant + "]";
  return name;
}

std::optional<double> Setting::ratio_to_reference(const ConfigurationRow& row, int64_t length) const {
  if (ratio_state(row, length) != CellState::completed) return std::nullopt;
  return *row.run_at(length)->ppl / *rows[*row.reference].run_at(length)->ppl;
}

CellState Setting::ratio_state(const ConfigurationRow& row, int64_t length) const {
  if (!row.reference) return CellState::not_in_sweep;
  const CellState own = cell_state(row.run_at(length));
  const CellState base = cell_state(rows[*row.reference].run_at(length));
  if (own == CellState::not_in_sweep || base == CellState::not_in_sweep) return CellState::not_in_sweep;
  if (own == CellState::failed || base == CellState::failed) return CellState::failed;
  return CellState::completed;
}

ReportData build_report_data(ReportInput input, const ReportOptions& options) {
  std::string input_names;
  for (const ReportInputFile& f : input.files) input_names += (input_names.empty() ? "" : ", ") + f.name;

  // Group runs: setting key -> row key -> length.
  std::vector<SettingBuild> settings;
  std::unordered_map<std::string, std::size_t> setting_index;
  for (const RunRecord& r : input.records) {
    const json& config = r.config;
    // `weights` (how the weights were held) follows `quant`, and `qroar` (Q-ROAR scales on W_Q / W_K)
    // is a method entry's: all vary within a setting.
    json setting_key = without(config, {"length", "rope", "rope_label", "family", "baseline", "quant", "weights", "qroar"});
    const std::string setting_dump = setting_key.dump();
    auto [sit, new_setting] = setting_index.try_emplace(setting_dump, settings.size());
    if (new_setting) {
      SettingBuild s;
      s.setting.model = text_field(config, "model");
      s.setting.dataset = text_field(config, "dataset");
      s.setting.model_name = s.setting.model.empty() ? "(no model)" : model_display_name(s.setting.model);
      s.setting.dataset_name = s.setting.dataset.empty() ? "(no dataset)" : dataset_display(s.setting.dataset);
      s.setting.title = s.setting.model_name + " · " + s.setting.dataset_name;
      s.key = std::move(setting_key);
      settings.push_back(std::move(s));
    }
    SettingBuild& s = settings[sit->second];
    s.setting.has_passkey = s.setting.has_passkey || has_metric(config, "passkey") || !r.passkey.empty();
    s.setting.has_longppl = s.setting.has_longppl || has_metric(config, "longppl") || r.longppl.has_value();
    json row_key = without(config, {"length"});
    const std::string row_dump = row_key.dump();
    auto [rit, new_row] = s.row_index.try_emplace(row_dump, s.rows.size());
    if (new_row) {
      RowBuild b;
      b.row.family = text_field(config, "family", "(no family)");
      b.row.rope_label = text_field(config, "rope_label", b.row.family);
      b.row.quant = quant_of(config);
      b.row.label = b.row.rope_label;
      b.row.baseline = baseline_flag(config);
      b.key = std::move(row_key);
      s.rows.push_back(std::move(b));
    }
    ConfigurationRow& row = s.rows[rit->second].row;
    const int64_t length = length_of(config);
    if (!row.runs.emplace(length, &r).second)  // distinct run_ids but the same configuration and length
      throw InputError(input_names, "/runs/" + r.run_id,
                       "a second run of the same configuration at length " + std::to_string(length) +
                           " (run " + row.runs.at(length)->run_id + ")");
  }

  for (SettingBuild& s : settings) disambiguate_rows(s.rows);
  disambiguate_settings(settings);
  if (!options.baseline_label.empty() && !options.skip_baseline) mark_named_baseline(settings, options.baseline_label);
  std::sort(settings.begin(), settings.end(), setting_less);

  // Copy the runs into report order and point the rows at the copies.
  ReportData data;
  data.options = options;
  data.files = std::move(input.files);
  data.duplicates = input.duplicates;
  data.records.reserve(input.records.size());
  for (SettingBuild& s : settings) {
    std::sort(s.rows.begin(), s.rows.end(), [](const RowBuild& a, const RowBuild& b) { return row_less(a.row, b.row); });
    std::set<int64_t> lengths;
    for (RowBuild& b : s.rows)
      for (auto& [length, run] : b.row.runs) {
        lengths.insert(length);
        data.records.push_back(*run);
      }
    s.setting.lengths.assign(lengths.begin(), lengths.end());
  }
  std::size_t next = 0;
  for (SettingBuild& s : settings) {
    for (RowBuild& b : s.rows) {
      for (auto& [length, run] : b.row.runs) run = &data.records[next++];
      compute_collapse(b.row);
      s.setting.rows.push_back(std::move(b.row));
    }
    if (options.skip_baseline)
      for (ConfigurationRow& row : s.setting.rows) row.baseline = false;
    link_references(s.setting, input_names, options.skip_baseline);
    s.setting.overall = rank_overall(s.setting);
    std::set<std::string> quants;
    for (const ConfigurationRow& row : s.setting.rows) quants.insert(row.quant);
    s.setting.several_quants = quants.size() > 1;
    const auto own = options.training_lengths.find(s.setting.model_name);
    const auto every = options.training_lengths.find("");
    if (own != options.training_lengths.end())
      s.setting.training_length = own->second;
    else if (every != options.training_lengths.end())
      s.setting.training_length = every->second;
    else
      s.setting.training_length = stored_training_length(s.setting);
    data.settings.push_back(std::move(s.setting));
  }

  for (const RunRecord& r : data.records) {
    ++data.counts.total;
    if (r.status == "skipped")
      ++data.counts.skipped;
    else if (cell_state(&r) == CellState::completed)
      ++data.counts.completed;
    else
      ++data.counts.failed;
  }
  if (options.skip_baseline)
    data.baseline_source = "none (--no-baseline)";
  else if (!options.baseline_label.empty())
    data.baseline_source = "'" + options.baseline_label + "' (--baseline)";
  else
    data.baseline_source = "the configuration whose runs say \"baseline\": true (the grid's baseline entry)";
  return data;
}

}  // namespace rb::reports
