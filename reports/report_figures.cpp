// Perplexity versus context length: one panel per method family, shared log-log axes.
#include "reports/report_figures.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "reports/figure_parts.hpp"
#include "reports/plot_scales.hpp"
#include "reports/qroar_figure.hpp"
#include "reports/report_format.hpp"
#include "reports/report_ranking.hpp"
#include "reports/svg_document.hpp"

namespace rb::reports {

SettingFigures figure_names(const ReportData& data, std::size_t setting) {
  const std::string suffix = data.settings.size() > 1 ? "_" + std::to_string(setting + 1) : "";
  const Setting& s = data.settings[setting];
  SettingFigures names{"ppl_vs_length" + suffix + ".svg", "ppl_heatmap" + suffix + ".svg"};
  if (s.has_passkey) names.passkey_heatmap = "passkey_heatmap" + suffix + ".svg";
  const bool compared = !data.options.skip_baseline &&
                        std::any_of(s.rows.begin(), s.rows.end(), [](const ConfigurationRow& r) { return r.reference.has_value(); });
  if (compared) names.ratio_heatmap = "ratio_heatmap" + suffix + ".svg";
  if (std::any_of(s.rows.begin(), s.rows.end(), [](const ConfigurationRow& r) { return r.collapse.has_value(); }))
    names.collapse = "collapse" + suffix + ".svg";
  if (has_position_data(s)) {
    names.nll_by_position = "nll_by_position" + suffix + ".svg";
    if (compared) names.position_ratio = "position_ratio" + suffix + ".svg";
  }
  if (!qroar_diagnostics_of(s).empty()) names.qroar_diagnostics = "qroar_diagnostics" + suffix + ".svg";
  return names;
}

std::vector<std::size_t> win_rate_order(const Setting& setting) {
  std::vector<std::size_t> order(setting.rows.size(), setting.rows.size());
  std::size_t position = 0;
  for (const OverallRanking& o : setting.overall) order[o.row] = position++;
  return order;
}

std::vector<std::size_t> best_rows_of(const std::vector<std::size_t>& order, std::vector<std::size_t> rows, std::size_t most) {
  if (rows.size() <= most) return rows;
  std::stable_sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) { return order[a] < order[b]; });
  rows.resize(most);
  std::sort(rows.begin(), rows.end());  // back in table order, so colours follow the label
  return rows;
}

namespace {

using namespace figure;


struct Panel {
  std::string family;
  std::vector<std::size_t> rows;  // configurations drawn in colour
  std::size_t configurations = 0;  // of the family (more than rows when only the best are drawn)
};

// The y range every completed run (with its error bar) fits in.
std::pair<double, double> ppl_range(const Setting& s) {
  double lo = INFINITY, hi = 0;
  for (const ConfigurationRow& row : s.rows)
    for (const auto& [length, run] : row.runs) {
      if (cell_state(run) != CellState::completed) continue;
      const double se = run->ppl_stderr.value_or(0.0);
      const double low = *run->ppl - se > 0 ? *run->ppl - se : *run->ppl;
      lo = std::min(lo, low);
      hi = std::max(hi, *run->ppl + se);
    }
  if (hi == 0) return {1, 10};  // nothing completed: an empty frame
  return padded_log_range(lo, hi);
}

class LinesFigure {
 public:
  explicit LinesFigure(const Setting& s) : s_(s) {
    for (std::size_t i = 0; i < s.rows.size(); ++i) {
      if (s.rows[i].baseline) {
        baselines_.push_back(i);
        continue;
      }
      auto it = std::find_if(panels_.begin(), panels_.end(), [&](const Panel& p) { return p.family == s.rows[i].family; });
      if (it == panels_.end()) it = panels_.insert(panels_.end(), Panel{s.rows[i].family, {}});
      it->rows.push_back(i);
    }
    if (panels_.empty() && !baselines_.empty()) {  // only baseline configurations: draw them in colour
      panels_.push_back(Panel{s.rows[baselines_.front()].family, baselines_});
      baselines_.clear();
    }
    keep_best_of_each_panel(s);
    std::tie(y_.lo, y_.hi) = ppl_range(s);
    double x_lo = static_cast<double>(s.lengths.front()), x_hi = static_cast<double>(s.lengths.back());
    if (s.training_length) {
      // Within a factor of two of the lengths run, the axis stretches to show it; further away an
      // arrow at the edge points to it, so that the runs keep the width of the panel.
      const auto trained = static_cast<double>(s.training_length->tokens);
      training_in_axis_ = trained >= x_lo / 2 && trained <= x_hi * 2;
      if (training_in_axis_) {
        x_lo = std::min(x_lo, trained);
        x_hi = std::max(x_hi, trained);
      }
    }
    std::tie(x_.lo, x_.hi) = padded_log_range(x_lo, x_hi, 0.08);
    double widest = 0;
    for (const Panel& p : panels_)
      for (std::size_t r : p.rows) widest = std::max(widest, text_width(label_of(r), kSmallSize));
    for (std::size_t r : baselines_) widest = std::max(widest, text_width("baseline: " + label_of(r), kSmallSize));
    panel_width_ = std::max(kPlotLeft + kPlotWidth + kPlotRight, 40 + widest + 12);
    columns_ = std::min<std::size_t>(3, panels_.size());
  }

  // A family of many configurations is drawn as its best few (by the overall win rate of Top
  // configurations, paired comparisons), never as one panel with a long legend.
  void keep_best_of_each_panel(const Setting& s) {
    const bool any_large = std::any_of(panels_.begin(), panels_.end(), [](const Panel& p) { return p.rows.size() > kMostLines; });
    const std::vector<std::size_t> order = any_large ? win_rate_order(s) : std::vector<std::size_t>();
    for (Panel& p : panels_) {
      p.configurations = p.rows.size();
      p.rows = best_rows_of(order, std::move(p.rows), kMostLines);
    }
  }

  std::string draw(const std::string& title) {
    const double width = std::max(24 + panel_width_ * static_cast<double>(columns_), 24 + title_width(title));
    SvgDocument svg(width, 0, title);
    std::string subtitle = "Log-log axes; error bars: ± 1 standard error over windows; grey dashed: the baseline";
    if (s_.training_length) subtitle += "; red dotted: the model's training length";
    subtitle += "; × at the bottom: a failed run (no value). A family of more than " + std::to_string(kMostLines) +
                " configurations shows its best " + std::to_string(kMostLines) +
                " by overall win rate (Top configurations); the tables and heatmaps have them all.";
    double y = title_block(svg, 12, 8, width - 24, title, subtitle);
    for (std::size_t start = 0; start < panels_.size(); start += columns_) {
      double legend = 0;
      for (std::size_t k = start; k < std::min(panels_.size(), start + columns_); ++k) {
        legend = std::max(legend, kLegendLine * static_cast<double>(panels_[k].rows.size() + baselines_.size()));
        draw_panel(svg, panels_[k], 12 + panel_width_ * static_cast<double>(k - start), y);
      }
      y += kPlotTop + kPlotHeight + kPlotBottom + 8 + legend + 12;
    }
    svg.set_height(y);
    return svg.str();
  }

 private:
  std::string label_of(std::size_t row) const {
    return s_.rows[row].display_name(s_.several_quants);
  }

  void draw_panel(SvgDocument& svg, const Panel& panel, double x0, double y0) {
    const double left = x0 + kPlotLeft, top = y0 + kPlotTop;
    const double right = left + kPlotWidth, bottom = top + kPlotHeight;
    LogScale x = x_, y = y_;
    x.from = left;
    x.to = right;
    y.from = bottom;
    y.to = top;
    svg.text(left, y0 + 14,
             panel.configurations > panel.rows.size()
                 ? panel.family + " (best " + std::to_string(panel.rows.size()) + " of " +
                       std::to_string(panel.configurations) + ")"
                 : panel.family,
             {.size = 13, .bold = true});

    const Stroke grid{kGridColour, 1, ""}, axis{kAxisColour, 1, ""};
    for (const double t : log_ticks(y.lo, y.hi)) {
      svg.line(left, y(t), right, y(t), grid);
      svg.line(left - 4, y(t), left, y(t), axis);
      svg.text(left - 7, y(t) + 3.5, tick_label(t), {.size = kSmallSize, .anchor = Anchor::end});
    }
    for (const int64_t length : s_.lengths) {
      const double px = x(static_cast<double>(length));
      svg.line(px, top, px, bottom, grid);
      svg.line(px, bottom, px, bottom + 4, axis);
      svg.text(px, bottom + 16, format_length(length), {.size = kSmallSize, .anchor = Anchor::middle});
    }
    svg.line(left, top, left, bottom, axis);
    svg.line(left, bottom, right, bottom, axis);
    svg.text(left + kPlotWidth / 2, bottom + 34, "context length (tokens)",
             {.size = kLabelSize, .anchor = Anchor::middle, .colour = kMutedText});
    svg.text(x0 + 14, top + kPlotHeight / 2, "PPL",
             {.size = kLabelSize, .anchor = Anchor::middle, .colour = kMutedText, .rotate = -90});

    if (s_.training_length && training_in_axis_) {
      const double px = x(static_cast<double>(s_.training_length->tokens));
      svg.line(px, top, px, bottom, {kTrainingColour, 1.4, "2 3"});
      const bool label_left = px > left + kPlotWidth * 0.6;
      svg.text(label_left ? px - 4 : px + 4, top + 11, "trained: " + format_length(s_.training_length->tokens),
               {.size = kSmallSize, .anchor = label_left ? Anchor::end : Anchor::start, .colour = kTrainingColour});
    } else if (s_.training_length) {
      const bool beyond = static_cast<double>(s_.training_length->tokens) > x.hi;
      const std::string length = format_length(s_.training_length->tokens);
      svg.text(beyond ? right - 4 : left + 4, top + 11, beyond ? "trained: " + length + " →" : "← trained: " + length,
               {.size = kSmallSize, .anchor = beyond ? Anchor::end : Anchor::start, .colour = kTrainingColour});
    }

    for (std::size_t b : baselines_) draw_series(svg, b, x, y, kBaselineColour, -1, 0.0, true);
    const std::size_t n = panel.rows.size();
    const double dodge = n > 1 ? std::min(3.0, 14.0 / static_cast<double>(n - 1)) : 0.0;
    for (std::size_t i = 0; i < n; ++i)
      draw_series(svg, panel.rows[i], x, y, line_colour(i, n), static_cast<int>(i),
                  dodge * (static_cast<double>(i) - static_cast<double>(n - 1) / 2.0), false);

    // Legend below the plot.
    double ly = bottom + kPlotBottom + 8;
    for (std::size_t b : baselines_) {
      svg.line(left - 40, ly, left - 18, ly, {kBaselineColour, 1.6, "5 3"});
      svg.text(left - 12, ly + 3.5, "baseline: " + label_of(b), {.size = kSmallSize});
      ly += kLegendLine;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const std::string colour = line_colour(i, n);
      svg.line(left - 40, ly, left - 18, ly, {colour, 1.8, ""});
      svg.marker(static_cast<int>(i), left - 29, ly, 3.6, colour);
      svg.text(left - 12, ly + 3.5, label_of(panel.rows[i]), {.size = kSmallSize});
      ly += kLegendLine;
    }
  }

  void draw_series(SvgDocument& svg, std::size_t row_index, const LogScale& x, const LogScale& y,
                   const std::string& colour, int shape, double dodge, bool dashed) {
    const ConfigurationRow& row = s_.rows[row_index];
    const Stroke line{colour, dashed ? 1.6 : 1.8, dashed ? "5 3" : ""};
    const Stroke bar{colour, 1.1, ""};
    std::vector<std::pair<double, double>> segment;
    const auto flush = [&] {
      svg.polyline(segment, line);
      segment.clear();
    };
    for (const int64_t length : s_.lengths) {
      const RunRecord* run = row.run_at(length);
      const CellState state = cell_state(run);
      if (state != CellState::completed) {
        flush();  // never a line across a missing or failed run
        if (state == CellState::failed)
          svg.cross(x(static_cast<double>(length)) + dodge, y.from - 6, 4, {colour, 1.8, ""});
        continue;
      }
      segment.emplace_back(x(static_cast<double>(length)) + dodge, y(*run->ppl));
    }
    flush();
    for (const int64_t length : s_.lengths) {
      const RunRecord* run = row.run_at(length);
      if (cell_state(run) != CellState::completed) continue;
      const double px = x(static_cast<double>(length)) + dodge, py = y(*run->ppl);
      if (run->ppl_stderr && *run->ppl_stderr > 0) {
        const double hi = y(*run->ppl + *run->ppl_stderr);
        const double lo = *run->ppl - *run->ppl_stderr > y.lo ? y(*run->ppl - *run->ppl_stderr) : y.from;
        svg.line(px, lo, px, hi, bar);
        svg.line(px - 3, lo, px + 3, lo, bar);
        svg.line(px - 3, hi, px + 3, hi, bar);
      }
      if (shape >= 0)
        svg.marker(shape, px, py, 3.6, colour);
      else
        svg.marker(0, px, py, 2.6, colour);
    }
  }

  const Setting& s_;
  std::vector<Panel> panels_;
  std::vector<std::size_t> baselines_;
  LogScale x_, y_;
  double panel_width_ = 0;
  bool training_in_axis_ = false;
  std::size_t columns_ = 1;
};

}  // namespace

std::string ppl_lines_svg(const Setting& setting) {
  return LinesFigure(setting).draw("Perplexity versus context length — " + setting.title);
}

}  // namespace rb::reports
