// The plain reference ops: each op of model_core/decoder written as directly as possible
// (transformers' modeling_llama.py, op by op), run by the same decoder loop as every backend.
#include "model_core/cpu/naive_forward.hpp"

#include <cmath>
#include <limits>

#include "common/error.hpp"
#include "model_core/cpu/host_weights.hpp"
#include "model_core/cpu/window_checks.hpp"
#include "model_core/decoder/decoder_ops.hpp"

namespace rb::cpu {
namespace {

using Matrix = std::vector<std::vector<float>>;  // [rows][cols]
using R = TensorRole;

Matrix zeros(int64_t rows, int64_t cols) { return Matrix(rows, std::vector<float>(cols, 0.0f)); }

// nn.Linear: y[t][o] = sum_i x[t][i] * W[o][i] + b[o]
Matrix linear(const Matrix& x, const HostTensor& w, const HostTensor* bias) {
  const int64_t out = w.rows(), in = w.cols();
  Matrix y = zeros(static_cast<int64_t>(x.size()), out);
  std::vector<float> dequantized;  // a 4-bit weight: its values as the format defines them
  if (w.is_packed()) {
    dequantized.resize(static_cast<size_t>(out * in));
    w.packed->dequantize_rows(0, out, dequantized.data());
  }
  const float* wv = w.is_packed() ? dequantized.data() : w.data.data();
  for (size_t t = 0; t < x.size(); ++t) {
    for (int64_t o = 0; o < out; ++o) {
      double acc = 0.0;
      for (int64_t i = 0; i < in; ++i) acc += static_cast<double>(x[t][i]) * wv[o * in + i];
      y[t][o] = static_cast<float>(acc);
      if (bias != nullptr) y[t][o] += bias->data[o];
    }
  }
  return y;
}

// LlamaRMSNorm; Gemma3RMSNorm with offset 1: (x * rsqrt(mean(x^2) + eps)) * (1 + weight)
Matrix rms_norm(const Matrix& x, const HostTensor& weight, double eps, float offset) {
  Matrix y = x;
  for (size_t t = 0; t < x.size(); ++t) {
    double ss = 0.0;
    for (float e : x[t]) ss += static_cast<double>(e) * e;
    const float variance = static_cast<float>(ss / static_cast<double>(x[t].size()));
    const float inv = 1.0f / std::sqrt(variance + static_cast<float>(eps));
    for (size_t i = 0; i < x[t].size(); ++i) y[t][i] = (offset + weight.data[i]) * (x[t][i] * inv);
  }
  return y;
}

// apply_rotary_pos_emb on one head of one token, then the schedule's band and query scales.
void rope_head(float* x, int64_t head_dim, const rope::RopeSchedule& s, int64_t t, const std::vector<float>& band,
               float row_scale) {
  const int64_t P = static_cast<int64_t>(s.inv_freq.size());
  for (int64_t i = 0; i < P; ++i) {
    const float freq = s.inv_freq[i] * s.positions[t];
    const float c = std::cos(freq) * s.attention_scaling;
    const float sn = std::sin(freq) * s.attention_scaling;
    const float a = x[i], b = x[i + P];
    x[i] = a * c - b * sn;
    x[i + P] = b * c + a * sn;
    if (!band.empty()) {
      x[i] *= band[i];
      x[i + P] *= band[i];
    }
  }
  for (int64_t i = 0; i < head_dim; ++i) x[i] *= row_scale;
}

class NaiveOps final : public DecoderOps {
 public:
  NaiveOps(const ModelDef& def, const HostWeights& w, std::span<const int32_t> tokens, const rope::RopeSchedules& s)
      : def_(def), w_(w), tokens_(tokens), s_all_(s), L_(static_cast<int64_t>(tokens.size())) {}

  NaiveScores result;

  int64_t rows() const override { return L_; }
  int64_t mlp_chunk_rows() const override { return L_; }

  void embedding() override {
    const int64_t H = def_.config().hidden_size;
    const float* emb = w_.values(0, R::TokenEmbedding);
    x_ = zeros(L_, H);
    const float scale = static_cast<float>(def_.config().embedding_scale);  // Gemma: sqrt(hidden_size)
    for (int64_t t = 0; t < L_; ++t)
      for (int64_t i = 0; i < H; ++i) x_[t][i] = emb[tokens_[t] * H + i] * scale;
  }

  void rms_norm(int64_t layer, TensorRole role) override { n_ = norm(x_, layer, role); }

  void norm_output(int64_t layer, TensorRole role, RowRange r) override {
    if (r.begin != 0 || r.count != L_) throw Error("naive forward: output norms run on all rows");
    n_ = norm(n_, layer, role);
  }

  void add_rms_norm(int64_t layer, TensorRole role) override {
    for (int64_t t = 0; t < L_; ++t)
      for (size_t i = 0; i < x_[t].size(); ++i) x_[t][i] += n_[t][i];
    rms_norm(layer, role);
  }

  void linear(int64_t i, Proj p, RowRange r) override {
    if (r.begin != 0 || r.count != L_) throw Error("naive forward: projections run on all rows");
    switch (p) {
      case Proj::QKV:
        q_ = cpu::linear(n_, *w_.at(i, R::Q), w_.at(i, R::QBias));
        k_ = cpu::linear(n_, *w_.at(i, R::K), w_.at(i, R::KBias));
        v_ = cpu::linear(n_, *w_.at(i, R::V), w_.at(i, R::VBias));
        break;
      case Proj::O: n_ = cpu::linear(attn_, *w_.at(i, R::O), nullptr); break;
      case Proj::GateUp:
        gate_ = cpu::linear(n_, *w_.at(i, R::Gate), w_.at(i, R::GateBias));
        up_ = cpu::linear(n_, *w_.at(i, R::Up), w_.at(i, R::UpBias));
        break;
      case Proj::Down: n_ = cpu::linear(gate_, *w_.at(i, R::Down), nullptr); break;
    }
  }

  void add_bias(int64_t layer, TensorRole role, Act, RowRange) override {
    const HostTensor* b = w_.at(layer, role);
    if (b == nullptr) return;
    for (auto& row : n_)
      for (size_t o = 0; o < row.size(); ++o) row[o] += b->data[o];
  }

  void rope(int64_t schedule) override {
    const rope::RopeSchedule& s_ = s_all_.by_type.at(static_cast<size_t>(schedule));
    const int64_t D = def_.config().head_dim, nh = def_.dims().heads, nkv = def_.dims().kv_heads;
    for (int64_t t = 0; t < L_; ++t) {
      const float qs = s_.query_scale.empty() ? 1.0f : s_.query_scale[t];
      for (int64_t hd = 0; hd < nh; ++hd) rope_head(&q_[t][hd * D], D, s_, t, s_.q_band_scale, qs);
      for (int64_t hd = 0; hd < nkv; ++hd) rope_head(&k_[t][hd * D], D, s_, t, s_.k_band_scale, 1.0f);
    }
  }

  // Qwen3RMSNorm per head: x * rsqrt(mean(x^2) + eps) * w over each head's head_dim values
  // (Gemma3RMSNorm: * (1 + w)).
  void qk_norm(int64_t layer) override {
    const int64_t D = def_.config().head_dim;
    const double eps = def_.config().rms_norm_eps;
    const float offset = def_.config().norm_weight_offset;
    const auto norm_heads = [&](Matrix& m, int64_t heads, const HostTensor& w) {
      for (auto& row : m)
        for (int64_t h = 0; h < heads; ++h) {
          double ss = 0.0;
          for (int64_t d = 0; d < D; ++d) ss += static_cast<double>(row[h * D + d]) * row[h * D + d];
          const double inv = 1.0 / std::sqrt(ss / static_cast<double>(D) + eps);
          for (int64_t d = 0; d < D; ++d) row[h * D + d] = static_cast<float>((offset + w.data[d]) * (row[h * D + d] * inv));
        }
    };
    norm_heads(q_, def_.dims().heads, *w_.at(layer, R::QNorm));
    norm_heads(k_, def_.dims().kv_heads, *w_.at(layer, R::KNorm));
  }

  void attention(int64_t window) override {
    const int64_t L = L_, D = def_.config().head_dim, nh = def_.dims().heads, nkv = def_.dims().kv_heads;
    attn_ = zeros(L, nh * D);
    const double scale = def_.config().attention_scale();
    for (int64_t hd = 0; hd < nh; ++hd) {
      const int64_t g = hd / (nh / nkv);  // repeat_kv
      Matrix p = zeros(L, L);
      for (int64_t i = 0; i < L; ++i) {
        double mx = -std::numeric_limits<double>::infinity();
        std::vector<double> sc(L, 0.0);
        // The mask: causal (j <= i) and, for a sliding layer, j > i - window.
        const int64_t lo = window > 0 ? std::max<int64_t>(0, i - window + 1) : 0;
        for (int64_t j = lo; j <= i; ++j) {
          double dot = 0.0;
          for (int64_t d = 0; d < D; ++d) dot += static_cast<double>(q_[i][hd * D + d]) * k_[j][g * D + d];
          sc[j] = dot * scale;
          mx = std::max(mx, sc[j]);
        }
        double sum = 0.0;
        for (int64_t j = lo; j <= i; ++j) sum += std::exp(sc[j] - mx);
        for (int64_t j = lo; j <= i; ++j) p[i][j] = static_cast<float>(std::exp(sc[j] - mx) / sum);
      }
      for (int64_t i = 0; i < L; ++i)
        for (int64_t d = 0; d < D; ++d) {
          double acc = 0.0;
          for (int64_t j = 0; j <= i; ++j) acc += static_cast<double>(p[i][j]) * v_[j][g * D + d];
          attn_[i][hd * D + d] = static_cast<float>(acc);
        }
    }
  }

  // silu(g) = g * sigmoid(g); gelu_pytorch_tanh(g) = 0.5 g (1 + tanh(sqrt(2/pi) (g + 0.044715 g^3))), in double.
  void gated_act(RowRange) override {
    const bool silu = def_.config().hidden_act == Activation::Silu;
    for (int64_t t = 0; t < L_; ++t)
      for (size_t i = 0; i < gate_[t].size(); ++i) {
        const double g = gate_[t][i];
        const double a = silu ? g / (1.0 + std::exp(-g))
                              : 0.5 * g * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (g + 0.044715 * g * g * g)));
        gate_[t][i] = static_cast<float>(a) * up_[t][i];
      }
  }

  void lm_head_logprob() override {
    const int64_t V = def_.config().vocab_size;
    const Matrix logits = cpu::linear(n_, *w_.global(R::LmHead), nullptr);
    for (int64_t t = 0; t + 1 < L_; ++t) {
      const std::vector<float>& l = logits[t];
      int64_t best = 0;
      for (int64_t j = 1; j < V; ++j)
        if (l[j] > l[best]) best = j;
      float second = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < V; ++j)
        if (j != best) second = std::max(second, l[j]);
      double sum = 0.0;
      for (int64_t j = 0; j < V; ++j) sum += std::exp(static_cast<double>(l[j]) - l[best]);
      const int32_t y = tokens_[t + 1];
      result.scores.logprob.push_back(static_cast<float>(static_cast<double>(l[y]) - l[best] - std::log(sum)));
      result.scores.is_argmax.push_back(best == y ? 1 : 0);
      result.top_gap.push_back(l[best] - second);
    }
  }

 private:
  const ModelDef& def_;
  const HostWeights& w_;
  std::span<const int32_t> tokens_;
  Matrix norm(const Matrix& x, int64_t layer, TensorRole role) const {
    const HostTensor* w = is_global(role) ? w_.global(role) : w_.at(layer, role);
    return cpu::rms_norm(x, *w, def_.config().rms_norm_eps, def_.config().norm_weight_offset);
  }

  const rope::RopeSchedules& s_all_;
  int64_t L_;
  Matrix x_, n_, q_, k_, v_, attn_, gate_, up_;
};

}  // namespace

NaiveScores naive_forward(const Model& model, std::span<const int32_t> tokens, const rope::RopeSchedules& s) {
  check_schedules(model.config, s);
  check_window(model.config, tokens, 0, s.by_type.front());
  const ModelDef def(model);
  const HostWeights weights(def);
  NaiveOps ops(def, weights, tokens, s);
  run_decoder(def, ops);
  return std::move(ops.result);
}

}  // namespace rb::cpu
