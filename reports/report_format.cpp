#include "reports/report_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace rb::reports {

namespace {

std::string non_finite(double value) {
  if (std::isnan(value)) return "nan";
  return value > 0 ? "inf" : "-inf";
}

std::string printf_fixed(double value, int decimals) {
  char text[512];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

}  // namespace

std::string format_significant(double value, int digits) {
  if (!std::isfinite(value)) return non_finite(value);
  if (value == 0.0) return printf_fixed(0.0, std::max(0, digits - 1));
  // Round to `digits` significant digits first, so 9.9996 becomes 10.00 and not 10.000.
  char scientific[64];
  std::snprintf(scientific, sizeof scientific, "%.*e", digits - 1, value);
  const double rounded = std::strtod(scientific, nullptr);
  const int exponent = static_cast<int>(std::floor(std::log10(std::fabs(rounded))));
  const int decimals = std::max(0, digits - 1 - exponent);
  return printf_fixed(rounded, decimals);
}

std::string format_ppl(double ppl, const std::optional<double>& stderr_) {
  std::string text = format_significant(ppl, 4);
  if (stderr_) text += " ± " + format_significant(*stderr_, 2);
  return text;
}

std::string format_signed_percent(double ratio) {
  if (!std::isfinite(ratio)) return non_finite(ratio);
  const double percent = (ratio - 1.0) * 100.0;
  const int decimals = std::fabs(percent) < 0.095 ? 2 : 1;
  std::string text = printf_fixed(percent, decimals);
  if (text.front() != '-') text.insert(text.begin(), '+');
  if (text == "-0.00") text = "+0.00";
  return text + "%";
}

std::string format_ratio_interval(double low, double high) {
  return "[" + format_signed_percent(low) + ", " + format_signed_percent(high) + "]";
}

std::string format_percent(double fraction) { return printf_fixed(fraction * 100.0, 1) + "%"; }

std::string format_exact(double value) {
  if (!std::isfinite(value)) return non_finite(value);
  char text[64];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

std::string format_length(int64_t tokens) {
  if (tokens > 0 && tokens % 1024 == 0) return std::to_string(tokens / 1024) + "k";
  return std::to_string(tokens);
}

std::string format_depth(double depth) {
  char text[64];
  std::snprintf(text, sizeof text, "%g", depth);
  return text;
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The number starting at text[i] (digits, optionally one '.' followed by digits); advances i.
double read_number(std::string_view text, std::size_t& i) {
  const std::size_t start = i;
  while (i < text.size() && is_digit(text[i])) ++i;
  if (i + 1 < text.size() && text[i] == '.' && is_digit(text[i + 1])) {
    ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
  }
  return std::strtod(std::string(text.substr(start, i - start)).c_str(), nullptr);
}

}  // namespace

bool natural_less(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (is_digit(a[i]) && is_digit(b[j])) {
      const double x = read_number(a, i);
      const double y = read_number(b, j);
      if (x != y) return x < y;
      continue;
    }
    if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
    ++i;
    ++j;
  }
  if ((a.size() - i) != (b.size() - j)) return (a.size() - i) < (b.size() - j);
  return a < b;  // equal by value ("2" and "2.0"): fall back to the bytes, for a total order
}

std::string markdown_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\': case '`': case '*': case '|': case '<': case '>': case '[': case ']':
        out += '\\';
        out += c;
        break;
      case '\r': break;
      case '\n': out += ' '; break;
      default: out += c;
    }
  }
  return out;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string xml_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace rb::reports
