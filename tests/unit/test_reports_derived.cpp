// Ratio to the baseline and collapse ratio, derived from stored perplexities.
#define BOOST_TEST_MODULE reports_derived
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "reports/derived_metrics.hpp"

using rb::reports::RunRecord;

namespace {
RunRecord run(const std::string& family, int64_t length, std::optional<double> ppl, bool baseline = false,
              const std::string& status = "ok") {
  RunRecord r;
  r.run_id = family + std::to_string(length);
  r.config = {{"family", family}, {"rope", {{"rope_type", family}}}, {"rope_label", family}, {"length", length},
              {"baseline", baseline}, {"model", "m"}, {"dataset", "d"}};
  r.status = status;
  r.ppl = ppl;
  return r;
}
}  // namespace

BOOST_AUTO_TEST_CASE(ratios_from_the_stored_perplexities) {
  std::vector<RunRecord> rs = {run("original", 2048, 10.0, true), run("original", 8192, 40.0, true),
                               run("yarn", 2048, 11.0),           run("yarn", 8192, 12.0),
                               run("linear", 2048, 9.0),          run("linear", 8192, std::nullopt, false, "failed")};
  rb::reports::annotate_derived_metrics(rs);
  BOOST_CHECK_CLOSE(*rs[0].ratio_to_baseline, 1.0, 1e-12);
  BOOST_CHECK_CLOSE(*rs[0].collapse_ratio, 4.0, 1e-12);
  BOOST_CHECK_CLOSE(*rs[2].ratio_to_baseline, 1.1, 1e-12);
  BOOST_CHECK_CLOSE(*rs[3].ratio_to_baseline, 0.3, 1e-12);
  BOOST_CHECK_CLOSE(*rs[3].collapse_ratio, 12.0 / 11.0, 1e-12);
  BOOST_CHECK_CLOSE(*rs[4].ratio_to_baseline, 0.9, 1e-12);
  // linear has one completed length: no collapse ratio; the failed run gets nothing.
  BOOST_CHECK(!rs[4].collapse_ratio);
  BOOST_CHECK(!rs[5].ratio_to_baseline && !rs[5].collapse_ratio);
}

BOOST_AUTO_TEST_CASE(no_baseline_no_ratio) {
  std::vector<RunRecord> rs = {run("original", 2048, 10.0, true, "failed"), run("yarn", 2048, 11.0)};
  rb::reports::annotate_derived_metrics(rs);
  BOOST_CHECK(!rs[1].ratio_to_baseline);
}
