// ntk: static NTK-aware scaling (bloc97, "NTK-Aware Scaled RoPE", r/LocalLLaMA, June 2023; described as
// "NTK-aware" interpolation in Peng et al. 2023, arXiv:2309.00071, section 3.1).
//
//   theta' = theta * s^(d / (d - 2));   inv_freq[i] = 1 / theta'^(2i/d);   attention_scaling = 1
//
// The same base change transformers' "dynamic" applies at a fixed s; theta' is computed in double (as
// _compute_dynamic_ntk_parameters does at init, with Python floats), the powers in float32 as torch.
// Parameters: factor = s (required, >= 1).
#include <cmath>

#include "rope_methods/method_common.hpp"

namespace rb::rope::detail {

std::unique_ptr<RopeMethod> make_ntk(Params& p, const MethodContext& ctx) {
  const double factor = p.required_number("factor", "a number >= 1");
  require_factor(p, "factor", factor);
  if (ctx.rotary_dim < 4) p.fail("partial_rotary_factor", "ntk needs rotary_dim >= 4 (d / (d - 2)); allowed: a larger factor");
  const double d = static_cast<double>(ctx.rotary_dim);
  const double base = ctx.info.rope_theta * std::pow(factor, d / (d - 2.0));

  nlohmann::json config = base_config("ntk", ctx, p);
  config["factor"] = factor;
  config["scaled_theta"] = base;
  return std::make_unique<StaticRope>("ntk", std::move(config), torch_f32::inv_freq(static_cast<float>(base), ctx.rotary_dim));
}

}  // namespace rb::rope::detail
