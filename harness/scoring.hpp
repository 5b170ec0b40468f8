#pragma once
// Scores the windows of one token stream at one length with a backend, and sums up perplexity.
// Shared by `eval` and `run`.
#include <cstdint>
#include <functional>
#include <vector>

#include "datasets/windows.hpp"
#include "model_core/backend.hpp"
#include "harness/model_rope.hpp"
#include "rope_methods/rope_method.hpp"

namespace rb {

struct LengthResult {
  int64_t length = 0;
  int64_t windows = 0;
  int64_t predictions = 0;
  double nll_sum = 0.0;              // summed in double, in window order
  double ppl = 0.0;                  // exp(nll_sum / predictions)
  std::vector<double> window_nll;    // per window
  std::vector<int64_t> window_predictions;
  double seconds = 0.0;
};

// Called after each batch with what is summed so far (for progress lines).
using ScoringProgress = std::function<void(const LengthResult& so_far)>;

// Mean NLL per scored prediction (0 predictions count as 1).
inline double mean_nll(const LengthResult& r) {
  return r.nll_sum / static_cast<double>(r.predictions > 0 ? r.predictions : 1);
}

// `windows` (all of `length` tokens) index into `tokens`, one stream (document 0), scored under
// `schedules` (one per RoPE schedule of the model, all of `length` positions).
LengthResult score_windows(Backend& backend, const rope::RopeSchedules& schedules, const std::vector<int32_t>& tokens,
                           const std::vector<data::Window>& windows, int64_t length,
                           const ScoringProgress& on_batch = {});
// The same under the model's RoPE methods at `length`.
LengthResult score_windows(Backend& backend, const cli::ModelRope& rope, const std::vector<int32_t>& tokens,
                           const std::vector<data::Window>& windows, int64_t length,
                           const ScoringProgress& on_batch = {});

}  // namespace rb
