// Loss by position in the window (docs/REPORT.md, "Loss by position"): mean NLL per position bucket,
// and its ratio to the baseline at the same length, one panel per method family.
#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "reports/figure_parts.hpp"
#include "reports/plot_scales.hpp"
#include "reports/report_figures.hpp"
#include "reports/report_format.hpp"
#include "reports/svg_document.hpp"

namespace rb::reports {

namespace {

using namespace figure;


bool has_positions(const RunRecord* run) {
  return cell_state(run) == CellState::completed && !run->position_bucket_start.empty() &&
         run->position_mean_nll.size() == run->position_bucket_start.size();
}

// The configuration's run at its longest completed length with loss by position, or at `length`.
const RunRecord* position_run(const ConfigurationRow& row, std::optional<int64_t> length = std::nullopt) {
  if (length) return has_positions(row.run_at(*length)) ? row.run_at(*length) : nullptr;
  for (auto it = row.runs.rbegin(); it != row.runs.rend(); ++it)
    if (has_positions(it->second)) return it->second;
  return nullptr;
}

int64_t length_of(const RunRecord& run) { return run.config.value("length", int64_t{0}); }

// Points (bucket centre, value): the centre is the geometric mean of the bucket's first and last
// position. `reference`: the ratio exp(NLL - reference NLL) over the buckets both have.
std::vector<std::pair<double, double>> curve(const RunRecord& run, const RunRecord* reference) {
  std::map<int64_t, double> base;
  if (reference)
    for (std::size_t b = 0; b < reference->position_bucket_start.size(); ++b)
      base[reference->position_bucket_start[b]] = reference->position_mean_nll[b];
  const std::vector<int64_t>& starts = run.position_bucket_start;
  std::vector<std::pair<double, double>> points;
  for (std::size_t b = 0; b < starts.size(); ++b) {
    // The bucket ends where the next of the scheme starts (the next stored one, or the window's end).
    const int64_t start = starts[b];
    const int64_t next_scheme = start < 2 ? start + 1 : (start & (start - 1)) == 0 ? start + start / 2 : start * 4 / 3;
    const int64_t last = std::min(next_scheme, length_of(run)) - 1;
    const double centre = std::sqrt(static_cast<double>(start) * static_cast<double>(std::max(start, last)));
    const double nll = run.position_mean_nll[b];
    if (!std::isfinite(nll)) continue;  // a damaged file: no point rather than a wrong one
    if (!reference) {
      points.emplace_back(centre, nll);
    } else if (const auto it = base.find(start); it != base.end()) {
      points.emplace_back(centre, std::exp(nll - it->second));
    }
  }
  return points;
}

// Round tick values for a linear axis over [lo, hi].
std::vector<double> linear_ticks(double lo, double hi) {
  const double span = hi - lo;
  const double raw = span / 5;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

struct Panel {
  std::string family;
  std::vector<std::size_t> rows;
  std::size_t configurations = 0;
};

class PositionFigure {
 public:
  PositionFigure(const Setting& s, bool ratio) : s_(s), ratio_(ratio) {
    std::vector<Panel> panels;
    for (std::size_t i = 0; i < s.rows.size(); ++i) {
      if (!position_run(s.rows[i])) continue;
      if (s.rows[i].baseline && (ratio || s.rows.size() > 1)) continue;
      if (ratio && !s.rows[i].reference) continue;
      auto it = std::find_if(panels.begin(), panels.end(), [&](const Panel& p) { return p.family == s.rows[i].family; });
      if (it == panels.end()) it = panels.insert(panels.end(), Panel{s.rows[i].family, {}, 0});
      it->rows.push_back(i);
    }
    const bool any_large = std::any_of(panels.begin(), panels.end(), [](const Panel& p) { return p.rows.size() > kMostLines; });
    const std::vector<std::size_t> order = any_large ? win_rate_order(s) : std::vector<std::size_t>();
    for (Panel& p : panels) {
      p.configurations = p.rows.size();
      p.rows = best_rows_of(order, std::move(p.rows), kMostLines);
    }
    panels_ = std::move(panels);
    double x_hi = 2, y_lo = INFINITY, y_hi = -INFINITY;
    for (const Panel& p : panels_)
      for (const std::size_t r : p.rows)
        for (const auto& [x, y] : points_of(r)) {
          x_hi = std::max(x_hi, x);
          y_lo = std::min(y_lo, y);
          y_hi = std::max(y_hi, y);
        }
    for (const Panel& p : panels_)
      for (const auto& [x, y] : baseline_points(p)) {
        y_lo = std::min(y_lo, y);
        y_hi = std::max(y_hi, y);
      }
    if (!(y_hi >= y_lo)) y_lo = y_hi = ratio ? 1.0 : 1.0;
    if (ratio) {
      y_lo = std::min(y_lo, 1.0);
      y_hi = std::max(y_hi, 1.0);
      std::tie(y_lo, y_hi) = padded_log_range(y_lo, y_hi);
    } else {
      const double pad = std::max(0.05, (y_hi - y_lo) * 0.06);
      y_lo -= pad;
      y_hi += pad;
    }
    y_lo_ = y_lo;
    y_hi_ = y_hi;
    max_length_ = 0;
    for (const ConfigurationRow& row : s.rows)
      if (const RunRecord* run = position_run(row)) max_length_ = std::max(max_length_, length_of(*run));
    x_hi_ = std::max(x_hi, static_cast<double>(max_length_));
    columns_ = std::max<std::size_t>(1, std::min<std::size_t>(3, panels_.size()));
  }

  std::string draw(const std::string& title) {
    const double panel_width = kPlotLeft + kPlotWidth + kPlotRight + 150;
    const double width = std::max(24 + panel_width * static_cast<double>(columns_), 24 + title_width(title));
    SvgDocument svg(width, 0, title);
    std::string subtitle =
        ratio_ ? "exp(mean NLL − the baseline's mean NLL) per log-spaced bucket of the predicted token's position, "
                 "each configuration's longest completed run against the baseline's run at the same length; "
                 "log axes; grey: 1 (no difference)"
               : "Mean NLL (nats per token) per log-spaced bucket of the predicted token's position in its window, "
                 "each configuration's longest completed run; log position axis; grey dashed: the baseline";
    if (s_.training_length) subtitle += "; red dotted: the model's training length";
    subtitle += ". A family of more than " + std::to_string(kMostLines) + " configurations shows its best " +
                std::to_string(kMostLines) + " by overall win rate.";
    double y = title_block(svg, 12, 8, width - 24, title, subtitle);
    for (std::size_t start = 0; start < panels_.size(); start += columns_) {
      double legend = 0;
      for (std::size_t k = start; k < std::min(panels_.size(), start + columns_); ++k) {
        const std::size_t lines = panels_[k].rows.size() + (ratio_ ? 0 : baseline_points(panels_[k]).empty() ? 0 : 1);
        legend = std::max(legend, kLegendLine * static_cast<double>(lines));
        draw_panel(svg, panels_[k], 12 + panel_width * static_cast<double>(k - start), y);
      }
      y += kPlotTop + kPlotHeight + kPlotBottom + 8 + legend + 12;
    }
    svg.set_height(y);
    return svg.str();
  }

 private:
  std::vector<std::pair<double, double>> points_of(std::size_t row) const {
    const RunRecord* run = position_run(s_.rows[row]);
    if (!run) return {};
    if (!ratio_) return curve(*run, nullptr);
    const RunRecord* base = position_run(s_.rows[*s_.rows[row].reference], length_of(*run));
    return base ? curve(*run, base) : std::vector<std::pair<double, double>>{};
  }

  // The baseline's run at the longest length among the panel's runs (NLL figure only).
  const RunRecord* baseline_run(const Panel& p) const {
    if (ratio_) return nullptr;
    int64_t longest = 0;
    for (const std::size_t r : p.rows)
      if (const RunRecord* run = position_run(s_.rows[r])) longest = std::max(longest, length_of(*run));
    for (const ConfigurationRow& row : s_.rows)
      if (row.baseline && !(p.rows.size() == 1 && &s_.rows[p.rows.front()] == &row))
        if (const RunRecord* run = position_run(row, longest)) return run;
    return nullptr;
  }
  std::vector<std::pair<double, double>> baseline_points(const Panel& p) const {
    const RunRecord* run = baseline_run(p);
    return run ? curve(*run, nullptr) : std::vector<std::pair<double, double>>{};
  }

  void draw_panel(SvgDocument& svg, const Panel& panel, double x0, double y0) {
    const double left = x0 + kPlotLeft, top = y0 + kPlotTop;
    const double right = left + kPlotWidth, bottom = top + kPlotHeight;
    const LogScale x{1.0, x_hi_ * 1.15, left, right};
    const LogScale ly{y_lo_, y_hi_, bottom, top};
    const auto y = [&](double v) {
      return ratio_ ? ly(v) : bottom + (v - y_lo_) / (y_hi_ - y_lo_) * (top - bottom);
    };
    svg.text(left, y0 + 14,
             panel.configurations > panel.rows.size()
                 ? panel.family + " (best " + std::to_string(panel.rows.size()) + " of " + std::to_string(panel.configurations) + ")"
                 : panel.family,
             {.size = 13, .bold = true});
    const Stroke grid{kGridColour, 1, ""}, axis{kAxisColour, 1, ""};
    const std::vector<double> y_ticks = ratio_ ? log_ticks(y_lo_, y_hi_) : linear_ticks(y_lo_, y_hi_);
    for (const double t : y_ticks) {
      svg.line(left, y(t), right, y(t), grid);
      svg.text(left - 7, y(t) + 3.5, ratio_ ? tick_label(t) : format_significant(t, 3), {.size = kSmallSize, .anchor = Anchor::end});
    }
    for (const double t : log_ticks(1.0, x_hi_)) {
      svg.line(x(t), top, x(t), bottom, grid);
      svg.line(x(t), bottom, x(t), bottom + 4, axis);
      svg.text(x(t), bottom + 16, t >= 1024 && std::fmod(t, 1024) == 0 ? format_length(static_cast<int64_t>(t)) : tick_label(t),
               {.size = kSmallSize, .anchor = Anchor::middle});
    }
    svg.line(left, top, left, bottom, axis);
    svg.line(left, bottom, right, bottom, axis);
    if (ratio_) svg.line(left, y(1.0), right, y(1.0), {kBaselineColour, 1.4, ""});
    svg.text(left + kPlotWidth / 2, bottom + 34, "position in the window (tokens)",
             {.size = kLabelSize, .anchor = Anchor::middle, .colour = kMutedText});
    svg.text(x0 + 14, top + kPlotHeight / 2, ratio_ ? "ratio to the baseline" : "mean NLL",
             {.size = kLabelSize, .anchor = Anchor::middle, .colour = kMutedText, .rotate = -90});
    if (s_.training_length) {
      const auto trained = static_cast<double>(s_.training_length->tokens);
      if (trained <= x.hi) {
        svg.line(x(trained), top, x(trained), bottom, {kTrainingColour, 1.4, "2 3"});
        svg.text(x(trained) - 4, top + 11, "trained: " + format_length(s_.training_length->tokens),
                 {.size = kSmallSize, .anchor = Anchor::end, .colour = kTrainingColour});
      } else {
        svg.text(right - 4, top + 11, "trained: " + format_length(s_.training_length->tokens) + " →",
                 {.size = kSmallSize, .anchor = Anchor::end, .colour = kTrainingColour});
      }
    }
    const auto plot = [&](const std::vector<std::pair<double, double>>& points, const Stroke& stroke, int shape,
                          const std::string& colour) {
      std::vector<std::pair<double, double>> px;
      for (const auto& [a, b] : points) px.emplace_back(x(a), y(b));
      svg.polyline(px, stroke);
      if (shape >= 0)
        for (const auto& [a, b] : px) svg.marker(shape, a, b, 2.4, colour);
    };
    double legend_y = bottom + kPlotBottom + 8;
    if (const RunRecord* base = baseline_run(panel)) {
      plot(curve(*base, nullptr), {kBaselineColour, 1.6, "5 3"}, -1, kBaselineColour);
      svg.line(left - 40, legend_y, left - 18, legend_y, {kBaselineColour, 1.6, "5 3"});
      svg.text(left - 12, legend_y + 3.5, "baseline, " + format_length(length_of(*base)) + " tokens", {.size = kSmallSize});
      legend_y += kLegendLine;
    }
    const std::size_t n = panel.rows.size();
    for (std::size_t i = 0; i < n; ++i) {
      const std::string colour = line_colour(i, n);
      plot(points_of(panel.rows[i]), {colour, 1.8, ""}, static_cast<int>(i), colour);
      const RunRecord* run = position_run(s_.rows[panel.rows[i]]);
      svg.line(left - 40, legend_y, left - 18, legend_y, {colour, 1.8, ""});
      svg.marker(static_cast<int>(i), left - 29, legend_y, 3.2, colour);
      svg.text(left - 12, legend_y + 3.5,
               s_.rows[panel.rows[i]].display_name(s_.several_quants) + ", " + format_length(length_of(*run)) + " tokens",
               {.size = kSmallSize});
      legend_y += kLegendLine;
    }
  }

  const Setting& s_;
  bool ratio_;
  std::vector<Panel> panels_;
  double y_lo_ = 0, y_hi_ = 1, x_hi_ = 2;
  int64_t max_length_ = 0;
  std::size_t columns_ = 1;
};

}  // namespace

bool has_position_data(const Setting& setting) {
  for (const ConfigurationRow& row : setting.rows)
    if (position_run(row)) return true;
  return false;
}

std::string nll_by_position_svg(const Setting& setting) {
  return PositionFigure(setting, false).draw("Loss by position in the window — " + setting.title);
}

std::string position_ratio_svg(const Setting& setting) {
  return PositionFigure(setting, true).draw("Loss by position, ratio to the baseline — " + setting.title);
}

}  // namespace rb::reports
