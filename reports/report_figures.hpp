#pragma once
// The report's figures, as SVG text (docs/REPORT.md, "Figures"): per setting, perplexity versus
// length with one panel per method family, a configurations x lengths heatmap of PPL, and a
// passkey heatmap (configurations x lengths x depths) when the setting measured passkey retrieval.
#include <cstddef>
#include <string>
#include <vector>

#include "reports/report_data.hpp"

namespace rb::reports {

struct SettingFigures {
  std::string ppl_lines;        // "ppl_vs_length.svg" (with "_N" when the report has several settings)
  std::string ppl_heatmap;      // "ppl_heatmap.svg"
  std::string passkey_heatmap;  // "passkey_heatmap.svg"; empty without passkey results
  std::string ratio_heatmap;    // "ratio_heatmap.svg"; empty without a baseline to compare with
  std::string collapse;         // "collapse.svg"; empty when no configuration has two completed lengths
  std::string nll_by_position;  // "nll_by_position.svg"; empty when no run stored loss by position
  std::string position_ratio;   // "position_ratio.svg"; empty without those or without a baseline
  std::string qroar_diagnostics;  // "qroar_diagnostics.svg"; empty when no Q-ROAR run carries diagnostics
};

SettingFigures figure_names(const ReportData& data, std::size_t setting);

std::string ppl_lines_svg(const Setting& setting);
std::string ppl_heatmap_svg(const Setting& setting);
std::string passkey_heatmap_svg(const Setting& setting);
// PPL / the baseline's PPL per configuration and length, colour diverging around 1.
std::string ratio_heatmap_svg(const Setting& setting);
// The collapse ratio of each configuration as a bar on a log axis around 1.
std::string collapse_svg(const Setting& setting);
// Mean NLL per position bucket, one panel per family (the best few configurations and the baseline),
// each configuration's longest completed run; the training length marked.
std::string nll_by_position_svg(const Setting& setting);
// The same runs as a ratio to the baseline at the same length, per bucket: exp(NLL - baseline's NLL).
std::string position_ratio_svg(const Setting& setting);

// Whether any completed run of the setting stored loss by position.
bool has_position_data(const Setting& setting);
// Each row's place in the overall win-rate ranking (rank_overall; rows without a comparison last).
std::vector<std::size_t> win_rate_order(const Setting& setting);
// Rows drawn in colour for a family panel: at most `most` of `rows`, the best by `order`
// (win_rate_order), in table order.
std::vector<std::size_t> best_rows_of(const std::vector<std::size_t>& order, std::vector<std::size_t> rows, std::size_t most);

}  // namespace rb::reports
