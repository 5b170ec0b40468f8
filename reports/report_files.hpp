#pragma once
// Writes a report into a folder: report.md, runs.csv, passkey.csv, windows.csv, the SVG figures and,
// when asked and a rasterizer is on PATH, their PNG copies. Each file is written whole
// (FILE.tmp, then renamed), so a reader never sees half a report file.
#include <string>
#include <vector>

#include "reports/report_data.hpp"

namespace rb::reports {

struct WrittenReport {
  std::vector<std::string> files;        // names inside the folder, in the order written
  std::vector<std::string> png_notes;    // why a PNG is missing (PNGs are a convenience: the report
                                         // is complete without them, so these are not errors)
};

WrittenReport write_report(const std::string& folder, const ReportData& data);

}  // namespace rb::reports
