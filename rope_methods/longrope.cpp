// longrope: LongRoPE (Ding et al. 2024, "LongRoPE: Extending LLM Context Window Beyond 2 Million
// Tokens", arXiv:2402.13753), as used by Phi-3: searched per-band rescale factors.
//
//   lambda = long_factor if L > N else short_factor      (L = window length, N = original context)
//   inv_freq[i] = 1 / (lambda[i] * theta^(2i/d))
//   s = factor, default max_position_embeddings / N
//   attention_scaling = attention_factor, default 1 if s <= 1 else sqrt(1 + ln(s) / ln(N))
//   N = original_max_position_embeddings, default: the model's max_position_embeddings
//
// Reference: transformers 5.17 modeling_rope_utils.py, _compute_longrope_parameters, reached through
// dynamic_rope_update's longrope_frequency_update (seq_len = max(position_ids) + 1 = L; the long factors
// once L > N). float32 as torch: ext = float32(list); inv_freq = 1.0 / (ext * base ** (arange(0, d, 2).float() / d)).
// Parameters: short_factor, long_factor (required, d/2 numbers > 0 each), original_max_position_embeddings
// (integer >= 1), factor (>= 1), attention_factor (> 0).
#include <cmath>

#include "rope_methods/method_common.hpp"

namespace rb::rope::detail {
namespace {

class LongRope final : public NamedMethod {
 public:
  LongRope(nlohmann::json config, std::vector<float> short_inv_freq, std::vector<float> long_inv_freq,
           int64_t original, float attention_scaling)
      : NamedMethod("longrope", std::move(config)),
        short_(std::move(short_inv_freq)),
        long_(std::move(long_inv_freq)),
        original_(original),
        attention_scaling_(attention_scaling) {}

  RopeSchedule schedule(int64_t seq_len) const override {
    check_seq_len(seq_len);
    RopeSchedule s;
    s.inv_freq = seq_len > original_ ? long_ : short_;
    s.attention_scaling = attention_scaling_;
    s.positions = identity_positions(seq_len);
    return s;
  }

 private:
  std::vector<float> short_, long_;
  int64_t original_;
  float attention_scaling_;
};

std::vector<double> factor_list(Params& p, const std::string& key, int64_t half) {
  const std::string allowed = "a list of " + std::to_string(half) + " numbers > 0 (rotary_dim / 2)";
  auto list = p.number_list(key, allowed);
  if (!list) p.fail(key, "missing: longrope needs it; allowed: " + allowed);
  if (static_cast<int64_t>(list->size()) != half)
    p.fail(key, "has " + std::to_string(list->size()) + " numbers; allowed: " + allowed);
  for (std::size_t i = 0; i < list->size(); ++i)
    if (!((*list)[i] > 0.0)) p.fail(key, "element " + std::to_string(i) + " is " + num((*list)[i]) + "; allowed: " + allowed);
  return *list;
}

std::vector<float> scaled_inv_freq(const std::vector<float>& pos_freqs, const std::vector<double>& factors) {
  std::vector<float> out(pos_freqs.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = 1.0f / (static_cast<float>(factors[i]) * pos_freqs[i]);
  return out;
}

}  // namespace

std::unique_ptr<RopeMethod> make_longrope(Params& p, const MethodContext& ctx) {
  const int64_t half = ctx.rotary_dim / 2;
  const std::vector<double> short_factor = factor_list(p, "short_factor", half);
  const std::vector<double> long_factor = factor_list(p, "long_factor", half);
  const int64_t original =
      p.integer("original_max_position_embeddings", "an integer >= 1").value_or(ctx.info.max_position_embeddings);
  if (original < 1)
    p.fail("original_max_position_embeddings", std::to_string(original) + " is below 1; allowed: an integer >= 1");
  std::optional<double> factor = p.number("factor", "a number >= 1");
  if (factor) require_factor(p, "factor", *factor);
  std::optional<double> attention_factor = p.number("attention_factor", "a number > 0");
  if (attention_factor) require_above(p, "attention_factor", *attention_factor, 0.0);

  if (!factor) factor = static_cast<double>(ctx.info.max_position_embeddings) / static_cast<double>(original);
  if (!attention_factor) {
    if (*factor <= 1.0 || original <= 1)
      attention_factor = 1.0;
    else
      attention_factor = std::sqrt(1.0 + std::log(*factor) / std::log(static_cast<double>(original)));
  }

  const std::vector<float> pos_freqs = torch_f32::pos_freqs(static_cast<float>(ctx.info.rope_theta), ctx.rotary_dim);
  nlohmann::json config = base_config("longrope", ctx, p);
  config["original_max_position_embeddings"] = original;
  config["factor"] = *factor;
  config["attention_factor"] = *attention_factor;
  config["short_factor"] = short_factor;
  config["long_factor"] = long_factor;
  return std::make_unique<LongRope>(std::move(config), scaled_inv_freq(pos_freqs, short_factor),
                                    scaled_inv_freq(pos_freqs, long_factor), original,
                                    static_cast<float>(*attention_factor));
}

}  // namespace rb::rope::detail
