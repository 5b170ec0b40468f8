// The fp32 CPU reference backend: the Llama/Mistral/Qwen2 decoder of transformers'
// modeling_llama.py / modeling_qwen2.py, with OpenBLAS for every matrix product and OpenMP for the
// rest. Memory stays O(L * width): attention works per (head, query block), the MLP and the LM head
// per chunk of tokens.
#include <algorithm>
#include <cmath>
#include <cstring>

#include <omp.h>

#include "common/error.hpp"
#include "model_core/backend.hpp"
#include "model_core/cpu/cpu_kernels.hpp"
#include "model_core/cpu/decoder_inputs.hpp"

namespace rb {
namespace {

constexpr int64_t kMlpChunk = 512;     // tokens per MLP chunk: 2 x 512 x intermediate floats
constexpr int64_t kLogitChunk = 256;   // tokens per LM-head chunk: 256 x vocab floats

class CpuBackend final : public Backend {
 public:
  CpuBackend(const Model& model, const BackendOptions& opts)
      : model_(model), weights_(cpu::resolve_decoder_weights(model)),
        threads_(opts.threads > 0 ? opts.threads : omp_get_max_threads()) {}

  std::string name() const override { return "cpu"; }

  std::vector<WindowScores> score(const std::vector<std::span<const int32_t>>& windows,
                                  const rope::RopeSchedule& schedule) override {
    const ModelConfig& c = model_.config;
    cpu::check_schedule(c, schedule);
    for (size_t w = 0; w < windows.size(); ++w) cpu::check_window(c, windows[w], w, schedule);
    cpu::use_single_threaded_blas();
    const cpu::RopeTables rope = cpu::make_rope_tables(schedule);
    std::vector<WindowScores> out;
    out.reserve(windows.size());
    for (const auto& tokens : windows) out.push_back(forward(tokens, schedule, rope));
    return out;
  }

 private:
  WindowScores forward(std::span<const int32_t> tokens, const rope::RopeSchedule& s, const cpu::RopeTables& rope) {
    const ModelConfig& c = model_.config;
    const int64_t L = static_cast<int64_t>(tokens.size());
    const int64_t H = c.hidden_size, D = c.head_dim, I = c.intermediate_size;
    const int64_t QW = c.num_heads * D, KW = c.num_kv_heads * D;
    const int nt = threads_;

    WindowScores result;
    result.logprob.resize(static_cast<size_t>(L - 1));
    result.is_argmax.resize(static_cast<size_t>(L - 1));
    if (L < 2) return result;

    std::vector<float> x(L * H), xn(L * H), q(L * QW), k(L * KW), v(L * KW), attn(L * QW);
    const int64_t mc = std::min(kMlpChunk, L);
    std::vector<float> gate(mc * I), up(mc * I);

    // Embedding lookup (nn.Embedding).
    const float* emb = weights_.embed->data.data();
    for (int64_t t = 0; t < L; ++t) std::memcpy(&x[t * H], emb + static_cast<int64_t>(tokens[t]) * H, H * sizeof(float));

    const float* band_q = s.q_band_scale.empty() ? nullptr : s.q_band_scale.data();
    const float* band_k = s.k_band_scale.empty() ? nullptr : s.k_band_scale.data();
    const float* qscale = s.query_scale.empty() ? nullptr : s.query_scale.data();
    const float attn_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));  // head_dim**-0.5

    for (const cpu::DecoderLayer& layer : weights_.layers) {
      const LayerWeights& w = layer.w;
      // --- self-attention block (LlamaDecoderLayer.forward) ---
      cpu::rms_norm(x.data(), L, H, w.input_norm->data.data(), c.rms_norm_eps, xn.data(), nt);
      cpu::linear(xn.data(), L, H, *w.q_proj, w.q_bias, q.data(), nt);
      cpu::linear(xn.data(), L, H, *w.k_proj, w.k_bias, k.data(), nt);
      cpu::linear(xn.data(), L, H, *w.v_proj, w.v_bias, v.data(), nt);
      cpu::apply_rope(q.data(), c.num_heads, D, rope, band_q, qscale, nt);
      cpu::apply_rope(k.data(), c.num_kv_heads, D, rope, band_k, nullptr, nt);
      cpu::causal_attention(q.data(), k.data(), v.data(), L, c.num_heads, c.num_kv_heads, D, attn_scale, attn.data(), nt);
      cpu::linear(attn.data(), L, QW, *w.o_proj, layer.o_bias, xn.data(), nt);
      cpu::add_inplace(x.data(), xn.data(), L * H, nt);

      // --- MLP block, chunked along the sequence ---
      cpu::rms_norm(x.data(), L, H, w.post_norm->data.data(), c.rms_norm_eps, xn.data(), nt);
      for (int64_t t0 = 0; t0 < L; t0 += mc) {
        const int64_t n = std::min(mc, L - t0);
        float* rows = xn.data() + t0 * H;
        cpu::linear(rows, n, H, *w.gate_proj, layer.gate_bias, gate.data(), nt);
        cpu::linear(rows, n, H, *w.up_proj, layer.up_bias, up.data(), nt);
        cpu::silu_mul(gate.data(), up.data(), n * I, nt);
        cpu::linear(gate.data(), n, I, *w.down_proj, layer.down_bias, rows, nt);  // the chunk's input rows are spent
        cpu::add_inplace(x.data() + t0 * H, rows, n * H, nt);
      }
    }

    // Final norm and LM head, only for the L-1 positions that have a next token.
    cpu::rms_norm(x.data(), L - 1, H, weights_.final_norm->data.data(), c.rms_norm_eps, xn.data(), nt);
    cpu::next_token_scores(xn.data(), L - 1, H, *weights_.lm_head, tokens.subspan(1), result.logprob.data(),
                           result.is_argmax.data(), kLogitChunk, nt);
    return result;
  }

  const Model& model_;
  cpu::DecoderWeights weights_;
  int threads_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const Model& model, const BackendOptions& opts) {
  return std::make_unique<CpuBackend>(model, opts);
}

}  // namespace rb
