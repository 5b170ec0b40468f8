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
std::string passkey_table(const ReportData& data, std::size_t setting);   // "" without passkey
std::string longppl_table(const ReportData& data, std::size_t setting);   // "" without LongPPL
std::string correlation_table(const ReportData& data, std::size_t setting);  // "" with PPL alone

// Cell text shared by the sections.
std::string ppl_cell(const RunRecord* run);            // "7.349 ± 0.012", "N/A" or "—"
std::string configuration_cell(const ConfigurationRow& row);  // label, "(baseline)" marked

}  // namespace rb::reports::markdown
