#include "reports/position_buckets.hpp"

#include <string>

#include "common/error.hpp"

namespace rb::reports {

std::vector<int64_t> position_bucket_starts(int64_t length) {
  std::vector<int64_t> starts;
  for (int64_t k = 1; k <= length - 1; k *= 2) {
    starts.push_back(k);
    if (k >= 2 && k + k / 2 <= length - 1) starts.push_back(k + k / 2);
  }
  return starts;
}

PositionAccumulator::PositionAccumulator(int64_t length) : starts_(position_bucket_starts(length)) {
  if (length < 2) throw Error("PositionAccumulator: length " + std::to_string(length) + " has no prediction");
  bucket_of_.assign(static_cast<std::size_t>(length), -1);
  std::size_t b = 0;
  for (int64_t p = 1; p < length; ++p) {
    while (b + 1 < starts_.size() && starts_[b + 1] <= p) ++b;
    bucket_of_[static_cast<std::size_t>(p)] = static_cast<int32_t>(b);
  }
  nll_sums_.assign(starts_.size(), 0.0);
  counts_.assign(starts_.size(), 0);
}

void PositionAccumulator::add(int64_t position, double nll) {
  if (position < 1 || position >= static_cast<int64_t>(bucket_of_.size()))
    throw Error("PositionAccumulator: position " + std::to_string(position) + " outside 1.." +
                std::to_string(bucket_of_.size() - 1));
  const auto b = static_cast<std::size_t>(bucket_of_[static_cast<std::size_t>(position)]);
  nll_sums_[b] += nll;
  ++counts_[b];
}

}  // namespace rb::reports
