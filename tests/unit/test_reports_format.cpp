// The report's number and text formatting: significant digits, signed percentages, lengths,
// natural order of labels, and escaping for Markdown, CSV and SVG.
#define BOOST_TEST_MODULE reports_format
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "reports/report_format.hpp"

using namespace rb::reports;

BOOST_AUTO_TEST_CASE(significant_digits_in_fixed_notation) {
  BOOST_TEST(format_significant(7.3494644, 4) == "7.349");
  BOOST_TEST(format_significant(11269.67, 4) == "11270");
  BOOST_TEST(format_significant(9.99996, 4) == "10.00");  // rounds up into the next decade
  BOOST_TEST(format_significant(0.0123456, 4) == "0.01235");
  BOOST_TEST(format_significant(1.0e6, 3) == "1000000");
  BOOST_TEST(format_significant(0.0, 3) == "0.00");
  BOOST_TEST(format_significant(INFINITY, 4) == "inf");
  BOOST_TEST(format_significant(NAN, 4) == "nan");
}

BOOST_AUTO_TEST_CASE(perplexity_with_its_standard_error) {
  BOOST_TEST(format_ppl(7.3494644, 0.0123) == "7.349 ± 0.012");
  BOOST_TEST(format_ppl(9469.14, 123.456) == "9469 ± 120");
  BOOST_TEST(format_ppl(7.3494644, std::nullopt) == "7.349");
}

BOOST_AUTO_TEST_CASE(signed_percentages) {
  BOOST_TEST(format_signed_percent(1.0123) == "+1.2%");
  BOOST_TEST(format_signed_percent(0.9) == "-10.0%");
  BOOST_TEST(format_signed_percent(6.234) == "+523.4%");
  BOOST_TEST(format_signed_percent(1.0004) == "+0.04%");   // small changes keep two decimals
  BOOST_TEST(format_signed_percent(0.9996) == "-0.04%");
  BOOST_TEST(format_signed_percent(1.0) == "+0.00%");
  BOOST_TEST(format_signed_percent(1.0 - 1e-9) == "+0.00%");  // no "-0.00%"
  BOOST_TEST(format_percent(0.875) == "87.5%");
}

BOOST_AUTO_TEST_CASE(lengths_and_depths) {
  BOOST_TEST(format_length(2048) == "2k");
  BOOST_TEST(format_length(1024) == "1k");
  BOOST_TEST(format_length(384) == "384");
  BOOST_TEST(format_length(49152) == "48k");
  BOOST_TEST(format_depth(0.0) == "0");
  BOOST_TEST(format_depth(0.25) == "0.25");
  BOOST_TEST(format_depth(1.0) == "1");
}

BOOST_AUTO_TEST_CASE(exact_numbers_read_back_as_the_same_double) {
  BOOST_TEST(format_exact(0.1) == "0.1");
  BOOST_TEST(format_exact(2.0) == "2");
  for (const double v : {7.349464412345678, 1e-300, 123456789.0123, 1.0 / 3.0})
    BOOST_TEST(std::strtod(format_exact(v).c_str(), nullptr) == v);
}

BOOST_AUTO_TEST_CASE(labels_sort_by_the_value_of_their_numbers) {
  std::vector<std::string> labels{"linear factor=16", "linear factor=2", "linear factor=4.5", "linear factor=1.25",
                                  "dynamic factor=2"};
  std::sort(labels.begin(), labels.end(), [](const std::string& a, const std::string& b) { return natural_less(a, b); });
  const std::vector<std::string> expected{"dynamic factor=2", "linear factor=1.25", "linear factor=2",
                                          "linear factor=4.5", "linear factor=16"};
  BOOST_TEST(labels == expected, boost::test_tools::per_element());
  BOOST_TEST(!natural_less("a", "a"));
  BOOST_TEST(natural_less("a", "ab"));
  BOOST_TEST(natural_less("f=2", "f=2.0") != natural_less("f=2.0", "f=2"));  // a total order
}

BOOST_AUTO_TEST_CASE(escaping) {
  BOOST_TEST(markdown_text("a|b *c* `d` [e]") == "a\\|b \\*c\\* \\`d\\` \\[e\\]");
  BOOST_TEST(markdown_text("line one\nline two") == "line one line two");
  BOOST_TEST(markdown_text("beta_fast=32") == "beta_fast=32");  // intra-word underscores are literal
  BOOST_TEST(csv_field("plain") == "plain");
  BOOST_TEST(csv_field("a,b") == "\"a,b\"");
  BOOST_TEST(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  BOOST_TEST(csv_field("two\nlines") == "\"two\nlines\"");
  BOOST_TEST(xml_text("a < b & \"c\" > d") == "a &lt; b &amp; &quot;c&quot; &gt; d");
}
