#pragma once
// Perplexity over scored windows and its standard error (docs/RESULTS_FORMAT.md, "Standard error"),
// and the paired comparison of two runs scored on the same windows ("Paired comparison").
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

// Two runs over the same windows (the same count, and the same predictions in each window):
//   D = sum_i (nll_a_i - nll_b_i) / N = ln(ppl_a / ppl_b)
//   SE(D) = sqrt(W/(W-1) * sum_i (d_i - D n_i)^2) / N,   d_i = nll_a_i - nll_b_i
// (the ratio estimator of perplexity_over_windows applied to the per-window differences; with equal
// n_i it is the standard error of the mean of the per-window differences of mean NLL), and the 95%
// interval on the ratio ppl_a / ppl_b: exp(D -/+ t(0.975, W-1) * SE(D)), Student's t with W-1
// degrees of freedom (few windows at long lengths: the normal quantile 1.96 would be too narrow).
struct PairedRatio {
  int64_t windows = 0;                    // W
  double log_ratio = 0.0;                 // D
  std::optional<double> log_ratio_stderr; // SE(D); nullopt when W < 2
  std::optional<double> ci_low, ci_high;  // on the ratio; nullopt when W < 2
  double ratio() const;
  // -1: the interval lies below 1 (a lower PPL), +1: above 1, 0: it includes 1 or is undefined.
  int direction() const;
};

inline constexpr double kIntervalLevel = 0.95;

// Student's t quantile t(1 - (1 - kIntervalLevel) / 2, dof), dof >= 1.
double t_quantile_two_sided(int64_t dof);

// nullopt when the windows differ (count or predictions per window) or nothing was scored.
std::optional<PairedRatio> paired_log_ratio(std::span<const double> nll_a, std::span<const int64_t> predictions_a,
                                            std::span<const double> nll_b, std::span<const int64_t> predictions_b);

}  // namespace rb::reports
