#pragma once
// The runs a report is made from: one results file, or several shards merged in memory (the same
// rules as `ropebatch merge`: a run found twice must agree bit for bit, else rb::InputError).
#include <string>
#include <vector>

#include "reports/file_info.hpp"
#include "reports/run_record.hpp"

namespace rb::reports {

struct ReportInputFile {
  std::string name;   // the file's name without its folder (reports do not depend on where they ran)
  FileInfo info;      // the sessions that wrote it
  std::size_t runs = 0;
};

struct ReportInput {
  std::vector<ReportInputFile> files;   // in the order given
  std::vector<RunRecord> records;       // every run once
  std::size_t duplicates = 0;           // runs found again (and agreeing) in a later file
  std::vector<std::string> warnings;    // damaged journal records skipped
};

// Throws rb::InputError naming the file for a missing file, a file that is not a ropebatch results
// file, a newer schema, conflicting duplicates, or when the files hold no run at all.
ReportInput load_report_input(const std::vector<std::string>& paths);

}  // namespace rb::reports
