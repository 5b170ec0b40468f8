#pragma once
// A run read from a file we may not have written (a results file, a journal) is checked like any
// input before reports, merges or resumes use it: the configuration fields they read have their
// types, and every stored number is one a sweep can produce (finite perplexities > 0, ...).
#include <string>

#include "reports/run_record.hpp"

namespace rb::reports {

// Throws rb::InputError(file, where + "/FIELD", problem) for the first value that is out of place.
void check_run_record(const RunRecord& r, const std::string& file, const std::string& where);

}  // namespace rb::reports
