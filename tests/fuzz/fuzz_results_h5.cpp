// Fuzz target: a results file (HDF5), read as `ropebatch report` and `merge` read it, then the whole
// report built in memory (Markdown, CSV, figures): a file we did not write must give a report or an
// rb::InputError, never a crash or undefined behaviour.
#include <cstdlib>

#include "fuzz_input.hpp"
#include "reports/report_csv.hpp"
#include "reports/report_data.hpp"
#include "reports/report_figures.hpp"
#include "reports/report_input.hpp"
#include "reports/report_markdown.hpp"
#include "reports/results_h5.hpp"

// The reader's child-process probe (reports/hdf5_probe.hpp) gets less time than libFuzzer's own
// per-input limit, so that a file libhdf5 spins on is refused, as a user would see it.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::setenv("RB_HDF5_PROBE_SECONDS", "5", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto path = rbfuzz::as_file("results.h5", rbfuzz::bytes(data, size));
  rbfuzz::expect_clean([&] { (void)rb::reports::read_summary(path.string()); });
  rbfuzz::expect_clean([&] {
    const rb::reports::ReportData report =
        rb::reports::build_report_data(rb::reports::load_report_input({path.string()}), rb::reports::ReportOptions{});
    (void)rb::reports::report_markdown(report);
    (void)rb::reports::runs_csv(report);
    for (const auto& setting : report.settings) {
      (void)rb::reports::ppl_lines_svg(setting);
      (void)rb::reports::ppl_heatmap_svg(setting);
      if (setting.has_passkey) (void)rb::reports::passkey_heatmap_svg(setting);
    }
  });
  return 0;
}
