#pragma once
// Pieces shared by the report's figures: titles, colour bars, the "no value" legend.
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
