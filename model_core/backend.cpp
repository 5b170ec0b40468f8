#include "model_core/backend.hpp"

#include <algorithm>

#include "common/error.hpp"
#ifdef ROPEBATCH_HAVE_CUDA
#include "model_core/cuda/cuda_backend.hpp"
#endif

namespace rb {

std::unique_ptr<Backend> make_backend(const Model& model, const BackendOptions& opts) {
  if (opts.kind == "cpu") return make_cpu_backend(model, opts);
  if (opts.kind == "cuda") {
    if (opts.qk_probe) throw Error("the q/k probe (Q-ROAR's tail diagnostics) runs on the CPU backend only");
#ifdef ROPEBATCH_HAVE_CUDA
    return make_cuda_backend(model, opts);
#else
    throw Error("--backend cuda: this ropebatch was built without the CUDA backend (no CUDA compiler at build time)");
#endif
  }
  throw Error("--backend: unknown backend '" + opts.kind + "'; allowed: cpu, cuda");
}

std::vector<WindowScores> score_padded(Backend& backend, const std::vector<std::span<const int32_t>>& windows,
                                       const SchedulesAt& schedules_at) {
  std::vector<WindowScores> out(windows.size());
  int64_t longest = 0;
  for (const auto& w : windows) longest = std::max<int64_t>(longest, static_cast<int64_t>(w.size()));
  if (longest < 2) return out;
  const rope::RopeSchedules at_longest = schedules_at(longest);
  std::vector<std::vector<int32_t>> padded;
  std::vector<std::size_t> padded_index;
  padded.reserve(windows.size());
  for (std::size_t i = 0; i < windows.size(); ++i) {
    const auto& w = windows[i];
    const auto n = static_cast<int64_t>(w.size());
    if (n < 2) continue;  // nothing to score
    if (n < longest) {
      const rope::RopeSchedules own = schedules_at(n);
      if (!rope::is_prefix_of(own, at_longest)) {
        out[i] = backend.score({w}, own).at(0);
        continue;
      }
    }
    padded.emplace_back(w.begin(), w.end());
    padded.back().resize(static_cast<std::size_t>(longest), w.back());
    padded_index.push_back(i);
  }
  if (!padded.empty()) {
    std::vector<std::span<const int32_t>> spans(padded.begin(), padded.end());
    std::vector<WindowScores> scores = backend.score(spans, at_longest);
    for (std::size_t k = 0; k < padded_index.size(); ++k) {
      WindowScores& s = scores.at(k);
      const std::size_t keep = windows[padded_index[k]].size() - 1;
      s.logprob.resize(keep);
      s.is_argmax.resize(keep);
      out[padded_index[k]] = std::move(s);
    }
  }
  return out;
}

}  // namespace rb
