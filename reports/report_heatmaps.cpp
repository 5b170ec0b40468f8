// The heatmaps: PPL by configuration x length, its ratio to the baseline, passkey accuracy by
// configuration x (length, depth); and the collapse ratio per configuration.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>
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

// The caption and one label per length above a heatmap's columns; returns the y of the first row.
double length_header(SvgDocument& svg, double left, double y, double cell_width, const std::vector<int64_t>& lengths) {
  svg.text(left + cell_width * static_cast<double>(lengths.size()) / 2, y + 8, "context length (tokens)",
           {.size = kLabelSize, .anchor = Anchor::middle, .colour = kMutedText});
  for (std::size_t c = 0; c < lengths.size(); ++c)
    svg.text(left + cell_width * (static_cast<double>(c) + 0.5), y + 28, format_length(lengths[c]),
             {.size = kLabelSize, .anchor = Anchor::middle, .bold = true});
  return y + 36;
}

// A configurations x lengths heatmap begun: the document sized for `rows` rows of `cell_width`
// columns with the colour bar, its title block and the length header.
struct LengthHeatmap {
  SvgDocument svg;
  double left, top, grid_width, grid_height, bar_height;
};

LengthHeatmap start_length_heatmap(const Setting& s, double cell_width, std::size_t rows, const std::string& title,
                                   const std::string& subtitle) {
  const double label_width = label_column_width(s);
  const double grid_width = cell_width * static_cast<double>(s.lengths.size());
  const double width = std::max(kMargin * 2 + label_width + grid_width + 30 + colour_bar_width(kNotInSweep),
                                kMargin * 2 + title_width(title));
  const double grid_height = kCellHeight * static_cast<double>(rows);
  LengthHeatmap h{SvgDocument(width, 0, title), kMargin + label_width, 0, grid_width, grid_height,
                  std::clamp(grid_height, 120.0, 220.0)};
  const double y = title_block(h.svg, kMargin, 8, width - 2 * kMargin, title, subtitle);
  h.top = length_header(h.svg, h.left, y, cell_width, s.lengths);
  return h;
}

}  // namespace

std::string ratio_heatmap_svg(const Setting& s) {
  double reach = std::log(1.01);  // the colour scale's half width in ln(ratio), at least 1%
  for (const ConfigurationRow& row : s.rows)
    for (const int64_t length : s.lengths)
      if (const auto r = s.ratio_to_reference(row, length)) reach = std::max(reach, std::fabs(std::log(*r)));
  const auto position = [&](double ratio) { return 0.5 + std::log(ratio) / (2 * reach); };
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < s.rows.size(); ++i)
    if (!s.rows[i].baseline) rows.push_back(i);

  const double cell_width = 72;
  LengthHeatmap h = start_length_heatmap(
      s, cell_width, rows.size(), "PPL ÷ the baseline's PPL by configuration and context length — " + s.title,
      "Colour: the ratio on a log scale centred at 1 (white; blue: lower PPL than the baseline, red: higher); ≈: the "
      "paired 95% interval includes 1 (indistinguishable from the baseline).");
  SvgDocument& svg = h.svg;
  const double left = h.left, top = h.top, grid_width = h.grid_width, grid_height = h.grid_height,
               bar_height = h.bar_height;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const ConfigurationRow& row = s.rows[rows[k]];
    const double ry = top + kCellHeight * static_cast<double>(k);
    svg.text(left - 8, ry + 14, row_label(s, row), {.size = kLabelSize, .anchor = Anchor::end});
    for (std::size_t c = 0; c < s.lengths.size(); ++c) {
      const int64_t length = s.lengths[c];
      const double cx = left + cell_width * static_cast<double>(c);
      const CellState state = s.ratio_state(row, length);
      if (state != CellState::completed) {
        value_cell(svg, cx, ry, cell_width, state, "", "");
        continue;
      }
      const double r = *s.ratio_to_reference(row, length);
      const auto p = s.paired_to_reference(row, length);
      const bool same = !p || p->direction() == 0;
      value_cell(svg, cx, ry, cell_width, state, diverging(position(r)), (same ? "≈ " : "") + format_signed_percent(r));
    }
  }
  const double bar_x = left + grid_width + 30;
  std::vector<std::pair<double, std::string>> ticks;
  for (const double t : {-1.0, -0.5, 0.0, 0.5, 1.0}) {
    const double ratio = std::exp(t * reach);
    ticks.emplace_back(0.5 + t / 2, t == 0.0 ? "1" : format_significant(ratio, 3));
  }
  colour_bar(svg, bar_x, top + 12, bar_height, "ratio", diverging, ticks);
  const double legend_end = no_value_legend(svg, bar_x, top + bar_height + 30, kNotInSweep);
  svg.set_height(std::max(top + grid_height, legend_end) + kMargin);
  return svg.str();
}

std::string collapse_svg(const Setting& s) {
  std::vector<std::size_t> rows;
  double lo = 1.0, hi = 1.0;
  for (std::size_t i = 0; i < s.rows.size(); ++i)
    if (const auto& c = s.rows[i].collapse) {
      rows.push_back(i);
      lo = std::min(lo, c->ratio);
      hi = std::max(hi, c->ratio);
    }
  std::tie(lo, hi) = padded_log_range(lo, hi, 0.08);
  const double label_width = label_column_width(s);
  const double plot_width = 360;
  const std::string title = "Collapse ratio by configuration — " + s.title;
  const double width = std::max(kMargin * 2 + label_width + plot_width + 90, kMargin * 2 + title_width(title));
  SvgDocument svg(width, 0, title);
  double y = title_block(svg, kMargin, 8, width - 2 * kMargin, title,
                         "PPL at the configuration's longest completed length ÷ PPL at its shortest (lengths in "
                         "brackets), on a log axis; 1 = no change with length; red: PPL rises, blue: it falls.");
  const double left = kMargin + label_width;
  LogScale x{lo, hi, left, left + plot_width};
  const double top = y + 8;
  const double bottom = top + kCellHeight * static_cast<double>(rows.size());
  const Stroke grid{kGridColour, 1, ""}, axis{kAxisColour, 1, ""};
  for (const double t : log_ticks(lo, hi)) {
    svg.line(x(t), top, x(t), bottom, grid);
    svg.text(x(t), bottom + 16, tick_label(t), {.size = kSmallSize, .anchor = Anchor::middle});
  }
  svg.line(x(1.0), top - 4, x(1.0), bottom, axis);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const ConfigurationRow& row = s.rows[rows[k]];
    const CollapseRatio& c = *row.collapse;
    const double ry = top + kCellHeight * static_cast<double>(k);
    svg.text(left - 8, ry + 14, row_label(s, row), {.size = kLabelSize, .anchor = Anchor::end, .bold = row.baseline});
    const double x0 = std::min(x(1.0), x(c.ratio)), x1 = std::max(x(1.0), x(c.ratio));
    svg.rect(x0, ry + 4, std::max(1.0, x1 - x0), kCellHeight - 8, c.ratio > 1.0 ? diverging(0.85) : diverging(0.15));
    svg.text(x1 + 4, ry + 14,
             format_significant(c.ratio, 3) + " (" + format_length(c.from) + "→" + format_length(c.to) + ")",
             {.size = kSmallSize, .colour = kMutedText});
  }
  svg.text(left + plot_width / 2, bottom + 34, "collapse ratio", {.size = kLabelSize, .anchor = Anchor::middle, .colour = kMutedText});
  svg.set_height(bottom + 44 + kMargin);
  return svg.str();
}

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
  LengthHeatmap h = start_length_heatmap(s, cell_width, s.rows.size(), "PPL by configuration and context length — " + s.title,
                                         "Colour: PPL on a log scale (viridis); outlined: the lowest PPL at that length and "
                                         "those indistinguishable from it (paired 95% interval including 1).");
  SvgDocument& svg = h.svg;
  const double left = h.left, top = h.top, grid_width = h.grid_width, grid_height = h.grid_height,
               bar_height = h.bar_height;

  std::map<int64_t, std::vector<std::size_t>> best;  // per length: the rows ranked first (ties included)
  for (const int64_t length : s.lengths)
    for (const RankedRow& r : ranks_with_ties(s, length, rows_by_ppl(s, length)))
      if (r.rank == 1) best[length].push_back(r.row);
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
