// Plain transcription of transformers' LlamaForCausalLM.forward (modeling_llama.py), op by op.
#include "model_core/cpu/naive_forward.hpp"

#include <cmath>
#include <limits>

#include "model_core/cpu/decoder_inputs.hpp"

namespace rb::cpu {
namespace {

using Matrix = std::vector<std::vector<float>>;  // [rows][cols]

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

// LlamaRMSNorm
Matrix rms_norm(const Matrix& x, const HostTensor& weight, double eps) {
  Matrix y = x;
  for (size_t t = 0; t < x.size(); ++t) {
    double ss = 0.0;
    for (float e : x[t]) ss += static_cast<double>(e) * e;
    const float variance = static_cast<float>(ss / static_cast<double>(x[t].size()));
    const float inv = 1.0f / std::sqrt(variance + static_cast<float>(eps));
    for (size_t i = 0; i < x[t].size(); ++i) y[t][i] = weight.data[i] * (x[t][i] * inv);
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

}  // namespace

NaiveScores naive_forward(const Model& model, std::span<const int32_t> tokens, const rope::RopeSchedule& s) {
  const ModelConfig& c = model.config;
  check_schedule(c, s);
  check_window(c, tokens, 0, s);
  const DecoderWeights dw = resolve_decoder_weights(model);
  const int64_t L = static_cast<int64_t>(tokens.size());
  const int64_t H = c.hidden_size, D = c.head_dim, nh = c.num_heads, nkv = c.num_kv_heads;
  const int64_t V = c.vocab_size;

  Matrix x = zeros(L, H);
  for (int64_t t = 0; t < L; ++t)
    for (int64_t i = 0; i < H; ++i) x[t][i] = dw.embed->data[tokens[t] * H + i];

  for (const DecoderLayer& layer : dw.layers) {
    const LayerWeights& w = layer.w;
    Matrix h = rms_norm(x, *w.input_norm, c.rms_norm_eps);
    Matrix q = linear(h, *w.q_proj, w.q_bias);
    Matrix k = linear(h, *w.k_proj, w.k_bias);
    Matrix v = linear(h, *w.v_proj, w.v_bias);
    for (int64_t t = 0; t < L; ++t) {
      const float qs = s.query_scale.empty() ? 1.0f : s.query_scale[t];
      for (int64_t hd = 0; hd < nh; ++hd) rope_head(&q[t][hd * D], D, s, t, s.q_band_scale, qs);
      for (int64_t hd = 0; hd < nkv; ++hd) rope_head(&k[t][hd * D], D, s, t, s.k_band_scale, 1.0f);
    }
    Matrix attn = zeros(L, nh * D);
    const double scale = 1.0 / std::sqrt(static_cast<double>(D));
    for (int64_t hd = 0; hd < nh; ++hd) {
      const int64_t g = hd / (nh / nkv);  // repeat_kv
      Matrix p = zeros(L, L);
      for (int64_t i = 0; i < L; ++i) {
        double mx = -std::numeric_limits<double>::infinity();
        std::vector<double> sc(L, 0.0);
        for (int64_t j = 0; j <= i; ++j) {  // causal mask
          double dot = 0.0;
          for (int64_t d = 0; d < D; ++d) dot += static_cast<double>(q[i][hd * D + d]) * k[j][g * D + d];
          sc[j] = dot * scale;
          mx = std::max(mx, sc[j]);
        }
        double sum = 0.0;
        for (int64_t j = 0; j <= i; ++j) sum += std::exp(sc[j] - mx);
        for (int64_t j = 0; j <= i; ++j) p[i][j] = static_cast<float>(std::exp(sc[j] - mx) / sum);
      }
      for (int64_t i = 0; i < L; ++i)
        for (int64_t d = 0; d < D; ++d) {
          double acc = 0.0;
          for (int64_t j = 0; j <= i; ++j) acc += static_cast<double>(p[i][j]) * v[j][g * D + d];
          attn[i][hd * D + d] = static_cast<float>(acc);
        }
    }
    Matrix o = linear(attn, *w.o_proj, layer.o_bias);
    for (int64_t t = 0; t < L; ++t)
      for (int64_t i = 0; i < H; ++i) x[t][i] += o[t][i];

    Matrix h2 = rms_norm(x, *w.post_norm, c.rms_norm_eps);
    Matrix gate = linear(h2, *w.gate_proj, layer.gate_bias);
    Matrix up = linear(h2, *w.up_proj, layer.up_bias);
    for (int64_t t = 0; t < L; ++t)
      for (size_t i = 0; i < gate[t].size(); ++i) {
        const float g = gate[t][i];
        gate[t][i] = static_cast<float>(g / (1.0 + std::exp(-static_cast<double>(g)))) * up[t][i];
      }
    Matrix down = linear(gate, *w.down_proj, layer.down_bias);
    for (int64_t t = 0; t < L; ++t)
      for (int64_t i = 0; i < H; ++i) x[t][i] += down[t][i];
  }

  Matrix hf = rms_norm(x, *dw.final_norm, c.rms_norm_eps);
  Matrix logits = linear(hf, *dw.lm_head, nullptr);
  NaiveScores out;
  for (int64_t t = 0; t + 1 < L; ++t) {
    const std::vector<float>& l = logits[t];
    int64_t best = 0;
    for (int64_t j = 1; j < V; ++j)
      if (l[j] > l[best]) best = j;
    float second = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < V; ++j)
      if (j != best) second = std::max(second, l[j]);
    double sum = 0.0;
    for (int64_t j = 0; j < V; ++j) sum += std::exp(static_cast<double>(l[j]) - l[best]);
    const int32_t y = tokens[t + 1];
    out.scores.logprob.push_back(static_cast<float>(static_cast<double>(l[y]) - l[best] - std::log(sum)));
    out.scores.is_argmax.push_back(best == y ? 1 : 0);
    out.top_gap.push_back(l[best] - second);
  }
  return out;
}

}  // namespace rb::cpu
