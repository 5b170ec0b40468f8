// qwen1: Qwen-1's inference-time context extension (Bai et al. 2023, "Qwen Technical Report",
// arXiv:2309.16609, section 2.3): dynamic NTK with a power-of-two alpha, plus LogN attention scaling.
//
//   alpha = max(2^ceil(log2(L / S) + 1) - 1, 1)        (1 when use_dynamic_ntk is false)
//   theta' = theta * alpha^(d / (d - 2));   inv_freq[i] = 1 / theta'^(2i/d)
//   query_scale[t] = ln(t + 1) / ln(S) if t + 1 > S else 1   (only when use_logn_attn and L > S)
//   attention_scaling = 1;  L = window length, S = seq_length (the training length)
//
// Transcribed from Qwen-7B's modeling_qwen.py (remote code; not part of transformers):
//   QWenModel.get_ntk_alpha:   context_value = math.log(true_seq_len / self.seq_length, 2) + 1
//                              ntk_alpha = 2 ** math.ceil(context_value) - 1;  ntk_alpha = max(ntk_alpha, 1)
//   RotaryEmbedding.update_rotary_pos_emb_cache:
//                              base = self.base * ntk_alpha ** (self.dim / (self.dim - 2))
//                              inv_freq = 1.0 / (base ** (torch.arange(0, self.dim, 2).float() / self.dim))
//   QWenAttention:             logn_list = [math.log(i, self.seq_length) if i > self.seq_length else 1
//                                           for i in range(1, 32768)];  query *= logn_tensor[t]
// Python's math.log(x, b) is ln(x) / ln(b) in double; alpha and theta' are doubles; inv_freq float32 as
// torch; query_scale rounded to float32 (torch.tensor(logn_list)). Positions t >= 32767, past Qwen's table,
// continue the same formula. tests/fixtures/make_rope_fixtures.py holds the same transcription.
// Parameters: seq_length (integer >= 2, default: the model's max_position_embeddings),
// use_dynamic_ntk (true), use_logn_attn (true), rope_theta (default: the model's).
#include <cmath>

#include "rope_methods/method_common.hpp"

namespace rb::rope::detail {
namespace {

class Qwen1 final : public NamedMethod {
 public:
  Qwen1(nlohmann::json config, const MethodContext& ctx, int64_t seq_length, bool dynamic_ntk, bool logn)
      : NamedMethod("qwen1", std::move(config)),
        theta_(ctx.info.rope_theta),
        dim_(ctx.rotary_dim),
        seq_length_(seq_length),
        dynamic_ntk_(dynamic_ntk),
        logn_(logn) {}

  double ntk_alpha(int64_t seq_len) const {
    if (!dynamic_ntk_) return 1.0;
    const double context_value =
        std::log(static_cast<double>(seq_len) / static_cast<double>(seq_length_)) / std::log(2.0) + 1.0;
    const double alpha = std::pow(2.0, std::ceil(context_value)) - 1.0;
    return std::max(alpha, 1.0);
  }

  RopeSchedule schedule(int64_t seq_len) const override {
    check_seq_len(seq_len);
    RopeSchedule s;
    const double d = static_cast<double>(dim_);
    const double base = theta_ * std::pow(ntk_alpha(seq_len), d / (d - 2.0));
    s.inv_freq = torch_f32::inv_freq(static_cast<float>(base), dim_);
    s.positions = identity_positions(seq_len);
    if (logn_ && seq_len > seq_length_) {
      const double log_s = std::log(static_cast<double>(seq_length_));
      s.query_scale.assign(static_cast<std::size_t>(seq_len), 1.0f);
      for (int64_t t = seq_length_; t < seq_len; ++t)  // t + 1 > S
        s.query_scale[static_cast<std::size_t>(t)] = static_cast<float>(std::log(static_cast<double>(t + 1)) / log_s);
    }
    return s;
  }

 private:
  double theta_;
  int64_t dim_, seq_length_;
  bool dynamic_ntk_, logn_;
};

}  // namespace

std::unique_ptr<RopeMethod> make_qwen1(Params& p, const MethodContext& ctx) {
  const int64_t seq_length = p.integer("seq_length", "an integer >= 2").value_or(ctx.info.max_position_embeddings);
  if (seq_length < 2) p.fail("seq_length", std::to_string(seq_length) + " is below 2; allowed: an integer >= 2");
  const bool dynamic_ntk = p.boolean("use_dynamic_ntk").value_or(true);
  const bool logn = p.boolean("use_logn_attn").value_or(true);
  if (ctx.rotary_dim < 4) p.fail("partial_rotary_factor", "qwen1 needs rotary_dim >= 4 (d / (d - 2)); allowed: a larger factor");

  nlohmann::json config = base_config("qwen1", ctx, p);
  config["seq_length"] = seq_length;
  config["use_dynamic_ntk"] = dynamic_ntk;
  config["use_logn_attn"] = logn;
  return std::make_unique<Qwen1>(std::move(config), ctx, seq_length, dynamic_ntk, logn);
}

}  // namespace rb::rope::detail
