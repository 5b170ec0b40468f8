#pragma once
// The fp32 building blocks of the fast CPU forward. Each mirrors one op of transformers'
// modeling_llama.py (cited per function); matrices are row-major [rows, features].
#include <cstdint>
#include <span>
#include <vector>

#include "model_core/config.hpp"
#include "model_core/tensor.hpp"
#include "rope_methods/rope_method.hpp"

namespace rb::cpu {

// All parallelism is OpenMP's: OpenBLAS is set to one thread (a process-wide setting) and every
// GEMM is split over OpenMP threads by rows, so the two thread pools never compete for cores.
void use_single_threaded_blas();

// nn.Linear: y[rows, out] = x[rows, in] * W^T (+ bias), W stored [out, in]. OpenBLAS sgemm, the
// rows split over `threads`.
void linear(const float* x, int64_t rows, int64_t in, const HostTensor& w, const HostTensor* bias, float* y,
            int threads);

// y += x elementwise (the residual connection), n elements.
void add_inplace(float* y, const float* x, int64_t n, int threads);

// LlamaRMSNorm: y = weight * (x * rsqrt(mean(x^2) + eps)), all in fp32 (sum of squares in double);
// Gemma3RMSNorm with weight_offset 1: y = (x * rsqrt(...)) * (1 + weight). y may be x.
void rms_norm(const float* x, int64_t rows, int64_t dim, const float* weight, double eps, float* y, int threads,
              float weight_offset = 0.0f);

// cos/sin of float(inv_freq[i]) * float(positions[t]) in fp32, times attention_scaling
// (LlamaRotaryEmbedding.forward); [L][pairs].
struct RopeTables {
  int64_t length = 0, pairs = 0;
  std::vector<float> cos, sin;
};
RopeTables make_rope_tables(const rope::RopeSchedule& s);

// apply_rotary_pos_emb on the first 2*pairs dims of every head: x*cos + rotate_half(x)*sin with
// pairs (i, i+pairs); then band i (both dims) times band_scale[i] and the whole head times
// row_scale[t], each when non-null. x is [L, heads*head_dim].
void apply_rope(float* x, int64_t heads, int64_t head_dim, const RopeTables& rt, const float* band_scale,
                const float* row_scale, int threads);

// Causal softmax attention with grouped KV heads (eager_attention_forward): out[t, h] =
// softmax_j((q[t,h] . k[j,g]) * scale) v[j,g] over keys j <= t (and j > t - window when window > 0:
// a sliding window, transformers' sliding_window_overlay), g = h / (heads/kv_heads). Works on one
// KV head (its query heads stacked) and a block of query rows at a time, over tiles of key_tile
// keys (<= 0: all keys a block sees in one tile) with an O(group * block * key_tile) score buffer
// per thread; a sliding layer costs O(L * window). Keys up to one tile: exactly the plain softmax;
// more: the online softmax, which rounds differently (about 1e-7 relative).
inline constexpr int64_t kAttentionKeyTile = 1024;
// The key tile the CPU backend uses: RB_CPU_ATTN_KEYS=N (0: untiled), else kAttentionKeyTile.
// Throws rb::InputError naming the variable when it is not a non-negative integer.
int64_t attention_key_tile_from_env();
void causal_attention(const float* q, const float* k, const float* v, int64_t L, int64_t heads, int64_t kv_heads,
                      int64_t head_dim, float scale, float* out, int threads, int64_t window = 0,
                      int64_t key_tile = kAttentionKeyTile);

// gate = act(gate) * up, n elements: LlamaMLP's silu (x * sigmoid(x)), Gemma3MLP's
// gelu_pytorch_tanh (0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), torch's GeluType::Tanh).
void gated_act(float* gate, const float* up, int64_t n, Activation act, int threads);
// The activation of one value, for the reference and the tests.
float activation(float x, Activation act);

// For rows r of hidden (already final-normed, [rows, hidden]): logits = hidden W_lm^T computed
// `chunk` rows at a time; logprob[r] = logit[target[r]] - logsumexp(logits) (max-subtracted, sum of
// exp in double); is_argmax[r] = target is the first index of the max logit (torch.argmax).
void next_token_scores(const float* hidden, int64_t rows, int64_t dim, const HostTensor& lm_head,
                       std::span<const int32_t> targets, float* logprob, uint8_t* is_argmax, int64_t chunk,
                       int threads);

// One rank's part of a vocabulary-parallel LM head (Megatron's VocabParallelEmbedding +
// vocab_parallel_cross_entropy): `lm_head` holds vocabulary rows [vocab_begin, vocab_begin + rows).
// For each hidden row r: the slice's max logit, the first (global) index of that max, the sum of
// exp(logit - that max) in double, and the target's logit when the slice holds it (else 0).
struct VocabSliceScores {
  std::vector<float> max_logit;
  std::vector<int64_t> argmax;
  std::vector<double> sum_exp;
  std::vector<float> target_logit;
};
VocabSliceScores vocab_slice_scores(const float* hidden, int64_t rows, int64_t dim, const HostTensor& lm_head,
                                    int64_t vocab_begin, std::span<const int32_t> targets, int64_t chunk,
                                    int threads);

}  // namespace rb::cpu
