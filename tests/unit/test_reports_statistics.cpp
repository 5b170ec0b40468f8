// Perplexity and its standard error over windows (against hand computations), and the CRC-32 that
// guards journal records (against the standard check value).
#define BOOST_TEST_MODULE reports_statistics
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <boost/math/distributions/students_t.hpp>

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

// ---- the paired comparison (docs/REPORT.md, "Paired comparison") ----

using rb::reports::paired_log_ratio;
using rb::reports::t_quantile_two_sided;

// The quantiles are tabulated for speed: each must be Boost's value for its dof, bit for bit, on
// both sides of the table's end.
BOOST_AUTO_TEST_CASE(tabulated_t_quantiles_are_boosts_values) {
  for (int64_t dof = 1; dof <= 1100; ++dof) {
    const boost::math::students_t dist(static_cast<double>(dof));
    const double direct = boost::math::quantile(boost::math::complement(dist, (1.0 - rb::reports::kIntervalLevel) / 2.0));
    BOOST_TEST(t_quantile_two_sided(dof) == direct, "dof " << dof);
  }
}

BOOST_AUTO_TEST_CASE(t_quantiles_match_closed_forms) {
  // One degree of freedom: tan(pi (p - 1/2)); two: (2p - 1) sqrt(2 / (4p(1 - p))); p = 0.975.
  BOOST_TEST(t_quantile_two_sided(1) == 12.706204736174696, tt::tolerance(1e-12));
  BOOST_TEST(t_quantile_two_sided(2) == 4.302652729749461, tt::tolerance(1e-12));
  BOOST_TEST(t_quantile_two_sided(1000000) == 1.959963984540054, tt::tolerance(1e-5));  // the normal's
  BOOST_CHECK_THROW(t_quantile_two_sided(0), rb::Error);
}

BOOST_AUTO_TEST_CASE(paired_equal_windows_by_hand) {
  // d_i = 1, 0.5, 1; N = 15; D = 2.5/15; residuals d_i - 5D = 1/6, -1/3, 1/6, squares 1/6;
  // SE = sqrt(3/2 * 1/6) / 15 = 0.5/15 (= s/sqrt(W) of the per-window mean differences 0.2, 0.1, 0.2);
  // 95%: exp(D -/+ 4.302652729749461 * SE) = 1.023517177431182, 1.3635456794079315.
  const std::vector<double> a{10.0, 12.0, 11.0}, b{9.0, 11.5, 10.0};
  const std::vector<int64_t> n{5, 5, 5};
  const auto p = paired_log_ratio(a, n, b, n);
  BOOST_REQUIRE(p.has_value());
  BOOST_TEST(p->windows == 3);
  BOOST_TEST(p->log_ratio == 2.5 / 15.0, tt::tolerance(1e-15));
  BOOST_TEST(*p->log_ratio_stderr == 0.5 / 15.0, tt::tolerance(1e-14));
  BOOST_TEST(*p->ci_low == 1.023517177431182, tt::tolerance(1e-13));
  BOOST_TEST(*p->ci_high == 1.3635456794079315, tt::tolerance(1e-13));
  BOOST_TEST(p->direction() == 1);  // excludes 1, above it: a higher PPL
  BOOST_TEST(p->ratio() == std::exp(2.5 / 15.0), tt::tolerance(1e-15));
  // The other way round: the reciprocal interval, below 1.
  const auto q = paired_log_ratio(b, n, a, n);
  BOOST_TEST(*q->ci_high == 1.0 / 1.023517177431182, tt::tolerance(1e-13));
  BOOST_TEST(q->direction() == -1);
}

BOOST_AUTO_TEST_CASE(paired_unequal_windows_and_an_interval_including_one) {
  // n = 2, 6; d = 1, -1; N = 8; D = 0; residuals 1, -1; SE = sqrt(2 * 2) / 8 = 0.25;
  // 95%: exp(-/+ 12.706204736174696 * 0.25).
  const std::vector<double> a{3.0, 8.0}, b{2.0, 9.0};
  const std::vector<int64_t> n{2, 6};
  const auto p = paired_log_ratio(a, n, b, n);
  BOOST_REQUIRE(p.has_value());
  BOOST_TEST(p->log_ratio == 0.0);
  BOOST_TEST(*p->log_ratio_stderr == 0.25, tt::tolerance(1e-15));
  BOOST_TEST(*p->ci_low == std::exp(-12.706204736174696 * 0.25), tt::tolerance(1e-12));
  BOOST_TEST(*p->ci_high == std::exp(12.706204736174696 * 0.25), tt::tolerance(1e-12));
  BOOST_TEST(p->direction() == 0);  // indistinguishable
}

BOOST_AUTO_TEST_CASE(paired_needs_the_same_windows) {
  const std::vector<double> a{3.0, 8.0}, b{2.0, 9.0}, one{4.0};
  const std::vector<int64_t> n{2, 6}, m{2, 5}, n1{3};
  BOOST_TEST(!paired_log_ratio(a, n, b, m).has_value());     // other predictions in a window
  BOOST_TEST(!paired_log_ratio(a, n, one, n1).has_value());  // another window count
  // One window: the ratio, but no interval, and no direction claimed.
  const auto p = paired_log_ratio(one, n1, std::vector<double>{3.0}, n1);
  BOOST_REQUIRE(p.has_value());
  BOOST_TEST(p->log_ratio == 1.0 / 3.0, tt::tolerance(1e-15));
  BOOST_TEST(!p->ci_low.has_value());
  BOOST_TEST(p->direction() == 0);
}

// ---- loss by position ----

#include "reports/position_buckets.hpp"

BOOST_AUTO_TEST_CASE(position_buckets_are_two_per_octave) {
  using rb::reports::position_bucket_starts;
  BOOST_TEST(position_bucket_starts(2) == std::vector<int64_t>({1}), tt::per_element());
  BOOST_TEST(position_bucket_starts(4) == std::vector<int64_t>({1, 2, 3}), tt::per_element());
  BOOST_TEST(position_bucket_starts(64) == std::vector<int64_t>({1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48}), tt::per_element());
  BOOST_TEST(position_bucket_starts(65) == std::vector<int64_t>({1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64}), tt::per_element());
  BOOST_TEST(position_bucket_starts(8192).size() == 25u);  // 1, 2, 3, ..., 4096, 6144
  rb::reports::PositionAccumulator acc(8);  // buckets [1,2) [2,3) [3,4) [4,6) [6,8)
  for (int64_t p = 1; p < 8; ++p) acc.add(p, static_cast<double>(p));
  BOOST_TEST(acc.nll_sums() == std::vector<double>({1, 2, 3, 9, 13}), tt::per_element());
  BOOST_TEST(acc.counts() == std::vector<int64_t>({1, 1, 1, 2, 2}), tt::per_element());
  BOOST_CHECK_THROW(acc.add(8, 1.0), rb::Error);
  BOOST_CHECK_THROW(acc.add(0, 1.0), rb::Error);
}
