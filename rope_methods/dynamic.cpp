// dynamic: dynamic NTK-aware scaling (u/bloc97 and u/emozilla, r/LocalLLaMA 2023; as in
// transformers' "dynamic" rope_type).
//
//   L <= N:  inv_freq = default
//   L >  N:  theta' = theta * ((s * L / N) - (s - 1))^(d / (d - 2));  inv_freq[i] = 1 / theta'^(2i/d)
//   with L = window length, N = the model's max_position_embeddings, s = factor; attention_scaling = 1
//
// Reference: transformers 5.17 modeling_rope_utils.py, _compute_dynamic_ntk_parameters, reached through
// dynamic_rope_update for positions 0..L-1 (seq_len = max(position_ids) + 1 = L, a 0-dim int64 tensor).
// Because seq_len is a tensor there, every step of the base computation runs in float32:
//   t = float(s) * float(L); t = t / float(N); t = t - float(s - 1);
//   t = float(pow(double(t), d / (d - 2)))   (a float32 tensor ** Python float: torch raises in double)
//   theta' = float(theta) * t
// and then inv_freq = 1 / theta' ** (arange(0, d, 2).float() / d) as for default.
// For L <= N the model keeps the inv_freq computed at init (seq_len = N), which equals default.
// transformers caches the last (largest) length; a fresh model per window is what this reproduces.
// Parameters: factor (required, >= 1). "original_max_position_embeddings" is ignored, as transformers does.
#include <cmath>

#include "rope_methods/method_common.hpp"

namespace rb::rope::detail {
namespace {

class DynamicNtk final : public NamedMethod {
 public:
  DynamicNtk(nlohmann::json config, const MethodContext& ctx, double factor)
      : NamedMethod("dynamic", std::move(config)),
        theta_(ctx.info.rope_theta),
        dim_(ctx.rotary_dim),
        max_positions_(ctx.info.max_position_embeddings),
        factor_(factor) {}

  RopeSchedule schedule(int64_t seq_len) const override {
    check_seq_len(seq_len);
    RopeSchedule s;
    s.positions = identity_positions(seq_len);
    if (seq_len <= max_positions_) {
      s.inv_freq = torch_f32::inv_freq(static_cast<float>(theta_), dim_);
      return s;
    }
    float t = static_cast<float>(factor_) * static_cast<float>(seq_len);
    t = t / static_cast<float>(max_positions_);
    t = t - static_cast<float>(factor_ - 1.0);
    const double exponent = static_cast<double>(dim_) / static_cast<double>(dim_ - 2);
    t = static_cast<float>(std::pow(static_cast<double>(t), exponent));  // torch: float tensor ** Python float
    const float base = static_cast<float>(theta_) * t;
    s.inv_freq = torch_f32::inv_freq(base, dim_);
    return s;
  }

 private:
  double theta_;
  int64_t dim_;
  int64_t max_positions_;
  double factor_;
};

}  // namespace

std::unique_ptr<RopeMethod> make_dynamic(Params& p, const MethodContext& ctx) {
  const double factor = p.required_number("factor", "a number >= 1");
  require_factor(p, "factor", factor);
  p.ignore("original_max_position_embeddings");
  if (ctx.rotary_dim < 4) p.fail("partial_rotary_factor", "dynamic needs rotary_dim >= 4 (d / (d - 2)); allowed: a larger factor");
  nlohmann::json config = base_config("dynamic", ctx, p);
  config["factor"] = factor;
  return std::make_unique<DynamicNtk>(std::move(config), ctx, factor);
}

}  // namespace rb::rope::detail
