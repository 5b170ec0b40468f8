#pragma once
// The per-setting tables of report.md, one function per section (report_markdown.cpp puts them
// together). Each returns Markdown ending in a blank line.
#include <cstddef>
#include <string>

#include "reports/report_data.hpp"

namespace rb::reports::markdown {

std::string perplexity_table(const ReportData& data, std::size_t setting);
std::string ratio_table(const ReportData& data, std::size_t setting);
std::string family_ranking(const ReportData& data, std::size_t setting);
std::string top_configurations(const ReportData& data, std::size_t setting);
// Sections of metrics a setting did not measure say so in one line.
std::string position_section(const ReportData& data, std::size_t setting);  // loss by position
std::string qroar_table(const ReportData& data, std::size_t setting);        // runs with Q-ROAR scales; "" when none
std::string passkey_table(const ReportData& data, std::size_t setting);
std::string longppl_table(const ReportData& data, std::size_t setting);
std::string correlation_table(const ReportData& data, std::size_t setting);

// Cell text shared by the sections.
std::string ppl_cell(const RunRecord* run);            // "7.349 ± 0.012", "N/A" or "—"
std::string configuration_cell(const ConfigurationRow& row);  // label, "(baseline)" marked
// The ratio to the baseline with its paired 95% interval: "+1.2% [+0.8%, +1.6%]"; prefixed "≈ " when
// the interval includes 1 (indistinguishable from the baseline); "+1.2% (one window: no interval)".
// "N/A" or "—" as Setting::ratio_state says.
std::string paired_ratio_cell(const Setting& s, const ConfigurationRow& row, int64_t length);
// A rank from ranks_with_ties: "3", or "3=" when shared.
std::string rank_cell(std::size_t rank, bool tied);

}  // namespace rb::reports::markdown
