// sigmoid: OUR definition (the study that evaluated a "sigmoid" frequency schedule gives no closed form).
// Bands are interpolated by a factor that rises smoothly from 1 (high frequencies) to omf (low ones):
//
//   r_i = i / (d/2 - 1),   w_i = 1 / (1 + exp(-k (r_i - m)))
//   inv_freq[i] = theta^(-2i/d) * (1 - w_i * (1 - omf));   attention_scaling = 1
//
// theta^(-2i/d) is the default inv_freq (float32 as transformers); the weight product is formed in
// double and rounded to float32 once.
// Parameters: k (steepness, default 8, >= 0), m (midpoint in r, default 0.5), omf (the factor reached by
// the lowest frequency, default 0.3, in (0, 1]), rope_theta (default: the model's).
#include "rope_methods/method_common.hpp"

namespace rb::rope::detail {

std::unique_ptr<RopeMethod> make_sigmoid(Params& p, const MethodContext& ctx) {
  const double k = p.number("k", "a number >= 0").value_or(8.0);
  require_at_least(p, "k", k, 0.0);
  const double m = p.number("m", "a number").value_or(0.5);
  const double omf = p.number("omf", "a number in (0, 1]").value_or(0.3);
  if (!(omf > 0.0 && omf <= 1.0)) p.fail("omf", num(omf) + " is outside (0, 1]; allowed: a number in (0, 1]");
  const int64_t half = ctx.rotary_dim / 2;
  if (half < 2) p.fail("partial_rotary_factor", "sigmoid needs rotary_dim >= 4 (r_i = i / (d/2 - 1)); allowed: a larger factor");

  std::vector<float> inv_freq = torch_f32::inv_freq(static_cast<float>(ctx.info.rope_theta), ctx.rotary_dim);
  for (int64_t i = 0; i < half; ++i) {
    const double w = sigmoid_weight(i, half, k, m);
    inv_freq[static_cast<std::size_t>(i)] =
        static_cast<float>(static_cast<double>(inv_freq[static_cast<std::size_t>(i)]) * (1.0 - w * (1.0 - omf)));
  }
  nlohmann::json config = base_config("sigmoid", ctx, p);
  config["k"] = k;
  config["m"] = m;
  config["omf"] = omf;
  return std::make_unique<StaticRope>("sigmoid", std::move(config), std::move(inv_freq));
}

}  // namespace rb::rope::detail
