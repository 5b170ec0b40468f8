#pragma once
// The HDF5 results file itself (layout in docs/RESULTS_FORMAT.md): writing one from records, reading
// it back, and reading its /summary table alone. These do not know about the journal or atomic
// replacement; ResultsStore and write_results (results_store.hpp) add those.
#include <cstdint>
#include <string>
#include <vector>

#include "reports/file_info.hpp"
#include "reports/run_record.hpp"

namespace rb::reports {

inline constexpr const char* kResultsFormat = "ropebatch-results";
// 2 added trained_length, rope_resolved, the paired comparison with the baseline and loss by
// position; files of schema 1 read with those absent.
inline constexpr int64_t kResultsSchemaVersion = 2;

struct ResultsFile {
  FileInfo info;
  std::vector<RunRecord> records;     // in the order they were written
  std::vector<std::string> warnings;  // damaged journal records skipped while reading
};

// Creates (truncating) `path` with `records` (run_ids must be distinct). Throws rb::Error.
void write_results_h5(const std::string& path, const std::vector<RunRecord>& records, const FileInfo& info);

// Reads a results file. A file that is not HDF5, HDF5 without format "ropebatch-results", a newer
// schema_version, or a damaged file -> rb::InputError naming the file and the problem.
ResultsFile read_results_h5(const std::string& path);

// One row of /summary.
struct SummaryRow {
  std::string run_id, family, rope_label;
  int64_t length = 0;
  std::string status;
  double ppl = 0, ppl_stderr = 0;  // NaN when missing
  int64_t predictions = 0;
  double seconds = 0;
};

std::vector<SummaryRow> read_summary(const std::string& path);

}  // namespace rb::reports
