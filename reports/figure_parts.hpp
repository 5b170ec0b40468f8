#pragma once
// Pieces shared by the report's figures: titles, colour bars, the "no value" legend.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "reports/svg_document.hpp"

namespace rb::reports::figure {

constexpr double kTitleSize = 15;
constexpr double kLabelSize = 11;
constexpr double kSmallSize = 10;
constexpr const char* kAxisColour = "#444444";
constexpr const char* kGridColour = "#e3e3e3";
constexpr const char* kMutedText = "#555555";

// One panel of the line figures (report_figures.cpp, report_position_figures.cpp): its plot area
// and margins in SVG units, legend line height, and the baseline's and trained length's colours.
constexpr double kPlotWidth = 300, kPlotHeight = 220;
constexpr double kPlotLeft = 58, kPlotTop = 26, kPlotBottom = 44, kPlotRight = 18;
constexpr double kLegendLine = 16;
constexpr const char* kBaselineColour = "#8c8c8c";
constexpr const char* kTrainingColour = "#b2182b";
constexpr std::size_t kMostLines = 5;  // configurations drawn per family panel, besides the baseline

// A title and an explanatory subtitle from (x, y), the subtitle wrapped at `width` pixels; returns
// the y below them.
double title_block(SvgDocument& svg, double x, double y, double width, const std::string& title,
                   const std::string& subtitle);

// Width of the title line (to size a figure so that it fits).
double title_width(const std::string& title);

// A vertical colour bar of `height` at (x, y) with its caption above: `colour(t)` for t from 0
// (bottom) to 1 (top), a tick at each (t, label).
void colour_bar(SvgDocument& svg, double x, double y, double height, const std::string& caption,
                const std::function<std::string(double)>& colour,
                const std::vector<std::pair<double, std::string>>& ticks);

// Swatches for "N/A: failed" (hatched) and "—: not in the sweep" (blank) at (x, y), one per line;
// returns the y below them.
double no_value_legend(SvgDocument& svg, double x, double y, const std::string& blank_meaning);

// Width of the colour bar with its tick labels and the no-value legend.
double colour_bar_width(const std::string& blank_meaning);

}  // namespace rb::reports::figure
