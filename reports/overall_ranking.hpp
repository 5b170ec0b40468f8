#pragma once
// One configuration's standing across a setting's lengths (reports/report_ranking.hpp, rank_overall).
#include <cstddef>

namespace rb::reports {

// Across lengths: each configuration against every other configuration run at the same length.
// It wins a comparison when the paired 95% interval of its PPL ratio to the other lies below 1, or
// when the other run failed and its own completed; a comparison whose interval includes 1 (or that
// has none) is a tie and counts half; two failed runs are not compared. Win rate = wins / comparisons.
struct OverallRanking {
  std::size_t row = 0;
  double wins = 0;                   // with ties counted as 0.5
  std::size_t comparisons = 0;
  std::size_t lengths_run = 0, lengths_completed = 0;
  double win_rate() const { return comparisons ? wins / static_cast<double>(comparisons) : 0.0; }
};

}  // namespace rb::reports
