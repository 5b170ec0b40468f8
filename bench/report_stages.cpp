// Times each stage of `ropebatch report` on one results file (bench/report_bench.sh runs it on the
// synthetic 10,000-run file): reading, grouping, report.md, the CSV files, the figures. Nothing is
// written.
#include <chrono>
#include <cstdio>
#include <string>

#include "reports/report_csv.hpp"
#include "reports/report_data.hpp"
#include "reports/report_figures.hpp"
#include "reports/report_input.hpp"
#include "reports/report_markdown.hpp"

int main(int argc, char** argv) {
  using namespace rb::reports;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s RESULTS.h5\n", argv[0]);
    return 2;
  }
  auto start = std::chrono::steady_clock::now();
  const auto lap = [&](const char* stage, std::size_t bytes) {
    const auto now = std::chrono::steady_clock::now();
    std::printf("  %-28s %6.3f s  %10zu bytes\n", stage, std::chrono::duration<double>(now - start).count(), bytes);
    start = now;
  };
  ReportInput input = load_report_input({argv[1]});
  lap("read the results file", 0);
  ReportOptions options;
  options.training_lengths[""] = {8192, "bench"};
  const ReportData data = build_report_data(std::move(input), options);
  lap("group, baselines", 0);
  lap("report.md", report_markdown(data).size());
  std::size_t csv = runs_csv(data).size();
  csv += passkey_csv(data).size();
  csv += windows_csv(data).size();
  lap("runs/passkey/windows.csv", csv);
  std::size_t svg = 0;
  for (const Setting& s : data.settings)
    svg += ppl_lines_svg(s).size() + ppl_heatmap_svg(s).size() + passkey_heatmap_svg(s).size() +
           ratio_heatmap_svg(s).size() + collapse_svg(s).size() + nll_by_position_svg(s).size() +
           position_ratio_svg(s).size();
  lap("the seven SVG figures", svg);
  return 0;
}
