// Window planning: non-overlapping and sliding (Hugging Face "Perplexity of fixed-length models"
// recipe restricted to full windows), per document and concatenated.
#define BOOST_TEST_MODULE datasets_windows
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <map>
#include <ostream>
#include <vector>

#include "common/error.hpp"
#include "datasets/windows.hpp"

using rb::data::plan_windows;
using rb::data::Window;
using rb::data::WindowOptions;
using rb::data::WindowPlan;

namespace rb::data {
// For Boost.Test's messages.
std::ostream& operator<<(std::ostream& os, const Window& w) {
  return os << "{doc " << w.document << ", start " << w.start << ", length " << w.length << ", score_from "
            << w.score_from << "}";
}
}  // namespace rb::data

namespace {

WindowPlan plan(std::vector<std::size_t> lengths, WindowOptions options) {
  return plan_windows(std::span<const std::size_t>(lengths), options);
}

WindowOptions opts(std::size_t length, std::optional<std::size_t> stride = std::nullopt, bool per_document = false) {
  WindowOptions o;
  o.length = length;
  o.stride = stride;
  o.per_document = per_document;
  return o;
}

// How many times each (stream, token position) is scored as a target.
std::map<std::pair<std::size_t, std::size_t>, int> target_counts(const WindowPlan& p) {
  std::map<std::pair<std::size_t, std::size_t>, int> counts;
  for (const Window& w : p.windows) {
    for (std::size_t t = w.score_from; t + 1 < w.length; ++t) ++counts[{w.document, w.start + t + 1}];
  }
  return counts;
}

}  // namespace

BOOST_AUTO_TEST_CASE(non_overlapping_by_hand) {
  // N = 10, L = 4: windows at 0 and 4 (8..9 is not a full window), 3 predictions each.
  const WindowPlan p = plan({10}, opts(4));
  const std::vector<Window> expected{{0, 0, 4, 0}, {0, 4, 4, 0}};
  BOOST_TEST(p.windows == expected, boost::test_tools::per_element());
  BOOST_TEST(p.scored_predictions == 6u);
  BOOST_TEST(p.skipped_streams == 0u);
  BOOST_TEST(!p.truncated_by_max_windows);
}

BOOST_AUTO_TEST_CASE(sliding_by_hand) {
  // N = 10, L = 4, S = 2: starts 0, 2, 4, 6 (start + 4 <= 10). The first scores targets 1..3;
  // later windows their last 2 tokens: score_from = L - S - 1 = 1 (targets at window offsets 2, 3).
  const WindowPlan p = plan({10}, opts(4, 2));
  const std::vector<Window> expected{{0, 0, 4, 0}, {0, 2, 4, 1}, {0, 4, 4, 1}, {0, 6, 4, 1}};
  BOOST_TEST(p.windows == expected, boost::test_tools::per_element());
  BOOST_TEST(p.scored_predictions == 3u + 2u + 2u + 2u);
}

BOOST_AUTO_TEST_CASE(sliding_scores_every_token_exactly_once) {
  for (std::size_t n = 1; n <= 40; ++n) {
    for (std::size_t L = 2; L <= 12; ++L) {
      for (std::size_t S = 1; S < L; ++S) {
        const WindowPlan p = plan({n}, opts(L, S));
        if (n < L) {
          BOOST_TEST(p.windows.empty());
          BOOST_TEST(p.skipped_streams == 1u);
          continue;
        }
        const auto counts = target_counts(p);
        // Covered: tokens 1 .. end of the last window - 1, each exactly once.
        const Window& last = p.windows.back();
        const std::size_t end = last.start + last.length;
        BOOST_TEST(counts.size() == end - 1, "n=" << n << " L=" << L << " S=" << S);
        for (const auto& [where, count] : counts) {
          BOOST_TEST(count == 1);
          BOOST_TEST(where.second >= 1u);
          BOOST_TEST(where.second < end);
        }
        BOOST_TEST(p.scored_predictions == end - 1);
        BOOST_TEST(p.windows.size() == (n - L) / S + 1);
        // No full window was left out: the next start would overrun.
        BOOST_TEST(last.start + S + L > n);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(stride_equal_to_length_is_non_overlapping) {
  for (std::size_t n : {7u, 8u, 9u, 31u, 64u}) {
    for (std::size_t L : {2u, 3u, 4u, 8u}) {
      const WindowPlan a = plan({n}, opts(L));
      const WindowPlan b = plan({n}, opts(L, L));
      BOOST_TEST(a.windows == b.windows, boost::test_tools::per_element());
      BOOST_TEST(a.scored_predictions == n / L * (L - 1));
      BOOST_TEST(a.windows.size() == n / L);
    }
  }
}

BOOST_AUTO_TEST_CASE(per_document_skips_short_documents_and_counts_them) {
  const WindowPlan p = plan({5, 2, 8, 3}, opts(4, std::nullopt, true));
  const std::vector<Window> expected{{0, 0, 4, 0}, {2, 0, 4, 0}, {2, 4, 4, 0}};
  BOOST_TEST(p.windows == expected, boost::test_tools::per_element());
  BOOST_TEST(p.skipped_streams == 2u);
  BOOST_TEST(p.skipped_tokens == 5u);
}

BOOST_AUTO_TEST_CASE(concatenation_joins_documents) {
  // 5 + 2 + 8 + 3 = 18 tokens in one stream: windows at 0, 4, 8, 12.
  const WindowPlan p = plan({5, 2, 8, 3}, opts(4));
  BOOST_TEST(p.windows.size() == 4u);
  for (const Window& w : p.windows) BOOST_TEST(w.document == 0u);
  BOOST_TEST(p.windows.back().start == 12u);
  BOOST_TEST(p.skipped_streams == 0u);

  const WindowPlan too_short = plan({1, 2}, opts(4));
  BOOST_TEST(too_short.windows.empty());
  BOOST_TEST(too_short.skipped_streams == 1u);
  BOOST_TEST(too_short.skipped_tokens == 3u);
}

BOOST_AUTO_TEST_CASE(max_tokens_truncates_each_stream) {
  WindowOptions o = opts(4, std::nullopt, true);
  o.max_tokens = 9;
  const WindowPlan p = plan({20, 3, 9}, o);
  // Each document is cut to 9 tokens: 2 windows from doc 0, doc 1 skipped, 2 from doc 2.
  const std::vector<Window> expected{{0, 0, 4, 0}, {0, 4, 4, 0}, {2, 0, 4, 0}, {2, 4, 4, 0}};
  BOOST_TEST(p.windows == expected, boost::test_tools::per_element());
  BOOST_TEST(p.skipped_streams == 1u);

  WindowOptions c = opts(4, 2);
  c.max_tokens = 7;  // concatenation of 32 tokens cut to 7: starts 0, 2
  const WindowPlan q = plan({20, 3, 9}, c);
  BOOST_TEST(q.windows.size() == 2u);
  BOOST_TEST(q.windows.back().start + q.windows.back().length <= 7u);

  c.max_tokens = 3;  // shorter than L: the single stream is skipped
  const WindowPlan r = plan({20, 3, 9}, c);
  BOOST_TEST(r.windows.empty());
  BOOST_TEST(r.skipped_streams == 1u);
  BOOST_TEST(r.skipped_tokens == 3u);
}

BOOST_AUTO_TEST_CASE(max_windows_caps_the_count_in_order) {
  WindowOptions o = opts(4, 2, true);
  o.max_windows = 3;
  const WindowPlan p = plan({6, 10}, o);
  // Doc 0 gives starts 0, 2; doc 1 would give 0, 2, 4, 6: keep the first three overall.
  const std::vector<Window> expected{{0, 0, 4, 0}, {0, 2, 4, 1}, {1, 0, 4, 0}};
  BOOST_TEST(p.windows == expected, boost::test_tools::per_element());
  BOOST_TEST(p.truncated_by_max_windows);
  BOOST_TEST(p.scored_predictions == 3u + 2u + 3u);

  o.max_windows = 6;  // exactly all windows: not truncated
  BOOST_TEST(!plan({6, 10}, o).truncated_by_max_windows);
  BOOST_TEST(plan({6, 10}, o).windows.size() == 6u);
}

BOOST_AUTO_TEST_CASE(window_length_equal_to_stream_and_minimum_length) {
  const WindowPlan exact = plan({4}, opts(4, 1));
  BOOST_TEST(exact.windows.size() == 1u);
  BOOST_TEST(exact.scored_predictions == 3u);

  // L = 2, S = 1: every window scores its single prediction; score_from = 0 throughout.
  const WindowPlan two = plan({5}, opts(2, 1));
  BOOST_TEST(two.windows.size() == 4u);
  for (const Window& w : two.windows) BOOST_TEST(w.score_from == 0u);
  BOOST_TEST(two.scored_predictions == 4u);
}

BOOST_AUTO_TEST_CASE(empty_input) {
  const WindowPlan none = plan({}, opts(4, std::nullopt, true));
  BOOST_TEST(none.windows.empty());
  BOOST_TEST(none.skipped_streams == 0u);
  const WindowPlan concatenated = plan({}, opts(4));
  BOOST_TEST(concatenated.windows.empty());
  BOOST_TEST(concatenated.skipped_streams == 1u);
}

BOOST_AUTO_TEST_CASE(invalid_options_are_rejected) {
  BOOST_CHECK_THROW(plan({10}, opts(1)), rb::InputError);
  BOOST_CHECK_THROW(plan({10}, opts(0)), rb::InputError);
  BOOST_CHECK_THROW(plan({10}, opts(4, 5)), rb::InputError);
  BOOST_CHECK_THROW(plan({10}, opts(4, 0)), rb::InputError);
  WindowOptions o = opts(4);
  o.max_windows = 0;
  BOOST_CHECK_THROW(plan({10}, o), rb::InputError);
  o = opts(4);
  o.max_tokens = 0;
  BOOST_CHECK_THROW(plan({10}, o), rb::InputError);
  try {
    plan({10}, opts(4, 5));
    BOOST_FAIL("expected an InputError");
  } catch (const rb::InputError& e) {
    BOOST_TEST(e.field() == "stride");
    BOOST_TEST(std::string(e.what()).find("exceeds the window length 4") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(token_stream_overload_and_concatenation) {
  rb::data::TokenStream s;
  s.documents = {{1, 2, 3}, {4, 5}, {6, 7, 8, 9}};
  BOOST_TEST(s.total_tokens() == 9u);
  const std::vector<std::int32_t> all = s.concatenated();
  BOOST_TEST(all == (std::vector<std::int32_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}), boost::test_tools::per_element());
  const WindowPlan p = plan_windows(s, opts(3, std::nullopt, true));
  const std::vector<Window> expected{{0, 0, 3, 0}, {2, 0, 3, 0}};
  BOOST_TEST(p.windows == expected, boost::test_tools::per_element());
  BOOST_TEST(p.skipped_streams == 1u);
}
