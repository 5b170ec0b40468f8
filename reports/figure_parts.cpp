#include "reports/figure_parts.hpp"

#include <algorithm>

namespace rb::reports::figure {

double title_width(const std::string& title) { return text_width(title, kTitleSize) * 1.08; }  // bold

double title_block(SvgDocument& svg, double x, double y, double width, const std::string& title,
                   const std::string& subtitle) {
  svg.text(x, y + kTitleSize, title, {.size = kTitleSize, .bold = true});
  y += kTitleSize + 6;
  std::string line;
  const auto flush = [&] {
    svg.text(x, y + kSmallSize + 2, line, {.size = kSmallSize, .colour = kMutedText});
    y += kSmallSize + 5;
    line.clear();
  };
  std::size_t start = 0;
  while (start < subtitle.size()) {
    std::size_t end = subtitle.find(' ', start);
    if (end == std::string::npos) end = subtitle.size();
    const std::string word = subtitle.substr(start, end - start);
    if (!line.empty() && text_width(line + " " + word, kSmallSize) > width) flush();
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  if (!line.empty()) flush();
  return y + 8;
}

double colour_bar_width(const std::string& blank_meaning) {
  return std::max(90.0, 22 + text_width("—: " + blank_meaning, kSmallSize)) + 12;
}

void colour_bar(SvgDocument& svg, double x, double y, double height, const std::string& caption,
                const std::function<std::string(double)>& colour,
                const std::vector<std::pair<double, std::string>>& ticks) {
  constexpr double kWidth = 16;
  constexpr int kSteps = 64;
  svg.text(x, y - 8, caption, {.size = kLabelSize, .bold = true});
  for (int i = 0; i < kSteps; ++i) {
    const double t = (i + 0.5) / kSteps;
    const double top = y + height * (1.0 - static_cast<double>(i + 1) / kSteps);
    svg.rect(x, top, kWidth, height / kSteps + 0.5, colour(t));
  }
  const Stroke frame{kAxisColour, 0.8, ""};
  svg.rect(x, y, kWidth, height, "none", &frame);
  for (const auto& [t, label] : ticks) {
    const double ty = y + height * (1.0 - t);
    svg.line(x + kWidth, ty, x + kWidth + 4, ty, frame);
    svg.text(x + kWidth + 7, ty + 3.5, label, {.size = kSmallSize});
  }
}

double no_value_legend(SvgDocument& svg, double x, double y, const std::string& blank_meaning) {
  const Stroke border{"#bdbdbd", 0.8, ""};
  svg.hatched_rect(x, y, 16, 12);
  svg.rect(x, y, 16, 12, "none", &border);
  svg.text(x + 22, y + 10, "N/A: run failed", {.size = kSmallSize});
  y += 18;
  svg.rect(x, y, 16, 12, "#ffffff", &border);
  svg.text(x + 22, y + 10, "—: " + blank_meaning, {.size = kSmallSize});
  return y + 18;
}

}  // namespace rb::reports::figure
