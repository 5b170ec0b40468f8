// LongPPL (Fang et al. 2024): key-token selection, the metric, and the short-context windows of
// the reference implementation (longppl.py, find_key_token).
#define BOOST_TEST_MODULE datasets_longppl
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "common/error.hpp"
#include "datasets/longppl.hpp"

using namespace rb::data;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

BOOST_AUTO_TEST_CASE(defaults_are_the_papers) {
  const LongPplOptions o;
  BOOST_TEST(o.alpha == 2.0);
  BOOST_TEST(o.beta == -2.0);
  BOOST_TEST(o.short_length == 4096u);
  BOOST_TEST(o.short_stride == 1024u);
}

BOOST_AUTO_TEST_CASE(key_tokens_by_hand) {
  //                         k:  0     1     2     3     4     5     6
  const std::vector<double> lo{-0.1, -1.0, -3.0, -0.5, -1.9, -1.0, -2.0};
  const std::vector<double> sh{kNaN, -4.0, -6.0, -2.4, -4.0, -3.0, -4.5};
  // k=0 no short score; k=1 LSD 3, LCL -1: key; k=2 LCL -3: no; k=3 LSD 1.9: no; k=4 LSD 2.1,
  // LCL -1.9: key; k=5 LSD exactly 2: no (strict); k=6 LCL exactly -2: no (strict).
  const std::vector<std::size_t> key = select_key_tokens(lo, sh);
  BOOST_TEST(key == (std::vector<std::size_t>{1, 4}), boost::test_tools::per_element());

  LongPplOptions loose;
  loose.alpha = 1.0;
  loose.beta = -5.0;
  BOOST_TEST(select_key_tokens(lo, sh, loose) == (std::vector<std::size_t>{1, 2, 3, 4, 5, 6}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(selection_errors) {
  const std::vector<double> a{-1, -2};
  const std::vector<double> b{-1};
  BOOST_CHECK_THROW(select_key_tokens(a, b), rb::InputError);
  const std::vector<double> nan_long{-1, kNaN};
  BOOST_CHECK_THROW(select_key_tokens(nan_long, a), rb::InputError);
  BOOST_TEST(select_key_tokens(std::vector<double>{}, std::vector<double>{}).empty());
}

BOOST_AUTO_TEST_CASE(metric) {
  const std::vector<double> logp{-1.0, -2.0, -3.0, -6.0};
  const std::vector<std::size_t> key{1, 2};
  const LongPplResult r = compute_longppl(logp, key);
  BOOST_REQUIRE(r.longppl.has_value());
  BOOST_TEST(*r.longppl == std::exp(2.5), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r.ppl == std::exp(3.0), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r.key_tokens == 2u);
  BOOST_TEST(r.predictions == 4u);

  const LongPplResult none = compute_longppl(logp, std::vector<std::size_t>{});
  BOOST_TEST(!none.longppl.has_value());
  BOOST_TEST(none.ppl == std::exp(3.0), boost::test_tools::tolerance(1e-12));

  BOOST_CHECK_THROW(compute_longppl(logp, std::vector<std::size_t>{4}), rb::InputError);
  BOOST_CHECK_THROW(compute_longppl(std::vector<double>{}, std::vector<std::size_t>{}), rb::InputError);
  BOOST_CHECK_THROW(compute_longppl(std::vector<double>{-1, kNaN}, std::vector<std::size_t>{}), rb::InputError);
}

BOOST_AUTO_TEST_CASE(short_windows_by_hand) {
  LongPplOptions o;
  o.short_length = 4;
  o.short_stride = 2;
  // N = 10: starts 0, 2, 4 (start < N - 4); windows [0,6), [2,8), [4,10); targets 4..9.
  const std::vector<Window> w = short_context_windows(10, o);
  BOOST_REQUIRE(w.size() == 3u);
  BOOST_TEST((w[0] == Window{0, 0, 6, 3}));
  BOOST_TEST((w[1] == Window{0, 2, 6, 3}));
  BOOST_TEST((w[2] == Window{0, 4, 6, 3}));
  // N = 9: the last window is cut at the end: [4, 9).
  const std::vector<Window> cut = short_context_windows(9, o);
  BOOST_REQUIRE(cut.size() == 3u);
  BOOST_TEST((cut[2] == Window{0, 4, 5, 3}));
  BOOST_TEST(short_context_windows(4, o).empty());
  BOOST_TEST(short_context_windows(0, o).empty());
}

BOOST_AUTO_TEST_CASE(short_windows_score_each_late_token_once_with_bounded_context) {
  for (std::size_t n = 0; n <= 40; ++n) {
    for (std::size_t len = 1; len <= 8; ++len) {
      for (std::size_t stride = 1; stride <= 6; ++stride) {
        LongPplOptions o;
        o.short_length = len;
        o.short_stride = stride;
        std::map<std::size_t, int> count;
        for (const Window& w : short_context_windows(n, o)) {
          BOOST_TEST(w.start + w.length <= n);
          for (std::size_t t = w.score_from; t + 1 < w.length; ++t) {
            const std::size_t target = w.start + t + 1;
            ++count[target];
            const std::size_t context = target - w.start;  // tokens before the target in the window
            BOOST_TEST(context >= len);
            BOOST_TEST(context <= len + stride - 1);
          }
        }
        const std::size_t expected = n > len ? n - len : 0;
        BOOST_TEST(count.size() == expected, "n=" << n << " len=" << len << " stride=" << stride);
        for (const auto& [target, c] : count) {
          BOOST_TEST(c == 1);
          BOOST_TEST(target >= len);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(short_window_option_errors) {
  LongPplOptions o;
  o.short_length = 0;
  BOOST_CHECK_THROW(short_context_windows(10, o), rb::InputError);
  o = LongPplOptions{};
  o.short_stride = 0;
  BOOST_CHECK_THROW(short_context_windows(10, o), rb::InputError);
}
