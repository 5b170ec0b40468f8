// yarn: YaRN (Peng, Quesnelle, Fan, Shippole 2023, "YaRN: Efficient Context Window Extension of Large
// Language Models", arXiv:2309.00071), "NTK-by-parts" interpolation plus attention temperature.
//
//   pos_freq[i] = theta^(2i/d),  extrapolation[i] = 1 / pos_freq[i],  interpolation[i] = 1 / (s * pos_freq[i])
//   correction dim for r rotations:  c(r) = d * ln(N / (2 pi r)) / (2 ln theta)
//   low = c(beta_fast), high = c(beta_slow)  (floor / ceil when truncate), clamped to [0, d - 1]
//   ramp[i] = clamp((i - low) / (high - low), 0, 1)   (high += 0.001 when low == high)
//   w[i] = 1 - ramp[i];   inv_freq[i] = interpolation[i] * (1 - w[i]) + extrapolation[i] * w[i]
//   attention_scaling = attention_factor, default
//       get_mscale(s, mscale) / get_mscale(s, mscale_all_dim)  when both mscale and mscale_all_dim are set,
//       get_mscale(s) otherwise;   get_mscale(s, m = 1) = 1 if s <= 1 else 0.1 m ln(s) + 1
//   N = original_max_position_embeddings (default: the model's max_position_embeddings), s = factor
//
// Reference: transformers 5.17 modeling_rope_utils.py, _compute_yarn_parameters (get_mscale,
// find_correction_dim, find_correction_range, linear_ramp_factor). The correction range is computed in
// double (Python math), everything on tensors in float32, in torch's order of operations.
// Parameters: factor (required, >= 1), original_max_position_embeddings (integer >= 1), beta_fast (32),
// beta_slow (1) with beta_fast > beta_slow > 0, mscale, mscale_all_dim (> 0), attention_factor (> 0),
// truncate (true).
#include <algorithm>
#include <cmath>
#include <numbers>

#include "rope_methods/method_common.hpp"

namespace rb::rope::detail {
namespace {

double get_mscale(double scale, double mscale = 1.0) {
  if (scale <= 1.0) return 1.0;
  return 0.1 * mscale * std::log(scale) + 1.0;
}

// find_correction_dim: (dim * math.log(max_pos / (num_rotations * 2 * math.pi))) / (2 * math.log(base))
double correction_dim(double rotations, int64_t dim, double base, int64_t max_positions) {
  return (static_cast<double>(dim) * std::log(static_cast<double>(max_positions) / (rotations * 2.0 * std::numbers::pi))) /
         (2.0 * std::log(base));
}

}  // namespace

std::unique_ptr<RopeMethod> make_yarn(Params& p, const MethodContext& ctx) {
  const double factor = p.required_number("factor", "a number >= 1");
  require_factor(p, "factor", factor);
  const int64_t original =
      p.integer("original_max_position_embeddings", "an integer >= 1").value_or(ctx.info.max_position_embeddings);
  if (original < 1)
    p.fail("original_max_position_embeddings", std::to_string(original) + " is below 1; allowed: an integer >= 1");
  const double beta_fast = p.number("beta_fast", "a number > beta_slow").value_or(32.0);
  const double beta_slow = p.number("beta_slow", "a number > 0").value_or(1.0);
  require_above(p, "beta_slow", beta_slow, 0.0);
  if (!(beta_fast > beta_slow))
    p.fail("beta_fast", num(beta_fast) + " is not above beta_slow = " + num(beta_slow) + "; allowed: a number > beta_slow");
  const std::optional<double> mscale = p.number("mscale", "a number > 0");
  const std::optional<double> mscale_all_dim = p.number("mscale_all_dim", "a number > 0");
  if (mscale) require_above(p, "mscale", *mscale, 0.0);
  if (mscale_all_dim) require_above(p, "mscale_all_dim", *mscale_all_dim, 0.0);
  std::optional<double> attention_factor = p.number("attention_factor", "a number > 0");
  if (attention_factor) require_above(p, "attention_factor", *attention_factor, 0.0);
  const bool truncate = p.boolean("truncate").value_or(true);

  const bool attention_factor_given = attention_factor.has_value();
  if (!attention_factor) {
    if (mscale && mscale_all_dim)
      attention_factor = get_mscale(factor, *mscale) / get_mscale(factor, *mscale_all_dim);
    else
      attention_factor = get_mscale(factor);
  }

  const int64_t dim = ctx.rotary_dim;
  const double base = ctx.info.rope_theta;
  double low = correction_dim(beta_fast, dim, base, original);
  double high = correction_dim(beta_slow, dim, base, original);
  if (truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dim - 1));
  if (low == high) high += 0.001;  // linear_ramp_factor: "Prevent singularity"

  const std::vector<float> pos_freqs = torch_f32::pos_freqs(static_cast<float>(base), dim);
  const float f_factor = static_cast<float>(factor);
  const float f_low = static_cast<float>(low);
  const float f_span = static_cast<float>(high - low);
  std::vector<float> inv_freq(pos_freqs.size());
  for (std::size_t i = 0; i < pos_freqs.size(); ++i) {
    const float extrapolation = 1.0f / pos_freqs[i];
    const float interpolation = 1.0f / (f_factor * pos_freqs[i]);
    const float ramp = std::clamp((static_cast<float>(i) - f_low) / f_span, 0.0f, 1.0f);
    const float extrapolation_weight = 1.0f - ramp;
    inv_freq[i] = interpolation * (1.0f - extrapolation_weight) + extrapolation * extrapolation_weight;
  }

  nlohmann::json config = base_config("yarn", ctx, p);
  config["factor"] = factor;
  config["original_max_position_embeddings"] = original;
  config["beta_fast"] = beta_fast;
  config["beta_slow"] = beta_slow;
  config["mscale"] = mscale ? nlohmann::json(*mscale) : nlohmann::json(nullptr);
  config["mscale_all_dim"] = mscale_all_dim ? nlohmann::json(*mscale_all_dim) : nlohmann::json(nullptr);
  config["attention_factor"] = *attention_factor;
  config["attention_factor_given"] = attention_factor_given;
  config["truncate"] = truncate;
  config["correction_range"] = {low, high};
  return std::make_unique<StaticRope>("yarn", std::move(config), std::move(inv_freq),
                                      static_cast<float>(*attention_factor));
}

}  // namespace rb::rope::detail
