#pragma once
// Passkey tallies and the correlations between PPL, LongPPL and passkey accuracy for one setting.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reports/report_data.hpp"

namespace rb::reports {

struct PasskeyTally {
  std::size_t retrieved = 0, trials = 0;
  double accuracy() const { return trials ? static_cast<double>(retrieved) / static_cast<double>(trials) : 0.0; }
};

// Every depth any run of the setting tried, ascending.
std::vector<double> passkey_depths(const Setting& setting);
// A run's outcomes per depth, and over all depths.
std::map<double, PasskeyTally> passkey_by_depth(const RunRecord& run);
PasskeyTally passkey_total(const RunRecord& run);

// One correlation between two metrics over the completed runs of a setting that have both: all
// lengths pooled (length unset) or one length. Pearson's r is taken of ln PPL and ln LongPPL
// (perplexities span orders of magnitude) and of passkey accuracy as it is; Spearman's rho is the
// same either way.
struct CorrelationRow {
  std::string x, y;                 // "PPL", "LongPPL", "passkey accuracy"
  std::optional<int64_t> length;
  std::size_t n = 0;                // runs paired
  std::optional<double> pearson, spearman;
};

// For each pair of metrics the setting measured: pooled, then per length.
std::vector<CorrelationRow> metric_correlations(const Setting& setting);

}  // namespace rb::reports
