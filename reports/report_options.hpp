#pragma once
// What `ropebatch report` was asked for (docs/REPORT.md).
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace rb::reports {

struct TrainingLength {
  int64_t tokens = 0;
  std::string source;  // how it is known: "--training-length", "config.json of the model at its stored path"
};

struct ReportOptions {
  // The configuration every other is compared with: empty = the runs whose config says
  // "baseline": true (the grid's baseline entry). Else a configuration label, or a family with one
  // configuration per quantization.
  std::string baseline_label;
  bool skip_baseline = false;     // --no-baseline: leave the comparison with a baseline out
  int top_n = 10;                 // rows of the "Top configurations" tables
  double rise_threshold = 0.20;   // Findings: a PPL more than this fraction above the shortest length's
  // Marked in the perplexity figure: per model (the name the report shows for it, or "" for every
  // model without its own entry).
  std::map<std::string, TrainingLength> training_lengths;
  bool png = true;                // also PNG, when rsvg-convert is on PATH
};

}  // namespace rb::reports
