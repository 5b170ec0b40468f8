// Perplexity and its standard error over windows (against hand computations), and the CRC-32 that
// guards journal records (against the standard check value).
#define BOOST_TEST_MODULE reports_statistics
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include "common/error.hpp"
#include "reports/crc32.hpp"
#include "reports/statistics.hpp"

namespace tt = boost::test_tools;
using rb::reports::perplexity_over_windows;

BOOST_AUTO_TEST_CASE(unequal_windows_by_hand) {
  // NLL = 3 + 8 = 11, N = 2 + 6 = 8, m = 1.375.
  // (n_i/N)^2 (m_i - m)^2: (2/8)^2 (1.5 - 1.375)^2 = 1/1024 and (6/8)^2 (8/6 - 1.375)^2 = 1/1024.
  // SE(m) = sqrt(2/1 * 2/1024) = 1/16.
  const std::vector<double> nll{3.0, 8.0};
  const std::vector<int64_t> n{2, 6};
  const auto e = perplexity_over_windows(nll, n);
  BOOST_TEST(e.nll_sum == 11.0);
  BOOST_TEST(e.predictions == 8);
  BOOST_TEST(e.windows == 2);
  BOOST_TEST(e.mean_nll == 1.375);
  BOOST_TEST(e.ppl == std::exp(1.375), tt::tolerance(1e-15));
  BOOST_REQUIRE(e.mean_nll_stderr.has_value());
  BOOST_TEST(*e.mean_nll_stderr == 0.0625, tt::tolerance(1e-14));
  BOOST_TEST(*e.ppl_stderr == std::exp(1.375) / 16.0, tt::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(equal_windows_by_hand) {
  // NLL = 31, N = 15, m = 31/15; residuals nll_i - m n_i = -1/3, 5/3, -4/3; squares sum to 14/3;
  // SE = sqrt(3/2 * 14/3) / 15 = sqrt(7) / 15 = 0.17638342073763938; ppl = exp(31/15) = 7.898451018707167.
  const std::vector<double> nll{10.0, 12.0, 9.0};
  const std::vector<int64_t> n{5, 5, 5};
  const auto e = perplexity_over_windows(nll, n);
  BOOST_TEST(e.ppl == 7.898451018707167, tt::tolerance(1e-14));
  BOOST_TEST(*e.mean_nll_stderr == std::sqrt(7.0) / 15.0, tt::tolerance(1e-14));
  BOOST_TEST(*e.ppl_stderr == 7.898451018707167 * 0.17638342073763938, tt::tolerance(1e-13));
}

BOOST_AUTO_TEST_CASE(one_window_has_no_standard_error) {
  const std::vector<double> nll{20.0};
  const std::vector<int64_t> n{10};
  const auto e = perplexity_over_windows(nll, n);
  BOOST_TEST(e.ppl == std::exp(2.0), tt::tolerance(1e-15));
  BOOST_TEST(!e.mean_nll_stderr.has_value());
  BOOST_TEST(!e.ppl_stderr.has_value());
}

BOOST_AUTO_TEST_CASE(windows_without_predictions_do_not_count) {
  const std::vector<double> nll{3.0, 0.0, 8.0};
  const std::vector<int64_t> n{2, 0, 6};
  const auto e = perplexity_over_windows(nll, n);
  BOOST_TEST(e.windows == 2);
  BOOST_TEST(*e.mean_nll_stderr == 0.0625, tt::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(bad_inputs_throw) {
  const std::vector<double> two{1.0, 2.0};
  const std::vector<int64_t> one{1};
  const std::vector<int64_t> zeros{0, 0};
  const std::vector<int64_t> negative{1, -1};
  BOOST_CHECK_THROW(perplexity_over_windows(two, one), rb::Error);
  BOOST_CHECK_THROW(perplexity_over_windows(two, zeros), rb::Error);
  BOOST_CHECK_THROW(perplexity_over_windows(two, negative), rb::Error);
  BOOST_CHECK_THROW(perplexity_over_windows({}, {}), rb::Error);
}

BOOST_AUTO_TEST_CASE(crc32_check_values) {
  BOOST_TEST(rb::reports::crc32("") == 0u);
  BOOST_TEST(rb::reports::crc32("123456789") == 0xCBF43926u);  // the CRC-32/ISO-HDLC check value
  BOOST_TEST(rb::reports::crc32("The quick brown fox jumps over the lazy dog") == 0x414FA339u);
  BOOST_TEST(rb::reports::crc32("56789", rb::reports::crc32("1234")) == 0xCBF43926u);
}
