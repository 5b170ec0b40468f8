// llama3: Llama 3.1's frequency-dependent scaling (Meta 2024, "The Llama 3 Herd of Models",
// arXiv:2407.21783; reference code meta-llama/llama-models apply_scaling).
//
//   wavelen[i] = 2 pi / inv_freq[i]  (inv_freq = default);  lo_wl = N / low_freq_factor,  hi_wl = N / high_freq_factor
//   wavelen > lo_wl:           inv_freq[i] / s                       (low frequencies: interpolate)
//   wavelen < hi_wl:           inv_freq[i]                           (high frequencies: keep)
//   otherwise:  a = (N / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
//               (1 - a) * inv_freq[i] / s + a * inv_freq[i]
//   attention_scaling = 1;  N = original_max_position_embeddings, s = factor
//
// Reference: transformers 5.17 modeling_rope_utils.py, _compute_llama3_parameters. float32 as torch:
// "2 * math.pi / inv_freq" is Tensor.__rtruediv__ = inv_freq.reciprocal() * float(2 pi); likewise
// "old_context_len / wavelen"; the comparisons with lo_wl / hi_wl happen in float32.
// Parameters: factor (>= 1), low_freq_factor (> 0), high_freq_factor (> low_freq_factor),
// original_max_position_embeddings (integer >= 1), all required (transformers defaults N to
// max_position_embeddings, which for a Llama-3.1 config is the extended length: we ask for it).
#include <numbers>

#include "rope_methods/method_common.hpp"

namespace rb::rope::detail {

std::unique_ptr<RopeMethod> make_llama3(Params& p, const MethodContext& ctx) {
  const double factor = p.required_number("factor", "a number >= 1");
  require_factor(p, "factor", factor);
  const double low = p.required_number("low_freq_factor", "a number > 0");
  require_above(p, "low_freq_factor", low, 0.0);
  const double high = p.required_number("high_freq_factor", "a number > low_freq_factor");
  if (!(high > low))
    p.fail("high_freq_factor", num(high) + " is not above low_freq_factor = " + num(low) + "; allowed: a number > low_freq_factor");
  const int64_t original = p.required_integer("original_max_position_embeddings", "an integer >= 1 (the pretraining context)");
  if (original < 1)
    p.fail("original_max_position_embeddings", std::to_string(original) + " is below 1; allowed: an integer >= 1");

  const double old_context = static_cast<double>(original);
  const float low_wavelen = static_cast<float>(old_context / low);
  const float high_wavelen = static_cast<float>(old_context / high);
  const float f_factor = static_cast<float>(factor);
  const float f_two_pi = static_cast<float>(2.0 * std::numbers::pi);
  const float f_old = static_cast<float>(old_context);
  const float f_low = static_cast<float>(low);
  const float f_span = static_cast<float>(high - low);

  std::vector<float> inv_freq = torch_f32::inv_freq(static_cast<float>(ctx.info.rope_theta), ctx.rotary_dim);
  for (float& v : inv_freq) {
    const float wavelen = (1.0f / v) * f_two_pi;
    const float scaled = wavelen > low_wavelen ? v / f_factor : v;
    const float smooth = ((1.0f / wavelen) * f_old - f_low) / f_span;
    const float smoothed = (1.0f - smooth) * scaled / f_factor + smooth * scaled;
    const bool medium = !(wavelen < high_wavelen) && !(wavelen > low_wavelen);
    v = medium ? smoothed : scaled;
  }

  nlohmann::json config = base_config("llama3", ctx, p);
  config["factor"] = factor;
  config["low_freq_factor"] = low;
  config["high_freq_factor"] = high;
  config["original_max_position_embeddings"] = original;
  return std::make_unique<StaticRope>("llama3", std::move(config), std::move(inv_freq));
}

}  // namespace rb::rope::detail
