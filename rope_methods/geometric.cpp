// geometric: plain RoPE with another base (the "adjusted base frequency" baselines, e.g. Xiong et al.
// 2023, "Effective Long-Context Scaling of Foundation Models", arXiv:2309.16039; Liu et al. 2023,
// "Scaling Laws of RoPE-based Extrapolation", arXiv:2310.05209).
//
//   inv_freq[i] = 1 / theta'^(2i/d),   theta' = rope_theta given in the parameters;  attention_scaling = 1
//
// Computed exactly like default (float32 as transformers). Parameters: rope_theta (required, > 1).
// geo_100k is the preset theta' = 100000 (it takes no parameters; a rope_theta other than 100000 is an error).
#include "rope_methods/method_common.hpp"

namespace rb::rope::detail {

std::unique_ptr<RopeMethod> make_geometric(Params& p, const MethodContext& ctx) {
  if (!p.has("rope_theta"))
    p.fail("rope_theta", "missing: geometric needs the new base; allowed: a number > 1 (e.g. 100000)");
  return std::make_unique<StaticRope>("geometric", base_config("geometric", ctx, p),
                                      torch_f32::inv_freq(static_cast<float>(ctx.info.rope_theta), ctx.rotary_dim));
}

std::unique_ptr<RopeMethod> make_geo_100k(Params& p, const MethodContext& ctx) {
  constexpr double kTheta = 100000.0;
  if (p.has("rope_theta") && ctx.info.rope_theta != kTheta)
    p.fail("rope_theta", num(ctx.info.rope_theta) + " contradicts geo_100k (rope_theta = 100000); allowed: "
                         "100000, or rope_type \"geometric\" with the base you want");
  MethodContext fixed = ctx;
  fixed.info.rope_theta = kTheta;
  return std::make_unique<StaticRope>("geo_100k", base_config("geo_100k", fixed, p),
                                      torch_f32::inv_freq(static_cast<float>(kTheta), ctx.rotary_dim));
}

}  // namespace rb::rope::detail
