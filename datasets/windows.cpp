// Window planning, after the Hugging Face transformers recipe "Perplexity of fixed-length models":
//   for begin_loc in range(0, seq_len, stride):
//       end_loc = min(begin_loc + max_length, seq_len); trg_len = end_loc - prev_end_loc
//       target_ids[:, :-trg_len] = -100
// Here only full windows are kept (begin + L <= N), so each window's new targets are its last S
// tokens (all of them for the first window). A token's prediction needs the token before it inside
// the window, so the first window scores L - 1 predictions and a later one min(S, L - 1).
#include "datasets/windows.hpp"

#include <algorithm>
#include <numeric>

#include "common/error.hpp"

namespace rb::data {

void validate(const WindowOptions& options) {
  if (options.length < 2) {
    throw InputError("windows", "length", "must be at least 2 (a window scores length - 1 predictions), got " +
                                              std::to_string(options.length));
  }
  if (options.stride) {
    if (*options.stride == 0) throw InputError("windows", "stride", "must be at least 1");
    if (*options.stride > options.length) {
      throw InputError("windows", "stride",
                       std::to_string(*options.stride) + " exceeds the window length " +
                           std::to_string(options.length) + " (tokens between windows would never be scored)");
    }
  }
  if (options.max_windows && *options.max_windows == 0) throw InputError("windows", "max_windows", "must be at least 1");
  if (options.max_tokens && *options.max_tokens == 0) throw InputError("windows", "max_tokens", "must be at least 1");
}

WindowPlan plan_windows(std::span<const std::size_t> document_lengths, const WindowOptions& options) {
  validate(options);
  const std::size_t L = options.length;
  const std::size_t S = options.stride.value_or(L);
  // Predictions of the last S tokens of a later window: targets L-S..L-1, i.e. positions L-S-1..L-2;
  // with S == L the window's first token has no predecessor inside it, so positions start at 0.
  const std::size_t later_score_from = S < L ? L - S - 1 : 0;

  std::vector<std::size_t> streams;
  if (options.per_document) {
    streams.assign(document_lengths.begin(), document_lengths.end());
  } else {
    streams.push_back(std::accumulate(document_lengths.begin(), document_lengths.end(), std::size_t{0}));
  }

  WindowPlan plan;
  for (std::size_t stream = 0; stream < streams.size(); ++stream) {
    const std::size_t n = options.max_tokens ? std::min(streams[stream], *options.max_tokens) : streams[stream];
    if (n < L) {
      ++plan.skipped_streams;
      plan.skipped_tokens += n;
      continue;
    }
    for (std::size_t start = 0; start + L <= n; start += S) {
      if (options.max_windows && plan.windows.size() == *options.max_windows) {
        plan.truncated_by_max_windows = true;
        return plan;
      }
      const Window w{stream, start, L, start == 0 ? 0 : later_score_from};
      plan.scored_predictions += w.scored();
      plan.windows.push_back(w);
    }
  }
  return plan;
}

WindowPlan plan_windows(const TokenStream& stream, const WindowOptions& options) {
  const std::vector<std::size_t> lengths = stream.document_lengths();
  return plan_windows(std::span<const std::size_t>(lengths), options);
}

}  // namespace rb::data
