#include "harness/scoring.hpp"

#include <chrono>
#include <cmath>
#include <span>

#include "common/error.hpp"

namespace rb {

LengthResult score_windows(Backend& backend, const cli::ModelRope& rope, const std::vector<int32_t>& tokens,
                           const std::vector<data::Window>& windows, int64_t length,
                           const ScoringProgress& on_batch) {
  return score_windows(backend, rope.schedules(length), tokens, windows, length, on_batch);
}

LengthResult score_windows(Backend& backend, const rope::RopeSchedules& schedule, const std::vector<int32_t>& tokens,
                           const std::vector<data::Window>& windows, int64_t length,
                           const ScoringProgress& on_batch) {
  const auto t0 = std::chrono::steady_clock::now();
  LengthResult r;
  r.length = length;
  const int64_t batch = std::max<int64_t>(1, backend.preferred_batch(length));
  for (size_t first = 0; first < windows.size(); first += batch) {
    const size_t last = std::min(windows.size(), first + static_cast<size_t>(batch));
    std::vector<std::span<const int32_t>> spans;
    for (size_t w = first; w < last; ++w) {
      if (static_cast<int64_t>(windows[w].length) != length || windows[w].start + length > tokens.size())
        throw Error("internal: window out of range");
      spans.emplace_back(tokens.data() + windows[w].start, static_cast<size_t>(length));
    }
    const std::vector<WindowScores> scores = backend.score(spans, schedule);
    for (size_t w = first; w < last; ++w) {
      const WindowScores& s = scores[w - first];
      double nll = 0.0;
      int64_t n = 0;
      for (int64_t t = static_cast<int64_t>(windows[w].score_from); t < length - 1; ++t, ++n) nll -= s.logprob[t];
      if (!std::isfinite(nll))
        throw Error("non-finite log-likelihood in the window at token " + std::to_string(windows[w].start) +
                    " (length " + std::to_string(length) + ")");
      r.window_nll.push_back(nll);
      r.window_predictions.push_back(n);
      r.nll_sum += nll;
      r.predictions += n;
    }
    if (on_batch) {
      r.windows = static_cast<int64_t>(last);
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      on_batch(r);
    }
  }
  r.windows = static_cast<int64_t>(windows.size());
  r.ppl = r.predictions > 0 ? std::exp(r.nll_sum / static_cast<double>(r.predictions)) : NAN;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace rb
