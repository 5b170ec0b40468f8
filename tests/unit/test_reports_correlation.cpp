// Pearson and Spearman correlation against values worked out by hand, with ties and the cases
// where a coefficient is undefined.
#define BOOST_TEST_MODULE reports_correlation
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include "common/error.hpp"
#include "reports/correlation.hpp"

using namespace rb::reports;

BOOST_AUTO_TEST_CASE(ties_share_the_average_of_their_ranks) {
  const std::vector<double> values{20, 10, 30, 20};
  const std::vector<double> expected{2.5, 1, 4, 2.5};
  BOOST_TEST(average_ranks(values) == expected, boost::test_tools::per_element());
  const std::vector<double> all_equal{5, 5, 5};
  const std::vector<double> middle{2, 2, 2};
  BOOST_TEST(average_ranks(all_equal) == middle, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(pearson_matches_the_hand_computation) {
  // x̄ = 3, ȳ = 4; Σdx·dy = 6, Σdx² = 10, Σdy² = 6: r = 6 / sqrt(60).
  const std::vector<double> x{1, 2, 3, 4, 5}, y{2, 4, 5, 4, 5};
  BOOST_TEST(*pearson(x, y) == 6.0 / std::sqrt(60.0), boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(spearman_uses_average_ranks_for_ties) {
  // Ranks of y = {2, 4, 5, 4, 5}: {1, 2.5, 4.5, 2.5, 4.5}; against 1..5: Σdx·dy = 7, Σdx² = 10,
  // Σdy² = 9: rho = 7 / sqrt(90) (the no-ties formula 1 - 6Σd²/(n(n²-1)) would give 0.75).
  const std::vector<double> x{1, 2, 3, 4, 5}, y{2, 4, 5, 4, 5};
  BOOST_TEST(*spearman(x, y) == 7.0 / std::sqrt(90.0), boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(spearman_sees_any_monotone_relation_pearson_only_a_linear_one) {
  const std::vector<double> x{1, 2, 3, 4}, cubes{1, 8, 27, 64}, falling{64, 27, 8, 1};
  BOOST_TEST(*spearman(x, cubes) == 1.0);
  BOOST_TEST(*spearman(x, falling) == -1.0);
  BOOST_TEST(*pearson(x, cubes) < 0.99);
  BOOST_TEST(*pearson(x, cubes) > 0.9);
  const std::vector<double> line{3, 5, 7, 9};  // y = 2x + 1
  BOOST_TEST(*pearson(x, line) == 1.0, boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(undefined_with_fewer_than_three_pairs_or_a_constant) {
  const std::vector<double> two{1, 2}, other_two{3, 1};
  BOOST_TEST(!pearson(two, other_two).has_value());
  BOOST_TEST(!spearman(two, other_two).has_value());
  // 0.1 three times: its mean is not exactly 0.1, yet the variable is constant.
  const std::vector<double> x{1, 2, 3}, constant{0.1, 0.1, 0.1};
  BOOST_TEST(!pearson(x, constant).has_value());
  BOOST_TEST(!spearman(constant, x).has_value());
}

BOOST_AUTO_TEST_CASE(samples_of_different_sizes_are_an_error) {
  const std::vector<double> x{1, 2, 3}, y{1, 2};
  BOOST_CHECK_THROW(pearson(x, y), rb::Error);
  BOOST_CHECK_THROW(spearman(x, y), rb::Error);
}
