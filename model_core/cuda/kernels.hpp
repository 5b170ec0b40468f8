#pragma once
// Host launchers of the CUDA backend's kernels. Every launcher is instantiated for
// T = __nv_bfloat16 and T = __half, enqueues on `stream`, checks the launch and does not
// synchronize. Layouts are row-major; "rows" are tokens of all windows of a batch back to back
// (row r is position r % seq_len of window r / seq_len). Each kernel has a plain CPU reference in
// tests/gpu/reference.hpp that the GPU tests compare against.
#include <cstdint>
#include <functional>

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace rb::cuda {

// ---- convert.cu: uploads and synthetic weights ----
template <typename T>
void convert_from_f32(const float* src, T* dst, int64_t n, cudaStream_t stream);
// dst[i] = T(float(src[i])) for a bf16 (src_is_bf16) or fp16 source on the device: stored
// checkpoint bytes converted where they are used, never through a host fp32 copy.
template <typename T>
void convert_from_16(const void* src, bool src_is_bf16, T* dst, int64_t n, cudaStream_t stream);
// nn.Linear's bias on a [rows, cols] output with leading dimension ld: y = T(float(y) + float(bias[c]))
// (the bias added to the output rounded to T, as the q/k/v bias always was).
template <typename T>
void add_bias(T* y, int64_t rows, int64_t cols, int64_t ld, const T* bias, cudaStream_t stream);
// Uniform in [-bound, bound), a pure function of (seed, index): same numbers on every device.
template <typename T>
void fill_uniform(T* dst, int64_t n, uint64_t seed, float bound, cudaStream_t stream);
template <typename T>
void fill_value(T* dst, int64_t n, float value, cudaStream_t stream);

// ---- norm.cu: embedding, residual add + RMSNorm ----
// residual[r, :] = float(table[tokens[r], :]) * scale (Gemma3TextScaledWordEmbedding's
// sqrt(hidden); 1 otherwise); with round_to_t, T(float(e) * T(scale)) as Hugging Face computes it in
// T. Tokens outside [0, vocab) are clamped to 0 (the backend validates ids on the host first).
// The residual R is float, or T itself when every value it will hold is a T (round_to_t, or
// scale 1, and round_residual in add_rmsnorm): the same values at half the bytes.
template <typename T, typename R>
void embed_rows(const int32_t* tokens, int64_t rows, const T* table, int64_t hidden, int64_t vocab, R* residual,
                cudaStream_t stream, float scale = 1.0f, bool round_to_t = false);
// How a norm applies its weight w (ModelConfig::norm_weight_offset):
//   offset 0 (LlamaRMSNorm): T(x * inv) * w in T, the normalized value rounded first;
//   offset != 0 (Gemma3RMSNorm): T((x * inv) * (offset + float(w))), all in fp32, rounded once.
// When delta != nullptr: residual += delta (rounded to T when round_residual, which reproduces a
// residual stream kept in T as Hugging Face keeps it). Then out = RMSNorm(residual) with the
// weight, x.float() * rsqrt(mean(x^2) + eps) as Hugging Face computes it.
// A residual R = T requires round_residual (where delta is given).
template <typename T, typename R>
void add_rmsnorm(R* residual, const T* delta, const T* weight, T* out, int64_t rows, int64_t hidden, float eps,
                 bool round_residual, cudaStream_t stream, float weight_offset = 0.0f);
// RMSNorm in place over groups of values (Qwen3's and Gemma-3's q_norm / k_norm, one group per head;
// Gemma-3's post-block norms, one group per row): rows of x with leading dimension ld hold `heads`
// groups of head_dim values from column 0; each group normalized as add_rmsnorm normalizes a row,
// with the one [head_dim] weight.
template <typename T>
void head_rmsnorm(T* x, int64_t rows, int heads, int head_dim, int64_t ld, const T* weight, float eps, cudaStream_t stream,
                  float weight_offset = 0.0f);

// ---- rope.cu ----
// cos[t][i] = cos(inv_freq[i] * positions[t]) * attention_scaling (fp32 product), sin likewise.
void rope_table(const float* inv_freq, const float* positions, int64_t seq_len, int64_t half_rotary,
                float attention_scaling, float* cos_out, float* sin_out, cudaStream_t stream);

struct QkvShape {
  int64_t rows = 0;        // tokens in the batch (windows * seq_len)
  int64_t seq_len = 0;     // window length L; row r is position r % L
  int64_t heads = 0;
  int64_t kv_heads = 0;
  int64_t head_dim = 0;
  int64_t rotary_dim = 0;  // even, <= head_dim; dims >= rotary_dim pass through
};
// In place on the fused projection output qkv[rows, (heads + 2 kv_heads) * head_dim]
// (q heads, then k heads, then v heads): adds the bias (nullable; the result rounded to T, as a
// Linear with bias returns it), rotates q and k (rotate-half pairs (i, i + rotary_dim/2)) in fp32
// with the table, multiplies q by query_scale[t] (nullable) and band i of q/k by q_band[i]/k_band[i]
// (nullable), and rounds once to T.
template <typename T>
void qkv_bias_rope(T* qkv, const T* bias, const float* cos_table, const float* sin_table, const float* query_scale,
                   const float* q_band, const float* k_band, const QkvShape& shape, cudaStream_t stream);

// ---- swiglu.cu ----
// The gated MLP's activation (ModelConfig::hidden_act): silu, or gelu_pytorch_tanh.
enum class GluAct { Silu, GeluTanh };
// out[r, j] = act(gate_up[r, j]) * gate_up[r, ff + j]; act rounded to T before the product when
// hf_rounding (Hugging Face evaluates act_fn(gate) in T, then multiplies in T). With hf_rounding
// and a table from glu_table (for the same act), act is looked up, not computed: the same bits.
template <typename T>
void swiglu(const T* gate_up, T* out, int64_t rows, int64_t ff, bool hf_rounding, cudaStream_t stream,
            GluAct act = GluAct::Silu, const T* table = nullptr);
// act(x) rounded to T for each of the 65,536 bit patterns x of T, into table[kGluTableSize]
// (16-byte aligned): a 16-bit gate has no other activations.
inline constexpr int kGluTableSize = 65536;
template <typename T>
void glu_table(T* table, GluAct act, cudaStream_t stream);

// ---- attention_*.cu: causal attention per window, never materializing L x L ----
enum class AttnKernel { Auto, Simple, TensorCore };

template <typename T>
struct AttnArgs {
  const T* q = nullptr;     // q[(b*L + t) * q_stride + h * head_dim + d]
  const T* k = nullptr;     // k[(b*L + t) * kv_stride + g * head_dim + d], g = h / (heads / kv_heads)
  const T* v = nullptr;     // same layout as k
  T* o = nullptr;           // o[(b*L + t) * o_stride + h * head_dim + d]
  int64_t q_stride = 0, kv_stride = 0, o_stride = 0;
  int batch = 0, seq_len = 0, heads = 0, kv_heads = 0, head_dim = 0;
  float scale = 0.0f;       // softmax scale: head_dim^-0.5 (Gemma-3: query_pre_attn_scalar^-0.5)
  int window = 0;           // > 0: sliding window, query t sees keys t - window < k <= t
};
// True when the tensor-core kernel handles this head_dim (64, 80, 96, 128).
bool tensor_core_attention_supported(int head_dim);
// Auto: tensor cores when supported, else the simple fp32 kernel (any head_dim <= 256).
template <typename T>
void flash_attention(const AttnArgs<T>& args, AttnKernel which, cudaStream_t stream);
// Start-up cross-check of an attention implementation: runs `candidate` and the simple kernel on
// a small random GQA problem (2 windows of 200 tokens, 4 heads, 2 KV heads, this head_dim) and
// returns the largest absolute difference of their outputs (|o| <= 1; NaN counts as infinite).
// Synchronizes.
template <typename T>
using AttnCandidate = std::function<void(const AttnArgs<T>&, cudaStream_t)>;
template <typename T>
float attention_max_diff_vs_simple(int head_dim, const AttnCandidate<T>& candidate, cudaStream_t stream);
// The tensor-core kernel's check.
template <typename T>
float attention_kernels_max_diff(int head_dim, cudaStream_t stream);

// ---- lm_head.cu: log-softmax + gather + argmax over vocab chunks, online ----
struct LmState {
  float max;        // running max of the logits seen so far
  float sum;        // sum of exp(logit - max)
  float target;     // logit of the target token (once its chunk was seen)
  float best;       // largest logit (argmax value)
  int32_t best_idx; // first index of the largest logit (as torch.argmax)
};
void lm_state_init(LmState* state, int64_t rows, cudaStream_t stream);
// logits[r * ld + c] for c < cols holds vocab entries col0 + c of row r. targets[r] < 0: no target.
// round_logits: round each logit to T first (logits that Hugging Face returns in T).
template <typename T>
void lm_state_update(const float* logits, int64_t rows, int64_t cols, int64_t ld, int64_t col0, const int32_t* targets,
                     LmState* state, bool round_logits, cudaStream_t stream);
// The same fold over logits already in T (a GEMM with a T output: rounded once, in its epilogue).
template <typename T>
void lm_state_update(const T* logits, int64_t rows, int64_t cols, int64_t ld, int64_t col0, const int32_t* targets,
                     LmState* state, cudaStream_t stream);
// A vocabulary-parallel LM head's fold over the group (lm_head_driver.cpp; buf: 5 * rows floats):
//  pack_maxima: buf[0, r) = max, buf[r, 2r) = target (-inf off this rank's slice), buf[2r, 3r) = best;
//  (all-reduce max of buf[0, 3r))
//  rescale: buf[3r, 4r) = sum * exp(max - group max); int32 at buf + 4r = best_idx where best is the
//  group's best, else INT_MAX; (all-reduce sum of buf[3r, 4r), min of the indices)
//  unpack: state = the group's (max, sum, target, best, best_idx).
void lm_state_pack_maxima(const LmState* state, int64_t rows, float* buf, cudaStream_t stream);
void lm_state_rescale(const LmState* state, int64_t rows, float* buf, cudaStream_t stream);
void lm_state_unpack(LmState* state, int64_t rows, const float* buf, cudaStream_t stream);
// logprob[r] = target - (max + log(sum)); is_argmax[r] = best_idx == targets[r].
void lm_state_finish(const LmState* state, const int32_t* targets, int64_t rows, float* logprob, uint8_t* is_argmax,
                     cudaStream_t stream);

}  // namespace rb::cuda
