// The two heatmaps: PPL by configuration x length, and passkey accuracy by configuration x
// (length, depth).
#include <algorithm>
#include <cmath>
#include <map>

#include "reports/figure_parts.hpp"
#include "reports/plot_scales.hpp"
#include "reports/report_figures.hpp"
#include "reports/report_format.hpp"
#include "reports/report_metrics.hpp"
#include "reports/report_ranking.hpp"
#include "reports/svg_document.hpp"

namespace rb::reports {

namespace {

using namespace figure;

constexpr double kCellHeight = 20;
constexpr double kMargin = 12;
constexpr const char* kNotInSweep = "not in the sweep";
constexpr const char* kNotTried = "not run, or depth not tried";

std::string row_label(const Setting& s, const ConfigurationRow& row) {
  return row.display_name(s.several_quants) + (row.baseline ? " (baseline)" : "");
}

double label_column_width(const Setting& s) {
  double widest = 0;
  for (const ConfigurationRow& row : s.rows) widest = std::max(widest, text_width(row_label(s, row), kLabelSize));
  return widest + 14;
}

// A cell: value text on its colour, "N/A" hatched for a failed run, "—" blank when not run.
void value_cell(SvgDocument& svg, double x, double y, double w, CellState state, const std::string& fill,
                const std::string& text) {
  const Stroke border{"#ffffff", 1, ""};
  if (state == CellState::failed) {
    svg.hatched_rect(x, y, w, kCellHeight);
    svg.rect(x, y, w, kCellHeight, "none", &border);
    svg.text(x + w / 2, y + 14, "N/A", {.size = kSmallSize, .anchor = Anchor::middle, .colour = "#000000", .bold = true});
    return;
  }
  if (state == CellState::not_in_sweep || fill.empty()) {
    const Stroke light{"#e0e0e0", 1, ""};
    svg.rect(x + 0.5, y + 0.5, w - 1, kCellHeight - 1, "#ffffff", &light);
    svg.text(x + w / 2, y + 14, "—", {.size = kSmallSize, .anchor = Anchor::middle, .colour = "#9e9e9e"});
    return;
  }
  svg.rect(x, y, w, kCellHeight, fill, &border);
  svg.text(x + w / 2, y + 14, text, {.size = kSmallSize, .anchor = Anchor::middle, .colour = text_colour_on(fill)});
}

}  // namespace

std::string ppl_heatmap_svg(const Setting& s) {
  double lo = INFINITY, hi = 0;
  for (const ConfigurationRow& row : s.rows)
    for (const auto& [length, run] : row.runs)
      if (cell_state(run) == CellState::completed) {
        lo = std::min(lo, *run->ppl);
        hi = std::max(hi, *run->ppl);
      }
  const bool any = hi > 0;
  const auto position = [&](double ppl) {  // 0..1 on a log scale
    return hi > lo ? (std::log(ppl) - std::log(lo)) / (std::log(hi) - std::log(lo)) : 0.5;
  };

  const double cell_width = 64;
  const double label_width = label_column_width(s);
  const double grid_width = cell_width * static_cast<double>(s.lengths.size());
  const std::string title = "PPL by configuration and context length — " + s.title;
  const double width = std::max(kMargin * 2 + label_width + grid_width + 30 + colour_bar_width(kNotInSweep),
                                kMargin * 2 + title_width(title));
  const double grid_height = kCellHeight * static_cast<double>(s.rows.size());
  const double bar_height = std::clamp(grid_height, 120.0, 220.0);
  SvgDocument svg(width, 0, title);
  double y = title_block(svg, kMargin, 8, width - 2 * kMargin, title,
                         "Colour: PPL on a log scale (viridis); outlined: the lowest PPL at that length.");
  const double left = kMargin + label_width;
  svg.text(left + grid_width / 2, y + 8, "context length (tokens)",
           {.size = kLabelSize, .anchor = Anchor::middle, .colour = kMutedText});
  for (std::size_t c = 0; c < s.lengths.size(); ++c)
    svg.text(left + cell_width * (static_cast<double>(c) + 0.5), y + 28, format_length(s.lengths[c]),
             {.size = kLabelSize, .anchor = Anchor::middle, .bold = true});
  const double top = y + 36;

  std::map<int64_t, std::vector<std::size_t>> best;  // per length: rows with the lowest PPL
  for (const int64_t length : s.lengths) {
    const std::vector<std::size_t> ranked = rows_by_ppl(s, length);
    for (std::size_t r : ranked)
      if (*s.rows[r].run_at(length)->ppl == *s.rows[ranked.front()].run_at(length)->ppl) best[length].push_back(r);
  }
  for (std::size_t r = 0; r < s.rows.size(); ++r) {
    const ConfigurationRow& row = s.rows[r];
    const double ry = top + kCellHeight * static_cast<double>(r);
    svg.text(left - 8, ry + 14, row_label(s, row), {.size = kLabelSize, .anchor = Anchor::end, .bold = row.baseline});
    for (std::size_t c = 0; c < s.lengths.size(); ++c) {
      const RunRecord* run = row.run_at(s.lengths[c]);
      const CellState state = cell_state(run);
      const double cx = left + cell_width * static_cast<double>(c);
      if (state == CellState::completed)
        value_cell(svg, cx, ry, cell_width, state, viridis(position(*run->ppl)), format_significant(*run->ppl, 4));
      else
        value_cell(svg, cx, ry, cell_width, state, "", "");
    }
  }
  for (const auto& [length, rows] : best) {
    const auto c = static_cast<double>(std::find(s.lengths.begin(), s.lengths.end(), length) - s.lengths.begin());
    for (std::size_t r : rows) {  // black outside, white inside: visible on dark and light cells
      const Stroke outer{"#000000", 2, ""}, inner{"#ffffff", 1.2, ""};
      const double cx = left + cell_width * c, cy = top + kCellHeight * static_cast<double>(r);
      svg.rect(cx + 1, cy + 1, cell_width - 2, kCellHeight - 2, "none", &outer);
      svg.rect(cx + 2.6, cy + 2.6, cell_width - 5.2, kCellHeight - 5.2, "none", &inner);
    }
  }

  const double bar_x = left + grid_width + 30;
  if (any) {
    std::vector<std::pair<double, std::string>> ticks;
    const auto [tick_lo, tick_hi] = hi > lo ? std::make_pair(lo, hi) : padded_log_range(lo, hi);
    for (const double t : log_ticks(tick_lo, tick_hi))
      if (t >= lo && t <= hi) ticks.emplace_back(position(t), tick_label(t));
    if (ticks.empty() || hi == lo) ticks = {{position(lo), format_significant(lo, 4)}};
    colour_bar(svg, bar_x, top + 12, bar_height, "PPL", viridis, ticks);
  }
  const double legend_end = no_value_legend(svg, bar_x, top + bar_height + 30, kNotInSweep);
  svg.set_height(std::max(top + grid_height, legend_end) + kMargin);
  return svg.str();
}

std::string passkey_heatmap_svg(const Setting& s) {
  const std::vector<double> depths = passkey_depths(s);
  const double cell_width = 40;
  const double group_gap = 10;
  const double label_width = label_column_width(s);
  const double group_width = cell_width * static_cast<double>(std::max<std::size_t>(1, depths.size()));
  const double grid_width = (group_width + group_gap) * static_cast<double>(s.lengths.size()) - group_gap;
  const std::string title = "Passkey retrieval by configuration, length and depth — " + s.title;
  const double width = std::max(kMargin * 2 + label_width + grid_width + 30 + colour_bar_width(kNotTried),
                                kMargin * 2 + title_width(title));
  const double grid_height = kCellHeight * static_cast<double>(s.rows.size());
  const double bar_height = std::clamp(grid_height, 120.0, 220.0);
  SvgDocument svg(width, 0, title);
  double y = title_block(svg, kMargin, 8, width - 2 * kMargin, title,
                         "Cell: trials retrieved / trials at that depth (0 = key at the start, 1 = at the end); "
                         "colour: accuracy.");
  const double left = kMargin + label_width;
  svg.text(left + grid_width / 2, y + 8, "context length (tokens), then depth of the key",
           {.size = kLabelSize, .anchor = Anchor::middle, .colour = kMutedText});
  for (std::size_t g = 0; g < s.lengths.size(); ++g) {
    const double gx = left + (group_width + group_gap) * static_cast<double>(g);
    svg.text(gx + group_width / 2, y + 28, format_length(s.lengths[g]),
             {.size = kLabelSize, .anchor = Anchor::middle, .bold = true});
    svg.line(gx + 2, y + 32, gx + group_width - 2, y + 32, {kAxisColour, 0.8, ""});
    for (std::size_t d = 0; d < depths.size(); ++d)
      svg.text(gx + cell_width * (static_cast<double>(d) + 0.5), y + 46, format_depth(depths[d]),
               {.size = kSmallSize, .anchor = Anchor::middle, .colour = kMutedText});
  }
  const double top = y + 52;
  for (std::size_t r = 0; r < s.rows.size(); ++r) {
    const ConfigurationRow& row = s.rows[r];
    const double ry = top + kCellHeight * static_cast<double>(r);
    svg.text(left - 8, ry + 14, row_label(s, row), {.size = kLabelSize, .anchor = Anchor::end, .bold = row.baseline});
    for (std::size_t g = 0; g < s.lengths.size(); ++g) {
      const RunRecord* run = row.run_at(s.lengths[g]);
      const CellState state = cell_state(run);
      const auto tallies = state == CellState::completed ? passkey_by_depth(*run) : std::map<double, PasskeyTally>{};
      for (std::size_t d = 0; d < depths.size(); ++d) {
        const double cx = left + (group_width + group_gap) * static_cast<double>(g) + cell_width * static_cast<double>(d);
        const auto it = tallies.find(depths[d]);
        if (state != CellState::completed || it == tallies.end()) {
          value_cell(svg, cx, ry, cell_width, state, "", "");
          continue;
        }
        const PasskeyTally& t = it->second;
        value_cell(svg, cx, ry, cell_width, state, viridis(t.accuracy()),
                   std::to_string(t.retrieved) + "/" + std::to_string(t.trials));
      }
    }
  }
  const double bar_x = left + grid_width + 30;
  colour_bar(svg, bar_x, top + 12, bar_height, "accuracy", viridis,
             {{0.0, "0%"}, {0.25, "25%"}, {0.5, "50%"}, {0.75, "75%"}, {1.0, "100%"}});
  const double legend_end = no_value_legend(svg, bar_x, top + bar_height + 30, kNotTried);
  svg.set_height(std::max(top + grid_height, legend_end) + kMargin);
  return svg.str();
}

}  // namespace rb::reports
