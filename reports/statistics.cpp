#include "reports/statistics.hpp"

#include <cmath>
#include <string>

#include "common/error.hpp"

namespace rb::reports {

PerplexityEstimate perplexity_over_windows(std::span<const double> window_nll,
                                           std::span<const int64_t> window_predictions) {
  if (window_nll.size() != window_predictions.size())
    throw Error("perplexity_over_windows: " + std::to_string(window_nll.size()) + " window NLL sums but " +
                std::to_string(window_predictions.size()) + " prediction counts");
  PerplexityEstimate e;
  for (std::size_t i = 0; i < window_nll.size(); ++i) {
    if (window_predictions[i] < 0)
      throw Error("perplexity_over_windows: window " + std::to_string(i) + " has a negative prediction count");
    if (window_predictions[i] == 0) continue;
    e.nll_sum += window_nll[i];
    e.predictions += window_predictions[i];
    ++e.windows;
  }
  if (e.predictions == 0) throw Error("perplexity_over_windows: no scored predictions");
  const double n_total = static_cast<double>(e.predictions);
  e.mean_nll = e.nll_sum / n_total;
  e.ppl = std::exp(e.mean_nll);
  if (e.windows < 2) return e;
  // (n_i/N)^2 (m_i - m)^2 == ((nll_i - m n_i) / N)^2: the form without a division per window.
  double sum_sq = 0.0;
  for (std::size_t i = 0; i < window_nll.size(); ++i) {
    if (window_predictions[i] == 0) continue;
    const double residual = window_nll[i] - e.mean_nll * static_cast<double>(window_predictions[i]);
    sum_sq += residual * residual;
  }
  const double w = static_cast<double>(e.windows);
  e.mean_nll_stderr = std::sqrt(sum_sq * w / (w - 1.0)) / n_total;
  e.ppl_stderr = e.ppl * *e.mean_nll_stderr;
  return e;
}

}  // namespace rb::reports
