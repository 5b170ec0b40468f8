#pragma once
// The /summary compound type: one row per run, the columns a report reads first.
#include <cstdint>
#include <string>

#include "reports/hdf5_util.hpp"

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

}  // namespace rb::reports
