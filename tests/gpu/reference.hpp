#pragma once
// Plain CPU references of the CUDA kernels (double accumulation, the kernels' documented
// rounding steps applied with `round` = round_bf16 or round_half), for tests/gpu.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace rbtest {

using RoundFn = float (*)(float);

// residual += delta (rounded when round_residual); out = round(w * round(x * rsqrt(mean x^2 + eps))).
// offset 0: LlamaRMSNorm (the normed value rounded, times w in T); offset 1: Gemma3RMSNorm
// ((x * inv) * (1 + w) in fp32, rounded once).
inline void rmsnorm_ref(std::vector<float>& residual, const std::vector<float>* delta, const std::vector<float>& w,
                        std::vector<float>& out, int64_t rows, int64_t hidden, float eps, bool round_residual,
                        RoundFn round, float offset = 0.0f) {
  out.assign(rows * hidden, 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    float* x = residual.data() + r * hidden;
    double ss = 0.0;
    for (int64_t i = 0; i < hidden; ++i) {
      if (delta) {
        float v = x[i] + (*delta)[r * hidden + i];
        x[i] = round_residual ? round(v) : v;
      }
      ss += static_cast<double>(x[i]) * x[i];
    }
    const double inv = 1.0 / std::sqrt(ss / hidden + eps);
    for (int64_t i = 0; i < hidden; ++i)
      out[r * hidden + i] = offset == 0.0f ? round(w[i] * round(static_cast<float>(x[i] * inv)))
                                           : round(static_cast<float>(x[i] * inv * (offset + w[i])));
  }
}

struct RopeRefArgs {
  int64_t rows, seq_len, heads, kv_heads, head_dim, rotary_dim;
  std::vector<float> inv_freq, positions, query_scale, q_band, k_band;  // empty = absent
  float attention_scaling = 1.0f;
  const std::vector<float>* bias = nullptr;
};

// In place on qkv [rows, (H + 2 KV) * D], the rope.cu contract.
inline void rope_ref(std::vector<float>& qkv, const RopeRefArgs& a, RoundFn round) {
  const int64_t D = a.head_dim, half = a.rotary_dim / 2, width = (a.heads + 2 * a.kv_heads) * D;
  for (int64_t r = 0; r < a.rows; ++r) {
    const int64_t t = r % a.seq_len;
    float* x = qkv.data() + r * width;
    if (a.bias)
      for (int64_t j = 0; j < width; ++j) x[j] = round(x[j] + (*a.bias)[j]);
    const double qs = a.query_scale.empty() ? 1.0 : a.query_scale[t];
    for (int64_t h = 0; h < a.heads + a.kv_heads; ++h) {
      const bool is_q = h < a.heads;
      float* y = x + h * D;
      for (int64_t i = 0; i < half; ++i) {
        const float angle = a.inv_freq[i] * a.positions[t];  // fp32 product
        const double c = std::cos(static_cast<double>(angle)) * a.attention_scaling;
        const double s = std::sin(static_cast<double>(angle)) * a.attention_scaling;
        double scale = is_q ? qs * (a.q_band.empty() ? 1.0 : a.q_band[i]) : (a.k_band.empty() ? 1.0 : a.k_band[i]);
        const double x1 = y[i], x2 = y[i + half];
        y[i] = round(static_cast<float>((x1 * c - x2 * s) * scale));
        y[i + half] = round(static_cast<float>((x2 * c + x1 * s) * scale));
      }
      if (is_q && qs != 1.0)
        for (int64_t d = a.rotary_dim; d < D; ++d) y[d] = round(static_cast<float>(y[d] * qs));
    }
  }
}

// silu, or (gelu_tanh) 0.5 g (1 + tanh(sqrt(2/pi) (g + 0.044715 g^3))), in double.
inline void swiglu_ref(const std::vector<float>& gate_up, std::vector<float>& out, int64_t rows, int64_t ff,
                       bool hf_rounding, RoundFn round, bool gelu_tanh = false) {
  out.assign(rows * ff, 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < ff; ++j) {
      const double g = gate_up[r * 2 * ff + j], u = gate_up[r * 2 * ff + ff + j];
      float act = static_cast<float>(gelu_tanh ? 0.5 * g * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (g + 0.044715 * g * g * g)))
                                               : g / (1.0 + std::exp(-g)));
      if (hf_rounding) act = round(act);
      out[r * ff + j] = round(static_cast<float>(act * u));
    }
}

struct AttnRefShape {
  int64_t batch, seq_len, heads, kv_heads, head_dim;
  int64_t q_stride, kv_stride;  // elements between rows
  int64_t window = 0;           // > 0: keys t - window < j <= t only (a sliding window)
};

// Causal attention of one output row (window b, position t, head h) in double, the mask as a
// plain loop bound.
inline std::vector<double> attention_row_ref(const std::vector<float>& q, const std::vector<float>& k,
                                             const std::vector<float>& v, const AttnRefShape& s, int64_t b, int64_t t,
                                             int64_t h) {
  const int64_t D = s.head_dim, g = h / (s.heads / s.kv_heads);
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  const float* qr = q.data() + (b * s.seq_len + t) * s.q_stride + h * D;
  const int64_t lo = s.window > 0 ? std::max<int64_t>(0, t - s.window + 1) : 0;
  std::vector<double> logits(t + 1, -std::numeric_limits<double>::infinity());
  double mx = -std::numeric_limits<double>::infinity();
  for (int64_t j = lo; j <= t; ++j) {
    const float* kr = k.data() + (b * s.seq_len + j) * s.kv_stride + g * D;
    double acc = 0.0;
    for (int64_t d = 0; d < D; ++d) acc += static_cast<double>(qr[d]) * kr[d];
    logits[j] = acc * scale;
    mx = std::max(mx, logits[j]);
  }
  double sum = 0.0;
  for (double& x : logits) sum += (x = std::exp(x - mx));  // exp(-inf) = 0 off the window
  std::vector<double> out(D, 0.0);
  for (int64_t j = lo; j <= t; ++j) {
    const float* vr = v.data() + (b * s.seq_len + j) * s.kv_stride + g * D;
    for (int64_t d = 0; d < D; ++d) out[d] += logits[j] / sum * vr[d];
  }
  return out;
}

struct LmRef {
  std::vector<double> logprob;
  std::vector<uint8_t> is_argmax;
  std::vector<double> margin;  // best logit - second best (ties make argmax ambiguous)
};

// x [rows, hidden], w [vocab, hidden]; logits rounded with `round` when round_logits.
inline LmRef lm_head_ref(const std::vector<float>& x, const std::vector<float>& w, const std::vector<int32_t>& targets,
                         int64_t rows, int64_t hidden, int64_t vocab, bool round_logits, RoundFn round) {
  LmRef r;
  r.logprob.resize(rows);
  r.is_argmax.resize(rows);
  r.margin.resize(rows);
  std::vector<double> logits(vocab);
  for (int64_t i = 0; i < rows; ++i) {
    double mx = -std::numeric_limits<double>::infinity(), second = mx;
    int64_t best = 0;
    for (int64_t c = 0; c < vocab; ++c) {
      double acc = 0.0;
      for (int64_t k = 0; k < hidden; ++k) acc += static_cast<double>(x[i * hidden + k]) * w[c * hidden + k];
      logits[c] = round_logits ? round(static_cast<float>(acc)) : acc;
      if (logits[c] > mx) {
        second = mx;
        mx = logits[c];
        best = c;
      } else if (logits[c] > second) {
        second = logits[c];
      }
    }
    double sum = 0.0;
    for (double l : logits) sum += std::exp(l - mx);
    const int32_t tg = targets[i];
    r.logprob[i] = tg >= 0 ? logits[tg] - (mx + std::log(sum)) : 0.0;
    r.is_argmax[i] = tg >= 0 && best == tg;
    r.margin[i] = mx - second;
  }
  return r;
}

}  // namespace rbtest
