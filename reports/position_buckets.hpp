#pragma once
// Loss by position in the window (docs/RESULTS_FORMAT.md, "Loss by position"): the predicted token's
// position p (1 .. L-1: the prediction of token p from tokens 0 .. p-1) falls in log-spaced buckets
// whose starts are 1, 2, 3, 4, 6, 8, 12, 16, 24, ... (2^k and 1.5 * 2^k): two buckets per octave,
// integer edges, the same for every run, so curves of different lengths share their buckets.
#include <cstdint>
#include <vector>

namespace rb::reports {

// Bucket starts for windows of `length` tokens (predictions at positions 1 .. length-1), ascending.
// Bucket b covers [starts[b], starts[b+1]) and the last one [starts.back(), length).
std::vector<int64_t> position_bucket_starts(int64_t length);

// Sums of NLL and prediction counts per bucket, filled one prediction at a time.
class PositionAccumulator {
 public:
  explicit PositionAccumulator(int64_t length);
  void add(int64_t position, double nll);  // position 1 .. length-1
  const std::vector<int64_t>& starts() const { return starts_; }
  const std::vector<double>& nll_sums() const { return nll_sums_; }
  const std::vector<int64_t>& counts() const { return counts_; }

 private:
  std::vector<int64_t> starts_;
  std::vector<int32_t> bucket_of_;  // per position
  std::vector<double> nll_sums_;
  std::vector<int64_t> counts_;
};

}  // namespace rb::reports
