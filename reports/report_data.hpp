#pragma once
// The report's model of the results: runs grouped into settings (model, dataset and everything
// else a grid fixes), configurations (family, RoPE label, quantization) and lengths, with the
// baseline each configuration is compared with. Every table and figure is drawn from this; nothing
// here is ever filled in where a run is missing or failed.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reports/overall_ranking.hpp"
#include "reports/report_input.hpp"
#include "reports/report_options.hpp"
#include "reports/run_record.hpp"
#include "reports/statistics.hpp"

namespace rb::reports {

// What a (configuration, length) cell holds.
enum class CellState {
  not_in_sweep,  // no run of it ("—")
  failed,        // a failed or skipped run ("N/A")
  completed,     // a run with a perplexity
};

CellState cell_state(const RunRecord* run);

// The paired comparison of run a with run b over their common windows (statistics.hpp,
// paired_log_ratio): nullopt unless both completed on the same windows.
std::optional<PairedRatio> paired_comparison(const RunRecord* a, const RunRecord* b);

struct CollapseRatio {
  double ratio = 0;            // ppl at `to` / ppl at `from`
  int64_t from = 0, to = 0;    // its shortest and longest completed lengths
};

struct ConfigurationRow {
  std::string family, rope_label, quant;
  std::string label;                          // rope_label, plus what tells it apart if two share it
  bool baseline = false;                      // a baseline configuration of its setting
  std::map<int64_t, const RunRecord*> runs;   // by length
  std::optional<std::size_t> reference;       // the row it is compared with (not set for a baseline)
  std::optional<CollapseRatio> collapse;      // with at least two completed lengths

  const RunRecord* run_at(int64_t length) const;
  // The label, prefixed with the family when it does not already start with it; with " [quant]"
  // when `with_quant` (settings holding several quantizations).
  std::string display_name(bool with_quant) const;
};

struct Setting {
  std::string model, dataset;            // as stored in the configurations
  std::string model_name, dataset_name;  // shown: file names without folders
  std::string title;                     // "model_name · dataset_name" (+ what tells it apart)
  std::vector<int64_t> lengths;          // every length any of its runs has, ascending
  std::vector<ConfigurationRow> rows;    // baselines first, then by family, label and quantization
  std::optional<TrainingLength> training_length;
  bool has_passkey = false, has_longppl = false;
  bool several_quants = false;           // rows differ in quantization: show it
  std::vector<OverallRanking> overall;   // rank_overall(*this), computed once by build_report_data

  // ppl(row at length) / ppl(its reference at length), when both completed.
  std::optional<double> ratio_to_reference(const ConfigurationRow& row, int64_t length) const;
  // The state of that ratio: not_in_sweep when either run does not exist, failed when either failed.
  CellState ratio_state(const ConfigurationRow& row, int64_t length) const;
  // The paired comparison behind that ratio (with its 95% interval when there are two windows or more).
  std::optional<PairedRatio> paired_to_reference(const ConfigurationRow& row, int64_t length) const;
};

struct RunCounts {
  std::size_t total = 0, completed = 0, failed = 0, skipped = 0;
};

struct ReportData {
  ReportData() = default;
  ReportData(ReportData&&) = default;
  ReportData& operator=(ReportData&&) = default;
  ReportData(const ReportData&) = delete;  // rows point into `records`
  ReportData& operator=(const ReportData&) = delete;

  std::vector<ReportInputFile> files;
  std::size_t duplicates = 0;
  std::vector<RunRecord> records;   // in report order: settings, rows, lengths
  std::vector<Setting> settings;    // ordered by model, dataset
  RunCounts counts;
  ReportOptions options;
  std::string baseline_source;      // how baselines were chosen, for the header
};

// Groups `input` into settings and configurations and finds each setting's baseline. Throws
// rb::InputError when --baseline names no configuration, or when a setting has no baseline
// configuration (unless options.skip_baseline).
ReportData build_report_data(ReportInput input, const ReportOptions& options);

// How the report names a model: its file or folder name ("llama_gqa", "model.Q4_1.gguf").
std::string model_display_name(const std::string& model_path);

// The quantization of a run: config "quant", or for files written before that field existed
// "gguf" for a .gguf model and "none" otherwise.
std::string quant_of(const nlohmann::json& config);

}  // namespace rb::reports
