#include "reports/report_input.hpp"

#include <filesystem>

#include "common/error.hpp"
#include "reports/merge.hpp"

namespace rb::reports {

ReportInput load_report_input(const std::vector<std::string>& paths) {
  if (paths.empty()) throw InputError("command line", "", "no results file given");
  MergeResult merged = merge_results(paths, FileInfo{});
  ReportInput input;
  for (std::size_t k = 0; k < paths.size(); ++k)
    input.files.push_back({std::filesystem::path(paths[k]).filename().string(), merged.input_infos[k],
                           merged.input_runs[k]});
  input.records = std::move(merged.records);
  input.duplicates = merged.duplicates;
  input.warnings = std::move(merged.warnings);
  if (input.records.empty()) {
    const std::string which = paths.size() == 1 ? paths.front() : paths.front() + " (and the other inputs)";
    throw InputError(which, "/runs", "an empty sweep: no run is recorded, so there is nothing to report");
  }
  return input;
}

}  // namespace rb::reports
