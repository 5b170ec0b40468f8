#include "reports/plot_scales.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>

namespace rb::reports {

double LogScale::operator()(double value) const {
  const double t = (std::log(value) - std::log(lo)) / (std::log(hi) - std::log(lo));
  return from + t * (to - from);
}

namespace {

// Into [smallest normal double, largest double]: the logarithm of any value plotted is finite.
double plottable(double v) {
  return std::isnan(v) ? 1.0 : std::clamp(v, std::numeric_limits<double>::min(), std::numeric_limits<double>::max());
}

}  // namespace

std::pair<double, double> padded_log_range(double lo, double hi, double margin) {
  lo = plottable(lo);
  hi = plottable(hi);
  if (!(hi > lo)) return {plottable(lo / 1.25), plottable(lo * 1.25)};
  const double width = std::log(hi) - std::log(lo);
  return {plottable(std::exp(std::log(lo) - margin * width)), plottable(std::exp(std::log(hi) + margin * width))};
}

namespace {

std::vector<double> multiples_in(double lo, double hi, const std::vector<double>& mantissas) {
  std::vector<double> ticks;
  if (!(lo > 0) || !(hi >= lo) || !std::isfinite(hi)) return ticks;  // no decade to count from
  const int first = static_cast<int>(std::floor(std::log10(lo))) - 1;
  const int last = static_cast<int>(std::ceil(std::log10(hi))) + 1;
  for (int e = first; e <= last; ++e)
    for (const double m : mantissas) {
      // Parse the decimal text so that 3e-1 is the double nearest 0.3, not 3 * 0.1.
      char text[32];
      std::snprintf(text, sizeof text, "%ge%d", m, e);
      const double v = std::strtod(text, nullptr);
      if (v >= lo && v <= hi) ticks.push_back(v);
    }
  std::sort(ticks.begin(), ticks.end());
  return ticks;
}

// Multiples of the largest round step (5, 2.5, 2 or 1 times a power of ten) that puts at least
// four of them inside [lo, hi].
std::vector<double> round_steps_in(double lo, double hi) {
  if (!(hi > lo) || !std::isfinite(hi - lo)) return {lo, hi};
  const double top = std::pow(10.0, std::floor(std::log10(hi - lo)));
  for (double power = top; power > top * 1e-3; power /= 10)
    for (const double m : {5.0, 2.5, 2.0, 1.0}) {
      const double step = m * power;
      std::vector<double> ticks;
      for (double k = std::ceil(lo / step); k * step <= hi; ++k) ticks.push_back(k * step);
      if (ticks.size() >= 4) return ticks;
    }
  return {lo, hi};
}

}  // namespace

std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> decades = multiples_in(lo, hi, {1});
  if (decades.size() >= 3) {
    std::size_t every = 1;
    while (decades.size() / every > 8) ++every;
    std::vector<double> thinned;
    for (std::size_t i = 0; i < decades.size(); i += every) thinned.push_back(decades[i]);
    return thinned;
  }
  for (const auto& mantissas : {std::vector<double>{1, 2, 5}, std::vector<double>{1, 2, 3, 5, 7},
                                std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
    std::vector<double> ticks = multiples_in(lo, hi, mantissas);
    if (ticks.size() >= 3) return ticks;
  }
  return round_steps_in(lo, hi);  // a narrow range: evenly spaced round values
}

std::string tick_label(double value) {
  char text[64];
  if (value < 1e5 || !std::isfinite(value)) {
    std::snprintf(text, sizeof text, "%.6g", value);
    return text;
  }
  static const std::array<const char*, 10> superscript = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
  const int exponent = static_cast<int>(std::floor(std::log10(value) + 1e-9));
  const double mantissa = value / std::pow(10.0, exponent);
  std::string power = "10";
  for (const char c : std::to_string(exponent)) power += superscript[static_cast<std::size_t>(c - '0')];
  if (std::fabs(mantissa - 1.0) < 1e-9) return power;
  std::snprintf(text, sizeof text, "%.3g", mantissa);
  return std::string(text) + "×" + power;
}

namespace {

struct Rgb {
  double r, g, b;
};

// matplotlib's viridis sampled at t = 0, 0.1, ..., 1 (van der Walt and Smith, 2015).
constexpr std::array<Rgb, 11> kViridis = {{{0x44, 0x01, 0x54},
                                           {0x48, 0x24, 0x75},
                                           {0x41, 0x44, 0x87},
                                           {0x35, 0x5f, 0x8d},
                                           {0x2a, 0x78, 0x8e},
                                           {0x21, 0x91, 0x8c},
                                           {0x22, 0xa8, 0x84},
                                           {0x44, 0xbf, 0x70},
                                           {0x7a, 0xd1, 0x51},
                                           {0xbd, 0xdf, 0x26},
                                           {0xfd, 0xe7, 0x25}}};

std::string hex(const Rgb& c) {
  char text[8];
  std::snprintf(text, sizeof text, "#%02x%02x%02x", static_cast<int>(std::lround(c.r)),
                static_cast<int>(std::lround(c.g)), static_cast<int>(std::lround(c.b)));
  return text;
}

}  // namespace

std::string viridis(double t) {
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
  const double position = t * 10.0;
  const auto i = std::min<std::size_t>(static_cast<std::size_t>(position), 9);
  const double f = position - static_cast<double>(i);
  const Rgb& a = kViridis[i];
  const Rgb& b = kViridis[i + 1];
  return hex({a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)});
}

std::string line_colour(std::size_t i, std::size_t n) {
  // Okabe & Ito (2008), "Color Universal Design"; yellow left out (too light for lines on white).
  static const std::array<const char*, 7> kOkabeIto = {"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                                       "#e69f00", "#56b4e9", "#000000"};
  if (n <= kOkabeIto.size()) return kOkabeIto[i % kOkabeIto.size()];
  return viridis(0.85 * static_cast<double>(i) / static_cast<double>(n - 1));
}

// ColorBrewer's RdBu (11 classes, reversed: blue below 1, red above), linear between its stops:
// a diverging scale centred on white, legible to colour-blind readers.
std::string diverging(double t) {
  static const int kStops[11][3] = {{5, 48, 97},    {33, 102, 172}, {67, 147, 195}, {146, 197, 222},
                                    {209, 229, 240}, {247, 247, 247}, {253, 219, 199}, {244, 165, 130},
                                    {214, 96, 77},   {178, 24, 43},  {103, 0, 31}};
  const double x = std::clamp(t, 0.0, 1.0) * 10.0;
  const int i = std::min(9, static_cast<int>(x));
  const double f = x - i;
  char text[8];
  int rgb[3];
  for (int c = 0; c < 3; ++c) rgb[c] = static_cast<int>(std::lround(kStops[i][c] + f * (kStops[i + 1][c] - kStops[i][c])));
  std::snprintf(text, sizeof text, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  return text;
}

std::string text_colour_on(const std::string& background) {
  unsigned r = 0, g = 0, b = 0;
  std::sscanf(background.c_str(), "#%02x%02x%02x", &r, &g, &b);
  // Relative luminance (WCAG 2), from sRGB.
  const auto linear = [](unsigned c) {
    const double s = c / 255.0;
    return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  };
  const double luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  // Contrast with white vs with black: pick the larger.
  return (1.05 / (luminance + 0.05)) > ((luminance + 0.05) / 0.05) ? "#ffffff" : "#000000";
}

}  // namespace rb::reports
