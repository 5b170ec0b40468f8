// compress: position compression beyond a threshold, composable on top of any other method.
// OUR definition (a piecewise form of position interpolation, Chen et al. 2023, arXiv:2306.15595,
// that leaves the first T positions untouched):
//
//   p' = p                    for p <= T
//   p' = T + (p - T) / cf     for p >  T
//   everything else (inv_freq, attention_scaling, band scales) comes from the base method, asked for the
//   schedule of the effective length L' = ceil(p'_{L-1}) + 1 (= max position + 1, what transformers'
//   dynamic_rope_update would see); query_scale, which indexes tokens rather than positions (Qwen-1 LogN),
//   is taken from the base at the window length L.
//
// p' is computed in double and rounded to float32 (the model multiplies float32 positions by inv_freq).
// Parameters: compression_factor or its alias cf (required, >= 1), original_max_position_embeddings = T
// (integer >= 0, default: the model's max_position_embeddings), base (a RoPE parameter object, default
// {"rope_type": "default"}; it inherits this object's rope_theta unless it gives its own).
// Example: {"rope_type": "compress", "cf": 2, "base": {"rope_type": "yarn", "factor": 4}}
#include <cmath>

#include "rope_methods/method_common.hpp"

namespace rb::rope::detail {
namespace {

class Compress final : public NamedMethod {
 public:
  Compress(nlohmann::json config, std::unique_ptr<RopeMethod> base, double factor, int64_t threshold)
      : NamedMethod("compress+" + base->name(), std::move(config)),
        base_(std::move(base)),
        factor_(factor),
        threshold_(threshold) {}

  double compressed(int64_t p) const {
    if (p <= threshold_) return static_cast<double>(p);
    return static_cast<double>(threshold_) + static_cast<double>(p - threshold_) / factor_;
  }

  RopeSchedule schedule(int64_t seq_len) const override {
    check_seq_len(seq_len);
    const int64_t effective = static_cast<int64_t>(std::ceil(compressed(seq_len - 1))) + 1;
    RopeSchedule s = base_->schedule(effective);
    s.positions.resize(static_cast<std::size_t>(seq_len));
    for (int64_t t = 0; t < seq_len; ++t) s.positions[static_cast<std::size_t>(t)] = static_cast<float>(compressed(t));
    if (effective != seq_len) s.query_scale = base_->schedule(seq_len).query_scale;
    return s;
  }

 private:
  std::unique_ptr<RopeMethod> base_;
  double factor_;
  int64_t threshold_;
};

}  // namespace

std::unique_ptr<RopeMethod> make_compress(Params& p, const MethodContext& ctx) {
  if (p.has("cf") && p.has("compression_factor"))
    p.fail("cf", "given together with compression_factor; allowed: one of compression_factor or cf");
  const std::string key = p.has("cf") ? "cf" : "compression_factor";
  const double factor = p.required_number(key, "a number >= 1");
  require_factor(p, key, factor);
  const int64_t threshold =
      p.integer("original_max_position_embeddings", "an integer >= 0").value_or(ctx.info.max_position_embeddings);
  if (threshold < 0)
    p.fail("original_max_position_embeddings", std::to_string(threshold) + " is negative; allowed: an integer >= 0");
  const nlohmann::json base_json = p.object("base").value_or(nlohmann::json{{"rope_type", "default"}});
  // The base sees the model as this object resolved it (rope_theta / partial_rotary_factor given here apply).
  std::unique_ptr<RopeMethod> base = build_method(base_json, ctx.info, ctx.source, p.prefix() + "base.");

  nlohmann::json config = base_config("compress", ctx, p);
  config["compression_factor"] = factor;
  config["original_max_position_embeddings"] = threshold;
  config["base"] = base->config();
  return std::make_unique<Compress>(std::move(config), std::move(base), factor, threshold);
}

}  // namespace rb::rope::detail
