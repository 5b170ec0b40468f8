// linear: position interpolation (Chen et al. 2023, "Extending Context Window of Large Language
// Models via Positional Interpolation", arXiv:2306.15595; kaiokendev's "SuperHOT").
//
//   positions p -> p / s, applied as inv_freq[i] = (1 / theta^(2i/d)) / s;  attention_scaling = 1
//
// Reference: transformers 5.17 modeling_rope_utils.py, _compute_linear_scaling_rope_parameters:
//   inv_freq = 1.0 / (base ** (arange(0, dim, 2).float() / dim)); inv_freq /= factor   -- float32
// Parameters: factor (required, >= 1). "original_max_position_embeddings" is ignored, as transformers does.
#include "rope_methods/method_common.hpp"

namespace rb::rope::detail {

std::unique_ptr<RopeMethod> make_linear(Params& p, const MethodContext& ctx) {
  const double factor = p.required_number("factor", "a number >= 1");
  require_factor(p, "factor", factor);
  p.ignore("original_max_position_embeddings");

  std::vector<float> inv_freq = torch_f32::inv_freq(static_cast<float>(ctx.info.rope_theta), ctx.rotary_dim);
  const float f = static_cast<float>(factor);
  for (float& v : inv_freq) v = v / f;  // true float32 division, as torch's CPU div by a scalar

  nlohmann::json config = base_config("linear", ctx, p);
  config["factor"] = factor;
  return std::make_unique<StaticRope>("linear", std::move(config), std::move(inv_freq));
}

}  // namespace rb::rope::detail
