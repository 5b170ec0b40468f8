#include "reports/statistics.hpp"

#include <cmath>
#include <string>
#include <vector>

#include <boost/math/distributions/students_t.hpp>

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

double PairedRatio::ratio() const { return std::exp(log_ratio); }

int PairedRatio::direction() const {
  if (!ci_low || !ci_high) return 0;
  if (*ci_high < 1.0) return -1;
  if (*ci_low > 1.0) return 1;
  return 0;
}

namespace {

double t_quantile_computed(int64_t dof) {
  const boost::math::students_t dist(static_cast<double>(dof));
  return boost::math::quantile(boost::math::complement(dist, (1.0 - kIntervalLevel) / 2.0));
}

// The quantile takes Boost a few microseconds (an inverse incomplete beta); a report compares every
// pair of runs at a length, millions of intervals over a handful of window counts. So the common
// degrees of freedom are computed once, on first use (a thread-safe static), with the same values.
constexpr int64_t kTabulatedDof = 1024;

const std::vector<double>& tabulated_t_quantiles() {
  static const std::vector<double> table = [] {
    std::vector<double> t(kTabulatedDof + 1, 0.0);
    for (int64_t dof = 1; dof <= kTabulatedDof; ++dof) t[dof] = t_quantile_computed(dof);
    return t;
  }();
  return table;
}

}  // namespace

double t_quantile_two_sided(int64_t dof) {
  if (dof < 1) throw Error("t_quantile_two_sided: " + std::to_string(dof) + " degrees of freedom");
  return dof <= kTabulatedDof ? tabulated_t_quantiles()[dof] : t_quantile_computed(dof);
}

std::optional<PairedRatio> paired_log_ratio(std::span<const double> nll_a, std::span<const int64_t> predictions_a,
                                            std::span<const double> nll_b, std::span<const int64_t> predictions_b) {
  if (nll_a.size() != predictions_a.size() || nll_b.size() != predictions_b.size() || nll_a.size() != nll_b.size())
    return std::nullopt;
  PairedRatio p;
  int64_t n_total = 0;
  double diff_sum = 0.0;
  for (std::size_t i = 0; i < nll_a.size(); ++i) {
    if (predictions_a[i] != predictions_b[i] || predictions_a[i] < 0) return std::nullopt;
    if (predictions_a[i] == 0) continue;
    diff_sum += nll_a[i] - nll_b[i];
    n_total += predictions_a[i];
    ++p.windows;
  }
  if (n_total == 0) return std::nullopt;
  const double n = static_cast<double>(n_total);
  p.log_ratio = diff_sum / n;
  if (p.windows < 2) return p;
  double sum_sq = 0.0;
  for (std::size_t i = 0; i < nll_a.size(); ++i) {
    if (predictions_a[i] == 0) continue;
    const double residual = (nll_a[i] - nll_b[i]) - p.log_ratio * static_cast<double>(predictions_a[i]);
    sum_sq += residual * residual;
  }
  const double w = static_cast<double>(p.windows);
  p.log_ratio_stderr = std::sqrt(sum_sq * w / (w - 1.0)) / n;
  const double half = t_quantile_two_sided(p.windows - 1) * *p.log_ratio_stderr;
  p.ci_low = std::exp(p.log_ratio - half);
  p.ci_high = std::exp(p.log_ratio + half);
  return p;
}

}  // namespace rb::reports
