#pragma once
// The decoder, written once: `run_decoder` is the layer loop of transformers' LlamaModel.forward
// (modeling_llama.py; Mistral, Qwen2, Qwen3 and Phi-3 are the same loop, Gemma3TextModel adds its
// sandwich norms) over the small set of ops below. Every
// backend — the naive reference, the fp32 CPU backend, the CUDA backend, and the tensor-parallel
// ones — implements DecoderOps and runs this loop; none has a layer loop of its own. Each op is
// tested per backend against the CPU reference (tests/gpu/test_kernels.cpp, in the style of
// llama.cpp's tests/test-backend-ops.cpp).
//
// Activations are named, not passed: a backend decides where each lives (the CUDA backend keeps
// Q, K and V side by side in one fused buffer, the CPU backend apart) and how a projection group
// is computed (one stacked GEMM or one per tensor). Weights are named by (layer, role) of the
// model definition (model_def/model_def.hpp); a backend prepares them once, in its own form.
#include <cstdint>

#include "model_core/model_def/tensor_table.hpp"

namespace rb {

class ModelDef;
struct ModelConfig;
struct ShardSpec;

// The activations of one forward over a batch of rows (the tokens of all windows, back to back).
enum class Act {
  Residual,  // [rows, hidden], the residual stream
  Normed,    // [rows, hidden], a normed block input, then the block's output
  Q, K, V,   // [rows, heads * head_dim], [rows, kv_heads * head_dim] x 2
  Attn,      // [rows, heads * head_dim], attention output
  Gate, Up,  // [chunk, intermediate], the MLP of a chunk of rows
  MlpAct,    // [chunk, intermediate], act(Gate) * Up
};

// Projection groups: the weights that read one input (a backend may stack them into one GEMM).
//   QKV: Normed -> Q, K, V      (+ q/k/v biases)   column-parallel
//   O:   Attn -> Normed                             row-parallel (bias added after the reduce)
//   GateUp: Normed[rows] -> Gate, Up (+ biases)     column-parallel
//   Down: MlpAct -> Normed[rows]                    row-parallel (bias added after the reduce)
enum class Proj { QKV, O, GateUp, Down };

struct RowRange {
  int64_t begin = 0, count = 0;
};

class DecoderOps {
 public:
  virtual ~DecoderOps() = default;
  virtual int64_t rows() const = 0;            // rows of this batch
  virtual int64_t mlp_chunk_rows() const = 0;  // rows per MLP step (bounds the MLP scratch)

  // Residual = TokenEmbedding[token of each row] * config.embedding_scale (nn.Embedding;
  // Gemma3TextScaledWordEmbedding's sqrt(hidden_size)).
  virtual void embedding() = 0;
  // Normed = LlamaRMSNorm(Residual) with the norm weight `role` of `layer` (FinalNorm: global),
  // every norm's weight w applied as (config.norm_weight_offset + w) (Gemma3RMSNorm: 1 + w).
  virtual void rms_norm(int64_t layer, TensorRole role) = 0;
  // Residual += Normed (the residual connection), then Normed = RMSNorm(Residual) as above.
  virtual void add_rms_norm(int64_t layer, TensorRole role) = 0;
  // Normed[rows] = RMSNorm(Normed[rows]) with the norm `role` of `layer`: a block's output normed
  // before the residual add (Gemma-3's post_attention_layernorm, post_feedforward_layernorm).
  virtual void norm_output(int64_t layer, TensorRole role, RowRange rows) = 0;
  // nn.Linear of group `p` of `layer` for `rows` (see Proj), with its column-parallel biases.
  virtual void linear(int64_t layer, Proj p, RowRange rows) = 0;
  // out[rows] += bias `role` of `layer` (row-parallel biases: o_proj, down_proj); a no-op when the
  // model has no such tensor.
  virtual void add_bias(int64_t layer, TensorRole role, Act out, RowRange rows) = 0;
  // Q and K in place: each head RMSNormed over head_dim with the layer's QNorm / KNorm weight
  // (Qwen3RMSNorm, Gemma3RMSNorm; before RoPE). Called only for models with q/k norms.
  virtual void qk_norm(int64_t layer) = 0;
  // apply_rotary_pos_emb on Q and K in place with the window's RoPE schedule number `schedule`
  // (ModelConfig::rope_index of the layer), then its query scale and band scales.
  virtual void rope(int64_t schedule) = 0;
  // Attn = causal softmax(Q K^T * config.attention_scale()) V per window and head (the scale is
  // head_dim^-0.5, Gemma-3's query_pre_attn_scalar^-0.5), KV heads grouped (GQA);
  // window > 0: a sliding window, the query at q sees keys q - window < k <= q (transformers'
  // sliding_window_overlay), at O(L * window) cost.
  virtual void attention(int64_t window) = 0;
  // MlpAct = act(Gate) * Up for a chunk of `rows`, act = config.hidden_act (LlamaMLP's silu,
  // Gemma3MLP's gelu_pytorch_tanh).
  virtual void gated_act(RowRange rows) = 0;
  // Megatron's reduce_from_tensor_model_parallel_region: the sum over the tensor-parallel group of
  // each rank's partial `a` (after a row-parallel projection). Single-device backends never see it.
  virtual void all_reduce_sum(Act a, RowRange rows);
  // For every row with a next token: log p(next token) and whether it is the argmax, from Normed
  // (already final-normed) and the LM head; full logits are never held.
  virtual void lm_head_logprob() = 0;
};

// The forward of one batch: embedding, every layer, final norm, LM head. `shard` is this rank's
// share of a tensor-parallel group (the loop names the collectives where they happen).
void run_decoder(const ModelConfig& config, const ShardSpec& shard, DecoderOps& ops);
void run_decoder(const ModelDef& def, DecoderOps& ops);

}  // namespace rb
