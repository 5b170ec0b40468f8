#pragma once
// Perplexity over scored windows and its standard error (docs/RESULTS_FORMAT.md, "Standard error").
#include <cstdint>
#include <optional>
#include <span>

namespace rb::reports {

struct PerplexityEstimate {
  double nll_sum = 0.0;                    // NLL = sum of window NLL sums
  int64_t predictions = 0;                 // N = sum of window prediction counts
  int64_t windows = 0;                     // W = windows with at least one prediction
  double mean_nll = 0.0;                   // m = NLL / N
  std::optional<double> mean_nll_stderr;   // delta-method SE of m; nullopt when W < 2
  double ppl = 0.0;                        // exp(m)
  std::optional<double> ppl_stderr;        // ppl * SE(m); nullopt when W < 2
};

// window_nll[i]: summed NLL of window i; window_predictions[i]: its scored predictions.
// Throws rb::Error when the spans differ in length, a count is negative, or nothing was scored.
PerplexityEstimate perplexity_over_windows(std::span<const double> window_nll,
                                           std::span<const int64_t> window_predictions);

}  // namespace rb::reports
