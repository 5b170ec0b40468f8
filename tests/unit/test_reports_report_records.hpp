#pragma once
// Shared by the test_reports_report_* suites: run records of a small made-up sweep, with every
// number chosen so that the expected table cells can be worked out by hand.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "reports/report_input.hpp"
#include "reports/run_record.hpp"

namespace rb::reports::testing {

struct RunSpecForTest {
  std::string family, label;
  int64_t length = 128;
  std::optional<double> ppl;      // nullopt: a failed run
  bool baseline = false;
  std::string quant = "none";
  std::string model = "/models/tiny";
  double window_spread = 0;  // the two windows' mean NLLs are m + spread and m - spread
};

inline RunRecord make_run(const RunSpecForTest& spec) {
  RunRecord r;
  r.config = {{"model", spec.model},
              {"model_sha256", "0123456789abcdef0123"},
              {"dataset", "text:/data/genesis.txt"},
              {"dataset_sha256", "fedcba9876543210fedc"},
              {"family", spec.family},
              {"rope_label", spec.label},
              {"rope", {{"rope_type", spec.family}}},
              {"length", spec.length},
              {"quant", spec.quant},
              {"baseline", spec.baseline},
              {"metrics", {"passkey", "ppl"}},
              {"windows", {{"stride", 0}, {"max_windows", 2}}}};
  r.run_id = spec.family + "-" + spec.label + "-" + spec.quant + "-" + std::to_string(spec.length);
  for (char& c : r.run_id)
    if (c == ' ' || c == '=') c = '_';
  r.host = "node1";
  r.device = "cpu";
  r.started_at = "2025-05-01T10:00:00Z";
  r.finished_at = "2025-05-01T10:00:05Z";
  if (!spec.ppl) {
    r.status = "failed";
    r.error = "out of memory at length " + std::to_string(spec.length);
    return r;
  }
  r.status = "ok";
  r.ppl = *spec.ppl;
  r.ppl_stderr = *spec.ppl / 100.0;
  r.predictions = 2 * (spec.length - 1);
  r.nll_sum = std::log(*spec.ppl) * static_cast<double>(r.predictions);
  const double shift = spec.window_spread * static_cast<double>(spec.length - 1);
  r.window_nll = {r.nll_sum / 2 + shift, r.nll_sum / 2 - shift};
  r.window_predictions = {spec.length - 1, spec.length - 1};
  r.passkey = {{spec.length, 0.0, 0, true}, {spec.length, 0.0, 1, *spec.ppl < 11}, {spec.length, 1.0, 0, false}};
  return r;
}

// original (baseline) 10 and 12; linear factor=2 11 and 11.5; linear factor=4 9 and a failure.
inline std::vector<RunRecord> small_sweep() {
  return {make_run({"original", "original", 128, 10.0, true}),
          make_run({"original", "original", 256, 12.0, true}),
          make_run({"linear", "linear factor=2", 128, 11.0}),
          make_run({"linear", "linear factor=2", 256, 11.5}),
          make_run({"linear", "linear factor=4", 128, 9.0}),
          make_run({"linear", "linear factor=4", 256, std::nullopt})};
}

inline ReportInput input_of(std::vector<RunRecord> records) {
  ReportInput input;
  input.files = {{"sweep.h5", {"0.1.0", "abc1234", {"ropebatch run --grid g.toml"}, "2025-05-01T09:59:00Z"},
                  records.size()}};
  input.records = std::move(records);
  return input;
}

}  // namespace rb::reports::testing
