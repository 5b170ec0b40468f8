// The figures' building blocks (log-axis ticks, tick labels, viridis, text contrast, the SVG writer)
// and the three figures drawn from a small made-up sweep: failed runs distinguishable, the training
// length marked, the same input giving the same bytes.
#define BOOST_TEST_MODULE reports_figures
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include "reports/plot_scales.hpp"
#include "reports/report_data.hpp"
#include "reports/report_figures.hpp"
#include "reports/svg_document.hpp"
#include "reports/svg_rasterizer.hpp"
#include "test_reports_report_records.hpp"

using namespace rb::reports;
using namespace rb::reports::testing;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(log_ticks_suit_the_range) {
  BOOST_TEST((log_ticks(5, 2000) == std::vector<double>{10, 100, 1000}));       // decades
  BOOST_TEST((log_ticks(7, 60) == std::vector<double>{10, 20, 50}));            // 1-2-5
  BOOST_TEST((log_ticks(6, 9.5) == std::vector<double>{6, 7, 8, 9}));           // 1..9
  BOOST_TEST((log_ticks(9000, 11000) == std::vector<double>{9000, 9500, 10000, 10500, 11000}));  // narrow: linear
  BOOST_TEST(log_ticks(1, 1e30).size() <= 9u);                                  // many decades: thinned
  const std::vector<double> tenths = log_ticks(0.25, 0.35);
  BOOST_TEST(tenths.size() >= 2u);
}

BOOST_AUTO_TEST_CASE(tick_labels) {
  BOOST_TEST(tick_label(7.5) == "7.5");
  BOOST_TEST(tick_label(20) == "20");
  BOOST_TEST(tick_label(20000) == "20000");
  BOOST_TEST(tick_label(100000) == "10⁵");
  BOOST_TEST(tick_label(2e6) == "2×10⁶");
  BOOST_TEST(tick_label(0.3) == "0.3");
}

BOOST_AUTO_TEST_CASE(log_scale_maps_ends_and_the_geometric_middle) {
  const LogScale y{10, 1000, 200, 0};
  BOOST_TEST(y(10) == 200.0);
  BOOST_TEST(y(1000) == 0.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(y(100) == 100.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(viridis_and_contrast) {
  BOOST_TEST(viridis(0) == "#440154");
  BOOST_TEST(viridis(0.5) == "#21918c");
  BOOST_TEST(viridis(1) == "#fde725");
  BOOST_TEST(viridis(-3) == "#440154");  // clamped
  BOOST_TEST(text_colour_on("#440154") == "#ffffff");
  BOOST_TEST(text_colour_on("#fde725") == "#000000");
  BOOST_TEST(line_colour(0, 3) == "#0072b2");
  BOOST_TEST(line_colour(0, 20) == viridis(0));
  BOOST_TEST(line_colour(1, 20) != line_colour(2, 20));
}

BOOST_AUTO_TEST_CASE(svg_text_is_escaped_and_hatching_defined_only_when_used) {
  SvgDocument plain(100, 50, "a < b");
  plain.text(1, 2, "x & y", {});
  const std::string a = plain.str();
  BOOST_TEST(contains(a, "<title>a &lt; b</title>"));
  BOOST_TEST(contains(a, ">x &amp; y</text>"));
  BOOST_TEST(!contains(a, "<pattern"));
  SvgDocument hatched(100, 50, "t");
  hatched.hatched_rect(0, 0, 10, 10);
  BOOST_TEST(contains(hatched.str(), "<pattern id=\"no-value\""));
  BOOST_TEST(contains(hatched.str(), "fill=\"url(#no-value)\""));
}

BOOST_AUTO_TEST_CASE(heatmaps_mark_failed_runs_and_blank_cells) {
  std::vector<RunRecord> records = small_sweep();
  records.push_back(make_run({"linear", "linear factor=8", 128, 30.0}));  // not run at 256: blank
  const ReportData data = build_report_data(input_of(records), {});
  const Setting& s = data.settings[0];
  const std::string heat = ppl_heatmap_svg(s);
  BOOST_TEST(count(heat, ">N/A</text>") == 1u);  // the failed cell
  BOOST_TEST(contains(heat, ">N/A: run failed</text>"));  // and the legend
  BOOST_TEST(count(heat, ">—</text>") == 1u);    // linear factor=8 at 256
  BOOST_TEST(contains(heat, ">original (baseline)</text>"));
  BOOST_TEST(contains(heat, ">9.000</text>"));
  BOOST_TEST(contains(heat, ">PPL</text>"));
  const std::string passkey = passkey_heatmap_svg(s);
  BOOST_TEST(contains(passkey, ">2/2</text>"));  // original at 128, depth 0: both retrieved
  BOOST_TEST(contains(passkey, ">0/1</text>"));
  BOOST_TEST(count(passkey, ">N/A</text>") == 2u);  // both depths of the failed run
}

BOOST_AUTO_TEST_CASE(lines_figure_has_a_panel_per_family_and_the_training_length) {
  ReportOptions options;
  options.training_lengths[""] = {256, "--training-length"};
  const ReportData data = build_report_data(input_of(small_sweep()), options);
  const std::string svg = ppl_lines_svg(data.settings[0]);
  BOOST_TEST(contains(svg, ">linear</text>"));           // one panel (the baseline is drawn in each)
  BOOST_TEST(contains(svg, ">baseline: original</text>"));
  BOOST_TEST(contains(svg, ">trained: 256</text>"));
  BOOST_TEST(contains(svg, ">linear factor=4</text>"));
  BOOST_TEST(contains(svg, ">context length (tokens)</text>"));
  const ReportData without = build_report_data(input_of(small_sweep()), {});
  BOOST_TEST(!contains(ppl_lines_svg(without.settings[0]), "trained:"));
}

BOOST_AUTO_TEST_CASE(png_zoom_keeps_sides_under_the_rasterizer_limit) {
  BOOST_TEST(*png_zoom(1000, 500) == 2.0);
  BOOST_TEST(*png_zoom(1000, 20000) == 1.6);
  BOOST_TEST(!png_zoom(100, 40000).has_value());  // would shrink below its own size: no PNG
}

namespace {

// Loss by position for a made-up run: NLL per bucket rising past position `knee` by `rise`.
void add_positions(RunRecord& r, int64_t length, int64_t knee, double rise) {
  for (int64_t b : {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192}) {
    if (b >= length) break;
    r.position_bucket_start.push_back(b);
    r.position_mean_nll.push_back(3.0 - 0.2 * std::log2(static_cast<double>(b)) + (b >= knee ? rise : 0.0));
    r.position_predictions.push_back(2 * b);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(ratio_heatmap_collapse_and_position_figures) {
  std::vector<RunRecord> records = small_sweep();
  for (RunRecord& r : records)
    if (r.status == "ok") add_positions(r, r.config["length"].get<int64_t>(), r.config["family"] == "linear" ? 64 : 1000, 0.5);
  ReportOptions options;
  options.training_lengths[""] = {128, "--training-length"};
  const ReportData data = build_report_data(input_of(records), options);
  const Setting& s = data.settings[0];
  const SettingFigures names = figure_names(data, 0);
  BOOST_TEST(names.ratio_heatmap == "ratio_heatmap.svg");
  BOOST_TEST(names.collapse == "collapse.svg");
  BOOST_TEST(names.nll_by_position == "nll_by_position.svg");
  BOOST_TEST(names.position_ratio == "position_ratio.svg");

  const std::string ratio = ratio_heatmap_svg(s);
  BOOST_TEST(contains(ratio, ">+10.0%</text>"));  // 11 / 10, interval excluding 1: no ≈
  BOOST_TEST(contains(ratio, ">-10.0%</text>"));
  BOOST_TEST(count(ratio, ">N/A</text>") == 1u);
  BOOST_TEST(!contains(ratio, ">original (baseline)</text>"));  // the baseline is not compared with itself
  BOOST_TEST(contains(ratio, "fill=\"#f7f7f7\"") == false);  // no cell at exactly 1 here
  const std::string collapse = collapse_svg(s);
  BOOST_TEST(contains(collapse, ">1.20 (128→256)</text>"));  // original: 12 / 10
  BOOST_TEST(contains(collapse, ">1.05 (128→256)</text>"));  // linear factor=2: 11.5 / 11

  const std::string nll = nll_by_position_svg(s);
  BOOST_TEST(contains(nll, ">linear</text>"));
  BOOST_TEST(contains(nll, ">trained: 128</text>"));
  BOOST_TEST(contains(nll, ">baseline, 256 tokens</text>"));
  BOOST_TEST(contains(nll, ">linear factor=2, 256 tokens</text>"));  // its longest completed run
  BOOST_TEST(contains(nll, ">linear factor=4, 128 tokens</text>"));  // 256 failed
  BOOST_TEST(contains(nll, ">mean NLL</text>"));
  const std::string pr = position_ratio_svg(s);
  BOOST_TEST(contains(pr, ">ratio to the baseline</text>"));
  BOOST_TEST(contains(pr, ">linear factor=2, 256 tokens</text>"));
  // Without position data (files before schema 2) there are no such figures.
  const ReportData old = build_report_data(input_of(small_sweep()), {});
  BOOST_TEST(figure_names(old, 0).nll_by_position.empty());
  BOOST_TEST(!has_position_data(old.settings[0]));
}

BOOST_AUTO_TEST_CASE(a_family_of_many_configurations_shows_its_best_five) {
  std::vector<RunRecord> records = {make_run({"original", "original", 128, 10.0, true}),
                                    make_run({"original", "original", 256, 12.0, true})};
  for (int f = 1; f <= 25; ++f) {  // ntk factor=f: PPL 10 + f, so factors 1..5 are the best
    const std::string label = "ntk factor=" + std::to_string(f);
    records.push_back(make_run({"ntk", label, 128, 10.0 + f}));
    records.push_back(make_run({"ntk", label, 256, 12.0 + f}));
  }
  const ReportData data = build_report_data(input_of(records), {});
  const std::string svg = ppl_lines_svg(data.settings[0]);
  BOOST_TEST(contains(svg, ">ntk (best 5 of 25)</text>"));
  for (int f = 1; f <= 5; ++f) BOOST_TEST(contains(svg, ">ntk factor=" + std::to_string(f) + "</text>"));
  BOOST_TEST(!contains(svg, ">ntk factor=6</text>"));
  BOOST_TEST(!contains(svg, ">ntk factor=25</text>"));
}
