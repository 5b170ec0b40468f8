// LongPPL after longppl/longppl.py (Fang et al. 2024):
//   loss_discrepancy = (loss_short - loss_full) > alpha  and  loss_full < -beta
// with loss = -logp, i.e. LSD = logp_long - logp_short > alpha and LCL = logp_long > beta
// (strict inequalities, as in the reference), and
//   longppl = exp(mean(loss_overall[key_tokens])), ppl = exp(mean(loss_overall)).
#include "datasets/longppl.hpp"

#include <cmath>
#include <string>

#include "common/error.hpp"

namespace rb::data {

std::vector<std::size_t> select_key_tokens(std::span<const double> logp_long, std::span<const double> logp_short,
                                           const LongPplOptions& options) {
  if (logp_long.size() != logp_short.size()) {
    throw InputError("longppl", "logp_short",
                     "has " + std::to_string(logp_short.size()) + " entries, logp_long " +
                         std::to_string(logp_long.size()));
  }
  std::vector<std::size_t> key;
  for (std::size_t k = 0; k < logp_long.size(); ++k) {
    if (std::isnan(logp_long[k])) throw InputError("longppl", "logp_long", "NaN at prediction " + std::to_string(k));
    if (std::isnan(logp_short[k])) continue;  // no short-context score: never a key token
    const double lsd = logp_long[k] - logp_short[k];
    const double lcl = logp_long[k];
    if (lsd > options.alpha && lcl > options.beta) key.push_back(k);
  }
  return key;
}

LongPplResult compute_longppl(std::span<const double> logp, std::span<const std::size_t> key) {
  if (logp.empty()) throw InputError("longppl", "logp", "no predictions");
  LongPplResult result;
  result.predictions = logp.size();
  double total = 0;
  for (std::size_t k = 0; k < logp.size(); ++k) {
    if (std::isnan(logp[k])) throw InputError("longppl", "logp", "NaN at prediction " + std::to_string(k));
    total += logp[k];
  }
  result.ppl = std::exp(-total / static_cast<double>(logp.size()));
  double key_total = 0;
  for (const std::size_t k : key) {
    if (k >= logp.size()) {
      throw InputError("longppl", "key", "prediction " + std::to_string(k) + " out of range (" +
                                             std::to_string(logp.size()) + " predictions)");
    }
    key_total += logp[k];
  }
  result.key_tokens = key.size();
  if (!key.empty()) result.longppl = std::exp(-key_total / static_cast<double>(key.size()));
  return result;
}

std::vector<Window> short_context_windows(std::size_t n_tokens, const LongPplOptions& options) {
  if (options.short_length < 1) throw InputError("longppl", "short_length", "must be at least 1");
  if (options.short_stride < 1) throw InputError("longppl", "short_stride", "must be at least 1");
  std::vector<Window> windows;
  for (std::size_t start = 0; start + options.short_length < n_tokens; start += options.short_stride) {
    const std::size_t end = std::min(start + options.short_length + options.short_stride, n_tokens);
    windows.push_back(Window{0, start, end - start, options.short_length - 1});
  }
  return windows;
}

}  // namespace rb::data
