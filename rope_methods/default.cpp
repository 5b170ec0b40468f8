// default: the original RoPE (Su et al. 2021, "RoFormer", arXiv:2104.09864).
//
//   inv_freq[i] = 1 / theta^(2i/d),  i = 0 .. d/2-1,  d = rotary_dim;  attention_scaling = 1
//
// Reference: transformers 5.17 models/llama/modeling_llama.py, LlamaRotaryEmbedding
// .compute_default_rope_parameters (Phi3's copy of it for partial_rotary_factor < 1):
//   inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float) / dim))   -- float32
// "original_max_position_embeddings" is accepted and ignored, as transformers does.
#include "rope_methods/method_common.hpp"

namespace rb::rope::detail {

std::unique_ptr<RopeMethod> make_default(Params& p, const MethodContext& ctx) {
  p.ignore("original_max_position_embeddings");
  return std::make_unique<StaticRope>("default", base_config("default", ctx, p),
                                      torch_f32::inv_freq(static_cast<float>(ctx.info.rope_theta), ctx.rotary_dim));
}

}  // namespace rb::rope::detail
