#pragma once
// The /summary compound type: one row per run, the columns a report reads first.
#include <cstdint>
#include <string>
#include <vector>

#include "reports/hdf5_util.hpp"
#include "reports/results_h5.hpp"

namespace rb::reports {

// The in-memory row HDF5 reads and writes (strings are variable-length, owned elsewhere).
struct SummaryRowRaw {
  const char* run_id;
  const char* family;
  const char* rope_label;
  int64_t length;
  const char* status;
  double ppl;
  double ppl_stderr;
  int64_t predictions;
  double seconds;
};

// Memory type of SummaryRowRaw; `packed` gives the file type (no padding).
h5::Handle summary_row_type(bool packed, const std::string& file);

// The `count` rows of the /summary dataset `ds` of `file`, its strings resolved by
// h5::VlenReferences (never libhdf5's global-heap reader: the file may be damaged).
std::vector<SummaryRow> read_summary_rows(hid_t ds, std::size_t count, const std::string& file);

}  // namespace rb::reports
