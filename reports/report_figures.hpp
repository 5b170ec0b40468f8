#pragma once
// The report's figures, as SVG text (docs/REPORT.md, "Figures"): per setting, perplexity versus
// length with one panel per method family, a configurations x lengths heatmap of PPL, and a
// passkey heatmap (configurations x lengths x depths) when the setting measured passkey retrieval.
#include <cstddef>
#include <string>

#include "reports/report_data.hpp"

namespace rb::reports {

struct SettingFigures {
  std::string ppl_lines;        // "ppl_vs_length.svg" (with "_N" when the report has several settings)
  std::string ppl_heatmap;      // "ppl_heatmap.svg"
  std::string passkey_heatmap;  // "passkey_heatmap.svg"; empty without passkey results
};

SettingFigures figure_names(const ReportData& data, std::size_t setting);

std::string ppl_lines_svg(const Setting& setting);
std::string ppl_heatmap_svg(const Setting& setting);
std::string passkey_heatmap_svg(const Setting& setting);

}  // namespace rb::reports
