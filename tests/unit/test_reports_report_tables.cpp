// report.md's tables from a small made-up sweep whose every cell is worked out by hand: the best
// PPL of each length in bold, signed percentages against the baseline with the largest degradation
// marked, failed runs as N/A with their error under Failures, rankings, findings, and the errors
// for a missing or unknown baseline.
#define BOOST_TEST_MODULE reports_report_tables
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <functional>
#include <random>

#include "common/error.hpp"
#include "reports/report_csv.hpp"
#include "reports/report_data.hpp"
#include "reports/report_figures.hpp"
#include "reports/report_markdown.hpp"
#include "reports/report_ranking.hpp"
#include "test_reports_report_records.hpp"

using namespace rb::reports;
using namespace rb::reports::testing;

namespace {

ReportData data_of(std::vector<RunRecord> records, ReportOptions options = {}) {
  return build_report_data(input_of(std::move(records)), options);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The Markdown between "## TITLE" and the next "## ".
std::string section(const std::string& markdown, const std::string& title) {
  const auto start = markdown.find("## " + title + "\n");
  BOOST_REQUIRE_MESSAGE(start != std::string::npos, "no section " << title);
  const auto end = markdown.find("\n## ", start + 3);
  return markdown.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// The table line whose configuration cell is `label`.
std::string table_row(const std::string& text, const std::string& label) {
  const std::string needle = "| " + label + " |";
  const auto at = text.find(needle);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "no row " << label);
  const auto begin = text.rfind('\n', at) + 1;
  return text.substr(begin, text.find('\n', at) - begin);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const rb::InputError& e) {
    return e.what();
  }
  BOOST_FAIL("no InputError");
  return "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(rows_are_configurations_and_columns_lengths) {
  const ReportData data = data_of(small_sweep());
  BOOST_REQUIRE(data.settings.size() == 1u);
  const Setting& s = data.settings[0];
  BOOST_TEST(s.title == "tiny · text:genesis.txt");
  BOOST_TEST((s.lengths == std::vector<int64_t>{128, 256}));
  BOOST_REQUIRE(s.rows.size() == 3u);
  BOOST_TEST(s.rows[0].label == "original");  // the baseline first, then by family and label
  BOOST_TEST(s.rows[0].baseline);
  BOOST_TEST(s.rows[1].label == "linear factor=2");
  BOOST_TEST(s.rows[2].label == "linear factor=4");
  BOOST_TEST(*s.rows[1].reference == 0u);
  BOOST_TEST(data.counts.total == 6u);
  BOOST_TEST(data.counts.completed == 5u);
  BOOST_TEST(data.counts.failed == 1u);
}

BOOST_AUTO_TEST_CASE(the_best_value_of_each_column_is_bold) {
  const std::string md = report_markdown(data_of(small_sweep()));
  const std::string table = section(md, "Perplexity");
  // At 128 the lowest is linear factor=4 (9); at 256 linear factor=2 (11.5).
  BOOST_TEST(table_row(table, "linear factor=4") == "| linear | linear factor=4 | **9.000 ± 0.090** | N/A | — |");
  BOOST_TEST(table_row(table, "linear factor=2") ==
             "| linear | linear factor=2 | 11.00 ± 0.11 | **11.50 ± 0.12** | 1.05 |");  // collapse 11.5 / 11
  BOOST_TEST(table_row(table, "original (baseline)") == "| original | original (baseline) | 10.00 ± 0.10 | 12.00 ± 0.12 | 1.20 |");
}

BOOST_AUTO_TEST_CASE(signed_percentages_against_the_baseline_with_the_worst_marked) {
  const std::string table = section(report_markdown(data_of(small_sweep())), "Ratio to the baseline");
  // 11 / 10 = +10.0% (the only degradation at 128: marked), 11.5 / 12 = -4.2%; 9 / 10 = -10.0%,
  // and the failed run is N/A. Both windows of each run have the same mean NLL, so every paired
  // difference is the same in both windows: SE(D) = 0 and the interval is the ratio itself.
  BOOST_TEST(table_row(table, "linear factor=2") ==
             "| linear | linear factor=2 | **+10.0% [+10.0%, +10.0%]** ▲ | -4.2% [-4.2%, -4.2%] |");
  BOOST_TEST(table_row(table, "linear factor=4") == "| linear | linear factor=4 | -10.0% [-10.0%, -10.0%] | N/A |");
  BOOST_TEST(!contains(table, "| original (baseline) |"));  // compared with itself: left out
}

BOOST_AUTO_TEST_CASE(failed_runs_are_na_everywhere_and_listed_with_their_error) {
  const ReportData data = data_of(small_sweep());
  const std::string md = report_markdown(data);
  const std::string failures = section(md, "Failures");
  BOOST_TEST(contains(failures, "| linear | linear factor=4 | 256 | failed | out of memory at length 256 |"));
  BOOST_TEST(table_row(section(md, "Passkey retrieval"), "linear factor=4").find("N/A") == std::string::npos);
  BOOST_TEST(contains(section(md, "Passkey retrieval"), "| linear | linear factor=4 | 256 | N/A | N/A | N/A |"));
  // The CSV keeps the run, with status and error and no invented metric.
  const std::string csv = runs_csv(data);
  const auto line_start = csv.find("linear-linear_factor_4-none-256");
  BOOST_REQUIRE(line_start != std::string::npos);
  const std::string line = csv.substr(line_start, csv.find('\n', line_start) - line_start);
  BOOST_TEST(contains(line, ",failed,out of memory at length 256,"));
  BOOST_TEST(contains(md, "1 of 6 runs failed and 0 were skipped"));
}

BOOST_AUTO_TEST_CASE(family_ranking_and_top_configurations) {
  const ReportData data = data_of(small_sweep());
  const Setting& s = data.settings[0];
  const std::vector<FamilyRanking> at128 = rank_families(s, 128);
  BOOST_REQUIRE(at128.size() == 2u);
  BOOST_TEST(at128[0].family == "linear");  // best 9 < 10
  BOOST_TEST(*at128[0].best == 9.0);
  BOOST_TEST(*at128[0].geometric_mean == std::sqrt(9.0 * 11.0), boost::test_tools::tolerance(1e-14));
  BOOST_TEST(*at128[0].spread() == 11.0 / 9.0, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(!at128[1].spread().has_value());  // one configuration
  const std::vector<FamilyRanking> at256 = rank_families(s, 256);
  BOOST_TEST(at256[0].completed == 1u);
  BOOST_TEST(at256[0].configurations == 2u);

  // Win rates: at 128 linear4 (9) beats both, original (10) beats linear2 (11); at 256 linear2
  // (11.5) beats original (12) and the failed linear4, original beats the failed linear4.
  // linear4: 2 wins / 2 + 0 / 2 = 2/4; linear2: 0/2 + 2/2 = 2/4; original: 1/2 + 1/2 = 2/4.
  const std::vector<OverallRanking> overall = rank_overall(s);
  BOOST_REQUIRE(overall.size() == 3u);
  for (const OverallRanking& o : overall) {
    BOOST_TEST(o.comparisons == 4u);
    BOOST_TEST(o.win_rate() == 0.5);
  }
  BOOST_TEST(overall[0].row == 0u);  // equal: row order
}

BOOST_AUTO_TEST_CASE(findings_follow_from_the_tables) {
  ReportOptions options;
  options.rise_threshold = 0.15;
  const std::string findings = section(report_markdown(data_of(small_sweep(), options)), "Findings");
  BOOST_TEST(contains(findings, "At 128 tokens, the lowest PPL is 9.000 ± 0.090, by `linear factor=4`; -10.0% "
                                "[-10.0%, -10.0%] against the baseline, of 3 completed configurations; lower than every other"));
  BOOST_TEST(contains(findings, "At 256 tokens, of 1 configurations compared with their baseline, 1 have a lower PPL and 0 a "
                                "higher one (paired 95% interval of the ratio excluding 1); 0 are indistinguishable"));
  // original rises 20% (> 15%) from 128 to 256; linear factor=2 only 4.5%.
  BOOST_TEST(contains(findings, "`original` first rises more than 15.0% above its 128 tokens PPL at 256 tokens (+20.0%)"));
  BOOST_TEST(contains(findings, "1 of 2 configurations stay within 15.0%"));
}

// Two windows whose mean NLLs differ: linear factor=2 at 128 has PPL 10.1 against the baseline's
// 10, windows at m +/- 0.05. d_i = 127 ln(1.01) +/- 6.35, N = 254: D = ln(1.01),
// SE(D) = sqrt(2 * 2 * 6.35^2) / 254 = 0.05, t(0.975, 1) = 12.7062: exp(ln 1.01 -/+ 0.63531)
// = [-46.5%, +90.6%]: indistinguishable from the baseline, and tied with it in the rankings.
BOOST_AUTO_TEST_CASE(an_interval_including_one_is_indistinguishable_and_a_tie) {
  std::vector<RunRecord> records = {make_run({"original", "original", 128, 10.0, true}),
                                    make_run({"linear", "linear factor=2", 128, 10.1, false, "none", "/models/tiny", 0.05}),
                                    make_run({"linear", "linear factor=4", 128, 12.0})};
  const ReportData data = data_of(records);
  const Setting& s = data.settings[0];
  const auto p = s.paired_to_reference(s.rows[1], 128);
  BOOST_REQUIRE(p.has_value());
  BOOST_TEST(p->log_ratio == std::log(1.01), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(*p->log_ratio_stderr == 0.05, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(*p->ci_low == std::exp(std::log(1.01) - 12.706204736174696 * 0.05), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(p->direction() == 0);
  const std::string md = report_markdown(data);
  BOOST_TEST(table_row(section(md, "Ratio to the baseline"), "linear factor=2") ==
             "| linear | linear factor=2 | ≈ +1.0% [-46.5%, +90.6%] |");
  // The baseline (10) and linear factor=2 (10.1) share rank 1 and are both bold; 12 is third.
  const std::string perplexity = section(md, "Perplexity");
  BOOST_TEST(contains(table_row(perplexity, "linear factor=2"), "**10.10 ± 0.10**"));
  BOOST_TEST(contains(table_row(perplexity, "original (baseline)"), "**10.00 ± 0.10**"));
  const std::string top = section(md, "Top configurations");
  BOOST_TEST(contains(top, "| 1= | original | original (baseline) | 10.00 ± 0.10 | baseline |"));
  BOOST_TEST(contains(top, "| 1= | linear | linear factor=2 | 10.10 ± 0.10 | ≈ +1.0% [-46.5%, +90.6%] |"));
  BOOST_TEST(contains(top, "| 3 | linear | linear factor=4 | 12.00 ± 0.12 | +20.0% [+20.0%, +20.0%] |"));
  const std::string findings = section(md, "Findings");
  BOOST_TEST(contains(findings, "the lowest PPL is 10.00 ± 0.10, by `original`, of 3 completed configurations; tied with it"));
  BOOST_TEST(contains(findings, "1 have a lower PPL") == false);
  BOOST_TEST(contains(findings, "0 have a lower PPL and 1 a higher one (paired 95% interval of the ratio excluding 1); 1 is "
                                "indistinguishable from the baseline"));
  // Win rates: original ties linear2 and beats linear4 (12 / 10, no spread: [+20%, +20%]);
  // linear2 against linear4 (10.1 / 12) has SE(D) = 0.05 again and its interval includes 1: a tie.
  const std::vector<OverallRanking> overall = rank_overall(s);
  BOOST_REQUIRE(overall.size() == 3u);
  BOOST_TEST(overall[0].row == 0u);
  BOOST_TEST(overall[0].win_rate() == 0.75);
  BOOST_TEST(overall[1].win_rate() == 0.5);
  BOOST_TEST(overall[2].win_rate() == 0.25);
  // runs.csv carries the interval.
  const std::string csv = runs_csv(data);
  BOOST_TEST(contains(csv.substr(0, csv.find('\n')), "ratio_to_baseline,baseline_run_id,ratio_ci_low,ratio_ci_high,"
                                                      "ratio_ci_excludes_1,log_ratio_to_baseline,log_ratio_stderr,"
                                                      "paired_windows,trained_length,collapse_ratio"));
  const auto at = csv.find("linear-linear_factor_2-none-128");
  const std::string line = csv.substr(at, csv.find('\n', at) - at);
  BOOST_TEST(contains(line, ",false,"));  // the interval does not exclude 1
}

BOOST_AUTO_TEST_CASE(findings_list_the_ten_earliest_rises_and_count_the_rest) {
  std::vector<RunRecord> records = small_sweep();
  for (int f = 1; f <= 12; ++f) {  // ntk factor=f rises by f*10% from 128 to 256
    const std::string label = "ntk factor=" + std::to_string(f);
    records.push_back(make_run({"ntk", label, 128, 10.0}));
    records.push_back(make_run({"ntk", label, 256, 10.0 * (1.0 + 0.1 * f + 0.01)}));
  }
  const std::string findings = section(report_markdown(data_of(records)), "Findings");
  // original (exactly +20%), linear factor=2 and ntk factor=1 stay; ntk factor=2..12 rise.
  BOOST_TEST(contains(findings, "3 of 14 configurations stay within 20.0%"));
  BOOST_TEST(contains(findings, "`ntk factor=12` first rises more than 20.0% above its 128 tokens PPL at 256 tokens (+121.0%)"));
  BOOST_TEST(contains(findings, "`ntk factor=3` first rises"));
  BOOST_TEST(!contains(findings, "`ntk factor=2` first rises"));  // the 11th largest is counted, not listed
  BOOST_TEST(contains(findings, "1 more configuration rises more than 20.0%"));
}

BOOST_AUTO_TEST_CASE(a_missing_baseline_is_an_error_unless_left_out_or_named) {
  std::vector<RunRecord> records = small_sweep();
  records.erase(records.begin(), records.begin() + 2);  // no original
  const std::string message = error_of([&] { data_of(records); });
  BOOST_TEST(contains(message, "sweep.h5: baseline: no baseline configuration of tiny · text:genesis.txt"));
  BOOST_TEST(contains(message, "--no-baseline"));

  ReportOptions skip;
  skip.skip_baseline = true;
  const std::string md = report_markdown(data_of(records, skip));
  BOOST_TEST(contains(section(md, "Ratio to the baseline"), "Left out (--no-baseline)."));

  ReportOptions named;
  named.baseline_label = "linear factor=2";
  const ReportData data = data_of(records, named);
  BOOST_TEST(data.settings[0].rows[0].label == "linear factor=2");
  BOOST_TEST(data.settings[0].rows[0].baseline);
  BOOST_TEST(table_row(section(report_markdown(data), "Ratio to the baseline"), "linear factor=4") ==
             "| linear | linear factor=4 | -18.2% [-18.2%, -18.2%] | N/A |");  // 9 / 11

  ReportOptions typo;
  typo.baseline_label = "linear factr=2";
  BOOST_TEST(contains(error_of([&] { data_of(records, typo); }), "did you mean 'linear factor=2'?"));
  ReportOptions family;
  family.baseline_label = "linear";  // two configurations
  BOOST_TEST(contains(error_of([&] { data_of(records, family); }), "names 2 configurations"));
}

BOOST_AUTO_TEST_CASE(configurations_differing_only_in_quantization_stay_apart) {
  std::vector<RunRecord> records = small_sweep();
  records.push_back(make_run({"linear", "linear factor=2", 128, 14.0, false, "nf4"}));
  records.push_back(make_run({"original", "original", 128, 13.0, true, "nf4"}));
  for (RunRecord& r : records) r.config["weights"] = r.config["quant"];  // as `run` stores it: one setting still
  const ReportData data = data_of(records);
  BOOST_REQUIRE(data.settings.size() == 1u);
  const Setting& s = data.settings[0];
  BOOST_TEST(s.several_quants);
  BOOST_REQUIRE(s.rows.size() == 5u);
  const std::string perplexity = section(report_markdown(data), "Perplexity");
  BOOST_TEST(contains(perplexity, "| method | configuration | quant | 128 | 256 | collapse |"));
  BOOST_TEST(contains(perplexity, "| linear | linear factor=2 | none | 11.00 ± 0.11 |"));
  BOOST_TEST(contains(perplexity, "| linear | linear factor=2 | nf4 | 14.00 ± 0.14 | — |"));
  // Each compared with the baseline of its own quantization: 14 / 13.
  const std::string ratio = section(report_markdown(data), "Ratio to the baseline");
  BOOST_TEST(contains(ratio, "| linear | linear factor=2 | nf4 | +7.7% [+7.7%, +7.7%] | — |"));
}

BOOST_AUTO_TEST_CASE(files_written_before_the_quant_field_read_as_none_or_gguf) {
  nlohmann::json config = {{"model", "/m/tiny"}};
  BOOST_TEST(quant_of(config) == "none");
  config["model"] = "/m/smollm2.Q4_1.gguf";
  BOOST_TEST(quant_of(config) == "gguf");
  config["quant"] = "int4-g128";
  BOOST_TEST(quant_of(config) == "int4-g128");
}

// rank_overall packs each length's windows and skips pairs whose windows differ (for speed); it
// must score exactly as comparing every pair with paired_comparison does, and build_report_data
// keeps that result (Setting::overall) for every table and figure.
BOOST_AUTO_TEST_CASE(the_overall_ranking_is_every_pair_compared_with_paired_comparison) {
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> ppl(9.0, 11.0), spread(0.0, 0.03);
  std::vector<RunRecord> records;
  for (int c = 0; c < 24; ++c)
    for (const int64_t length : {128, 256, 512}) {
      const bool baseline = c == 0;
      const std::string label = baseline ? "original" : "linear factor=" + std::to_string(c);
      if (c % 7 == 3 && length == 256) continue;  // not run at that length
      std::optional<double> value = ppl(rng);
      if (c % 5 == 4 && length == 512) value.reset();  // failed
      RunRecord r = make_run({baseline ? "original" : "linear", label, length, value, baseline, "none", "/models/tiny",
                              spread(rng)});
      if (c % 6 == 5 && r.status == "ok") {  // other windows: no paired comparison with most runs
        r.window_predictions = {length - 2, length};
      }
      records.push_back(std::move(r));
    }
  const ReportData data = data_of(records);
  const Setting& s = data.settings[0];
  std::vector<double> wins(s.rows.size(), 0.0);
  std::vector<std::size_t> comparisons(s.rows.size(), 0);
  std::size_t ties = 0, decided = 0;
  for (const int64_t length : s.lengths)
    for (std::size_t i = 0; i < s.rows.size(); ++i)
      for (std::size_t j = 0; j < s.rows.size(); ++j) {
        const CellState a = cell_state(s.rows[i].run_at(length)), b = cell_state(s.rows[j].run_at(length));
        if (i == j || a == CellState::not_in_sweep || b == CellState::not_in_sweep) continue;
        if (a == CellState::failed && b == CellState::failed) continue;
        ++comparisons[i];
        if (a == CellState::failed) continue;
        if (b == CellState::failed) {
          wins[i] += 1.0;
          continue;
        }
        const auto p = paired_comparison(s.rows[i].run_at(length), s.rows[j].run_at(length));
        const int direction = p ? p->direction() : 0;
        wins[i] += direction < 0 ? 1.0 : direction == 0 ? 0.5 : 0.0;
        (direction == 0 ? ties : decided) += 1;
      }
  BOOST_TEST(ties > 0u);
  BOOST_TEST(decided > 0u);
  const std::vector<OverallRanking> overall = rank_overall(s);
  BOOST_REQUIRE(overall.size() == s.rows.size());
  for (const OverallRanking& o : overall) {
    BOOST_TEST(o.wins == wins[o.row], "row " << o.row);
    BOOST_TEST(o.comparisons == comparisons[o.row], "row " << o.row);
  }
  BOOST_REQUIRE(s.overall.size() == overall.size());
  for (std::size_t k = 0; k < overall.size(); ++k) {
    BOOST_TEST(s.overall[k].row == overall[k].row);
    BOOST_TEST(s.overall[k].wins == overall[k].wins);
  }
}

BOOST_AUTO_TEST_CASE(the_same_runs_in_any_order_give_the_same_bytes) {
  std::vector<RunRecord> shuffled = small_sweep();
  std::mt19937 rng(3);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  const ReportData a = data_of(small_sweep());
  const ReportData b = data_of(shuffled);
  BOOST_TEST(report_markdown(a) == report_markdown(b));
  BOOST_TEST(runs_csv(a) == runs_csv(b));
  BOOST_TEST(windows_csv(a) == windows_csv(b));
  BOOST_TEST(passkey_csv(a) == passkey_csv(b));
  BOOST_TEST(ppl_lines_svg(a.settings[0]) == ppl_lines_svg(b.settings[0]));
  BOOST_TEST(ppl_heatmap_svg(a.settings[0]) == ppl_heatmap_svg(b.settings[0]));
}

BOOST_AUTO_TEST_CASE(runs_csv_has_a_column_per_configuration_field) {
  const std::string csv = runs_csv(data_of(small_sweep()));
  const std::string header = csv.substr(0, csv.find('\n'));
  BOOST_TEST(header.starts_with("run_id,status,error,model,model_sha256,dataset,dataset_sha256,family,rope_label,"
                                "quant,baseline,length,metrics,rope.rope_type,windows.max_windows,windows.stride,"
                                "ppl,ppl_stderr,"));
  BOOST_TEST(contains(csv, "original-original-none-128,ok,,/models/tiny,0123456789abcdef0123,text:/data/genesis.txt,"
                           "fedcba9876543210fedc,original,original,none,true,128,\"[\"\"passkey\"\",\"\"ppl\"\"]\","
                           "original,2,0,10,0.1,"));
}

// Every RoPE parameter as the method resolved it (RunRecord::rope_resolved), where the grid left it
// unset; the grid's own value where it set one; and the trained length stored with the run, which the
// report also uses as the training length.
BOOST_AUTO_TEST_CASE(runs_csv_has_the_resolved_rope_and_the_stored_trained_length) {
  std::vector<RunRecord> records = small_sweep();
  for (RunRecord& r : records) {
    r.trained_length = 8192;
    r.rope_resolved = nlohmann::json{{"rope_type", r.config["family"]}, {"beta_fast", 32.0}, {"rope_theta", 10000.0}}.dump();
  }
  const ReportData data = data_of(records);
  BOOST_REQUIRE(data.settings[0].training_length.has_value());
  BOOST_TEST(data.settings[0].training_length->tokens == 8192);
  BOOST_TEST(contains(data.settings[0].training_length->source, "stored with the runs"));
  const std::string csv = runs_csv(data);
  const std::string header = csv.substr(0, csv.find('\n'));
  BOOST_TEST(contains(header, ",metrics,rope.beta_fast,rope.rope_theta,rope.rope_type,windows.max_windows,"));
  const auto at = csv.find("original-original-none-128");
  const std::string line = csv.substr(at, csv.find('\n', at) - at);
  BOOST_TEST(contains(line, "\"[\"\"passkey\"\",\"\"ppl\"\"]\",32,10000,original,2,0,"));
  BOOST_TEST(contains(line, ",8192,"));  // trained_length
  // --training-length still wins over the stored value.
  ReportOptions options;
  options.training_lengths[""] = {2048, "--training-length"};
  BOOST_TEST(data_of(records, options).settings[0].training_length->tokens == 2048);
}

BOOST_AUTO_TEST_CASE(unmeasured_metrics_say_so_in_one_line) {
  std::vector<RunRecord> records = small_sweep();
  for (RunRecord& r : records) {
    r.config["metrics"] = {"ppl"};
    r.passkey.clear();
  }
  const std::string md = report_markdown(data_of(records));
  BOOST_TEST(contains(section(md, "Passkey retrieval"), "Not measured: the runs' metrics do not include passkey."));
  BOOST_TEST(contains(section(md, "LongPPL"), "Not measured"));
  BOOST_TEST(contains(section(md, "Correlations"), "Not measured"));
  BOOST_TEST(contains(section(md, "Loss by position"), "Not measured: no run of this setting stored loss by position"));
}
