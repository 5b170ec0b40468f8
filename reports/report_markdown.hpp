#pragma once
// report.md: the header (what was run, where, when, by which commands), findings, and the tables
// (docs/REPORT.md lists them and what each cell means).
#include <string>

#include "reports/report_data.hpp"

namespace rb::reports {

std::string report_markdown(const ReportData& data);

}  // namespace rb::reports
