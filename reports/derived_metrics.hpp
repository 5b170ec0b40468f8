#pragma once
// Metrics that compare runs with each other, recomputed from the stored perplexities whenever a
// results file is written (so they always reflect every run the file holds):
//   ratio_to_baseline  ppl / ppl of the grid's baseline run with the same configuration apart from
//                      the RoPE method (same model, dataset, length, windows, quantization)
//   collapse_ratio     for one configuration: ppl at its longest length / ppl at its shortest,
//                      over its completed runs; the same value on each of them
//   paired_windows, log_ratio_to_baseline, log_ratio_stderr, ratio_ci_low, ratio_ci_high
//                      the paired comparison with that baseline run (statistics.hpp)
// Both are absent when the runs they need are missing or failed: never invented.
#include <vector>

#include "reports/run_record.hpp"

namespace rb::reports {

void annotate_derived_metrics(std::vector<RunRecord>& records);

}  // namespace rb::reports
