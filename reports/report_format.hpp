#pragma once
// How the report writes numbers and text. Every function is a pure function of its arguments, so the
// same results give the same bytes (docs/REPORT.md, "Number formatting").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rb::reports {

// `value` rounded to `digits` significant digits in fixed notation: 7.3494 -> "7.349",
// 11269.7 -> "11270", 0.012345 -> "0.01235". Non-finite values give "inf", "-inf", "nan".
std::string format_significant(double value, int digits);

// Perplexity with its standard error: "7.349 ± 0.012" (4 and 2 significant digits);
// without a standard error just the perplexity.
std::string format_ppl(double ppl, const std::optional<double>& stderr_);

// A ratio as a signed percentage change: 1.0123 -> "+1.2%", 0.9 -> "-10.0%"; changes under
// 0.1% keep two decimals ("-0.04%").
std::string format_signed_percent(double ratio);

// A 95% interval on a ratio as signed percentages: (1.008, 1.016) -> "[+0.8%, +1.6%]".
std::string format_ratio_interval(double low, double high);

// A fraction as a percentage with one decimal: 0.875 -> "87.5%".
std::string format_percent(double fraction);

// The shortest text that reads back as the same double ("0.1", "7.349464412", "1e+300").
std::string format_exact(double value);

// A context length: multiples of 1024 as "Nk" (2048 -> "2k"), others as the number ("384").
std::string format_length(int64_t tokens);

// A passkey depth: "0", "0.25", "1".
std::string format_depth(double depth);

// Orders text with embedded numbers by their value: "factor=2" < "factor=16", "f=1.5" < "f=2".
bool natural_less(std::string_view a, std::string_view b);

// Text for a Markdown table cell or paragraph: Markdown's active characters escaped, line breaks
// turned into spaces.
std::string markdown_text(std::string_view text);

// One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF; quotes doubled.
std::string csv_field(std::string_view text);

// Text for SVG content or an attribute value: & < > " escaped.
std::string xml_text(std::string_view text);

}  // namespace rb::reports
