#include "reports/report_csv.hpp"

#include <map>
#include <set>

#include "reports/report_format.hpp"
#include "reports/report_metrics.hpp"

namespace rb::reports {

using nlohmann::json;

namespace {

// Configuration fields first in this order (when present), then the others alphabetically.
const std::vector<std::string> kLeadingConfigColumns = {"model",    "model_sha256", "dataset", "dataset_sha256",
                                                        "family",   "rope_label",   "quant",   "baseline",
                                                        "length",   "metrics"};

std::string scalar_text(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) return format_exact(v.get<double>());
  return v.dump();  // lists (and anything else) as compact JSON
}

void flatten(const json& value, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [k, v] : value.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
    return;
  }
  out[prefix] = value.is_object() ? "{}" : scalar_text(value);
}

// The configuration's fields, and every RoPE parameter the method resolved (its defaults filled in,
// RunRecord::rope_resolved) as rope.KEY where the configuration left it unset.
std::map<std::string, std::string> config_columns(const RunRecord& r) {
  std::map<std::string, std::string> columns;
  flatten(r.config, "", columns);
  columns["quant"] = quant_of(r.config);  // files from before the field existed get its default
  if (!r.rope_resolved.empty()) {
    const json resolved = json::parse(r.rope_resolved, nullptr, false);
    if (resolved.is_object()) {
      std::map<std::string, std::string> rope;
      flatten(resolved, "rope", rope);
      for (auto& [k, v] : rope) columns.try_emplace(k, std::move(v));
      if (columns.count("rope") && columns["rope"].empty()) columns.erase("rope");  // null: all of it is below
    }
  }
  return columns;
}

std::string optional_number(const std::optional<double>& v) { return v ? format_exact(*v) : ""; }

struct Row {
  std::map<std::string, std::string> config;
  std::vector<std::string> metrics;
};

const std::vector<std::string> kMetricColumns = {
    "run_id",      "status",         "error",        "ppl",          "ppl_stderr",      "nll_sum",
    "predictions", "windows_scored", "skipped_documents", "ratio_to_baseline", "baseline_run_id",
    "ratio_ci_low", "ratio_ci_high", "ratio_ci_excludes_1", "log_ratio_to_baseline", "log_ratio_stderr",
    "paired_windows", "trained_length", "collapse_ratio", "longppl",     "longppl_key_tokens", "passkey_retrieved", "passkey_trials",
    "passkey_accuracy", "seconds",   "tokens_per_second", "host",   "rank",            "device",
    "started_at",  "finished_at"};

std::vector<std::string> metric_cells(const Setting& s, const ConfigurationRow& row, const RunRecord& r) {
  const bool completed = cell_state(&r) == CellState::completed;
  const auto ratio = s.ratio_to_reference(row, r.config.value("length", int64_t{0}));
  const RunRecord* reference = row.reference ? s.rows[*row.reference].run_at(r.config.value("length", int64_t{0})) : nullptr;
  const PasskeyTally passkey = passkey_total(r);
  const auto paired = s.paired_to_reference(row, r.config.value("length", int64_t{0}));
  const bool interval = paired && paired->ci_low;
  std::string trained;
  if (r.trained_length) trained = std::to_string(*r.trained_length);
  else if (s.training_length) trained = std::to_string(s.training_length->tokens);
  return {r.run_id,
          r.status,
          r.error,
          optional_number(r.ppl),
          optional_number(r.ppl_stderr),
          format_exact(r.nll_sum),
          std::to_string(r.predictions),
          std::to_string(r.window_nll.size()),
          std::to_string(r.skipped_documents),
          optional_number(ratio),
          reference ? reference->run_id : "",
          interval ? format_exact(*paired->ci_low) : "",
          interval ? format_exact(*paired->ci_high) : "",
          interval ? (paired->direction() != 0 ? "true" : "false") : "",
          paired ? format_exact(paired->log_ratio) : "",
          interval ? format_exact(*paired->log_ratio_stderr) : "",
          paired ? std::to_string(paired->windows) : "",
          trained,
          completed && row.collapse ? format_exact(row.collapse->ratio) : "",
          optional_number(r.longppl),
          std::to_string(r.longppl_key_tokens),
          passkey.trials ? std::to_string(passkey.retrieved) : "",
          passkey.trials ? std::to_string(passkey.trials) : "",
          passkey.trials ? format_exact(passkey.accuracy()) : "",
          format_exact(r.seconds),
          format_exact(r.tokens_per_second),
          r.host,
          std::to_string(r.rank),
          r.device,
          r.started_at,
          r.finished_at};
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + csv_field(fields[i]);
  return line + "\n";
}

// Names of a configuration: the columns that lead passkey.csv and windows.csv.
std::vector<std::string> identity_cells(const Setting& s, const ConfigurationRow& row, const RunRecord& r, int64_t length) {
  return {r.run_id, s.model, s.dataset, row.family, row.rope_label, row.quant, std::to_string(length)};
}

const std::vector<std::string> kIdentityColumns = {"run_id", "model", "dataset", "family", "rope_label", "quant", "length"};

}  // namespace

std::string runs_csv(const ReportData& data) {
  std::vector<Row> rows;
  std::set<std::string> config_keys;
  for (const Setting& s : data.settings)
    for (const ConfigurationRow& row : s.rows)
      for (const auto& [length, run] : row.runs) {
        Row out{config_columns(*run), metric_cells(s, row, *run)};
        for (const auto& [k, v] : out.config) config_keys.insert(k);
        rows.push_back(std::move(out));
      }
  std::vector<std::string> config_order;
  for (const std::string& k : kLeadingConfigColumns)
    if (config_keys.erase(k)) config_order.push_back(k);
  config_order.insert(config_order.end(), config_keys.begin(), config_keys.end());

  // run_id, status and error lead; then the configuration; then the rest of the metrics.
  std::vector<std::string> header(kMetricColumns.begin(), kMetricColumns.begin() + 3);
  header.insert(header.end(), config_order.begin(), config_order.end());
  header.insert(header.end(), kMetricColumns.begin() + 3, kMetricColumns.end());
  std::string text = csv_line(header);
  for (const Row& r : rows) {
    std::vector<std::string> fields(r.metrics.begin(), r.metrics.begin() + 3);
    for (const std::string& k : config_order) {
      const auto it = r.config.find(k);
      fields.push_back(it == r.config.end() ? "" : it->second);
    }
    fields.insert(fields.end(), r.metrics.begin() + 3, r.metrics.end());
    text += csv_line(fields);
  }
  return text;
}

std::string passkey_csv(const ReportData& data) {
  std::vector<std::string> header = kIdentityColumns;
  header.insert(header.end(), {"status", "prompt_length", "depth", "trial", "retrieved"});
  std::string text = csv_line(header);
  for (const Setting& s : data.settings)
    for (const ConfigurationRow& row : s.rows)
      for (const auto& [length, run] : row.runs)
        for (const PasskeyOutcome& p : run->passkey) {
          std::vector<std::string> fields = identity_cells(s, row, *run, length);
          fields.insert(fields.end(), {run->status, std::to_string(p.length), format_exact(p.depth),
                                       std::to_string(p.trial), p.retrieved ? "1" : "0"});
          text += csv_line(fields);
        }
  return text;
}

std::string windows_csv(const ReportData& data) {
  std::vector<std::string> header = kIdentityColumns;
  header.insert(header.end(), {"status", "window", "nll_sum", "predictions", "mean_nll"});
  std::string text = csv_line(header);
  for (const Setting& s : data.settings)
    for (const ConfigurationRow& row : s.rows)
      for (const auto& [length, run] : row.runs)
        for (std::size_t w = 0; w < run->window_nll.size() && w < run->window_predictions.size(); ++w) {
          const int64_t n = run->window_predictions[w];
          std::vector<std::string> fields = identity_cells(s, row, *run, length);
          fields.insert(fields.end(),
                        {run->status, std::to_string(w), format_exact(run->window_nll[w]), std::to_string(n),
                         n > 0 ? format_exact(run->window_nll[w] / static_cast<double>(n)) : ""});
          text += csv_line(fields);
        }
  return text;
}

}  // namespace rb::reports
