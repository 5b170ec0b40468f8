#pragma once
// Correlation coefficients for the report's "Correlations" table.
#include <optional>
#include <span>
#include <vector>

namespace rb::reports {

// Ranks 1..n of `values`; tied values share the average of the ranks they span
// (e.g. {10, 20, 20, 30} -> {1, 2.5, 2.5, 4}).
std::vector<double> average_ranks(std::span<const double> values);

// Pearson's product-moment correlation of paired samples:
//   r = Σ (x_i − x̄)(y_i − ȳ) / sqrt(Σ (x_i − x̄)² · Σ (y_i − ȳ)²)
// nullopt when there are fewer than 3 pairs or either variable is constant (r undefined).
// Throws rb::Error when the spans differ in length.
std::optional<double> pearson(std::span<const double> x, std::span<const double> y);

// Spearman's rank correlation: Pearson's r of the average ranks (the definition that stays exact
// with ties; the textbook 1 − 6Σd²/(n(n²−1)) is only valid without them). Same undefined cases.
std::optional<double> spearman(std::span<const double> x, std::span<const double> y);

}  // namespace rb::reports
