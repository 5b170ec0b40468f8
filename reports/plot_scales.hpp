#pragma once
// Axes and colours for the report's figures.
#include <cstddef>
#include <string>
#include <vector>

namespace rb::reports {

// A logarithmic axis from `lo` to `hi` (both > 0) onto pixels `from` .. `to` (`to` may be below
// `from`, as for a y axis).
struct LogScale {
  double lo = 1, hi = 10;
  double from = 0, to = 1;
  double operator()(double value) const;
};

// [lo, hi] widened by `margin` of its logarithmic width on each side; a single value becomes
// [v / 1.25, v * 1.25].
std::pair<double, double> padded_log_range(double lo, double hi, double margin = 0.06);

// Tick values inside [lo, hi] for a log axis: powers of ten when the range spans several decades,
// else 1-2-5 or 1..9 multiples, else (a range within one step of those) evenly spaced round values.
// At least two ticks, at most about ten.
std::vector<double> log_ticks(double lo, double hi);

// A tick label: "7.5", "20", "1000", "20000", and from 100000 on "10⁵", "2×10⁵".
std::string tick_label(double value);

// Viridis (perceptually uniform, readable in grey and by colour-blind readers) at t in [0, 1],
// as "#rrggbb": dark purple at 0, yellow at 1.
std::string viridis(double t);

// Colour of line i of n on a white background: Okabe and Ito's colour-blind-safe palette for up to
// seven lines; more lines take viridis from dark to light-green in order (their labels are ordered,
// so the colour follows the swept value).
std::string line_colour(std::size_t i, std::size_t n);

// ColorBrewer's RdBu reversed, t in [0, 1]: blue below 0.5, white at 0.5, red above.
std::string diverging(double t);

// Black or white, whichever reads better on `background` ("#rrggbb").
std::string text_colour_on(const std::string& background);

}  // namespace rb::reports
