#pragma once
// Rankings drawn from one setting's perplexities (docs/REPORT.md, "Method ranking" and
// "Top configurations"). Only completed runs carry a value; failed runs are counted, never scored.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reports/report_data.hpp"

namespace rb::reports {

// One method family (at one quantization) at one length.
struct FamilyRanking {
  std::string family, quant;
  std::size_t configurations = 0;   // its configurations with a run at this length
  std::size_t completed = 0;        // ... of which completed
  std::optional<double> geometric_mean;  // exp(mean ln PPL) over the completed ones
  std::optional<double> best, worst;     // lowest and highest PPL
  std::optional<std::size_t> best_row;   // index into Setting::rows
  // worst / best: how much the choice of configuration matters (1 = every configuration alike);
  // with at least two completed configurations.
  std::optional<double> spread() const;
};

// Families ordered by their best PPL at `length` (then geometric mean, then name); families
// without a completed run there come last.
std::vector<FamilyRanking> rank_families(const Setting& setting, int64_t length);

// Rows (indices into Setting::rows) completed at `length`, lowest PPL first (ties by row order).
std::vector<std::size_t> rows_by_ppl(const Setting& setting, int64_t length);

// `ordered` (rows completed at `length`, lowest PPL first) with their ranks: a row whose paired
// comparison with the first row of the current group does not exclude a ratio of 1 (its 95% interval
// includes 1, or there is none: one window) shares that row's rank, and both are `tied`; else it
// starts a new group with its own position as rank (competition ranking: 1, 1, 3).
struct RankedRow {
  std::size_t row = 0;
  std::size_t rank = 0;  // 1-based
  bool tied = false;
};
std::vector<RankedRow> ranks_with_ties(const Setting& setting, int64_t length, const std::vector<std::size_t>& ordered);

// Configurations with at least one comparison (OverallRanking, reports/overall_ranking.hpp), highest
// win rate first (then more comparisons, then row order). Every pair of runs at each length is
// compared: quadratic in the configurations, so build_report_data computes it once per setting
// (Setting::overall) and the report reads that.
std::vector<OverallRanking> rank_overall(const Setting& setting);

}  // namespace rb::reports
