// The one layer loop (transformers' LlamaDecoderLayer.forward, modeling_llama.py):
//   h = x + o_proj(attention(rope(q_proj(n1), k_proj(n1)), v_proj(n1))),  n1 = input_layernorm(x)
//   (Qwen3: rope(q_norm(q_proj(n1)), k_norm(k_proj(n1))); a sliding layer's attention is banded)
//   x = h + down_proj(silu(gate_proj(n2)) * up_proj(n2)),                  n2 = post_attention_layernorm(h)
// then norm and lm_head. Gemma3DecoderLayer.forward (modeling_gemma3.py) normalizes each block's
// output before its residual add (sandwich norms), its MLP input norm is pre_feedforward_layernorm,
// and each layer type rotates with its own RoPE schedule:
//   h = x + post_attention_layernorm(o_proj(attention(...)))
//   x = h + post_feedforward_layernorm(down_proj(gelu_tanh(gate_proj(n2)) * up_proj(n2))) The MLP runs over chunks of rows so its scratch stays bounded; the
// residual add of each block is fused with the next norm (the same arithmetic, one pass).
#include "model_core/decoder/decoder_ops.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "model_core/model_def/model_def.hpp"

namespace rb {
namespace {

// After a row-parallel projection each rank holds a partial sum (Megatron's RowParallelLinear).
void reduce_from_tensor_parallel_region(const ShardSpec& shard, DecoderOps& ops, Act a, RowRange rows) {
  if (shard.size > 1) ops.all_reduce_sum(a, rows);
}

}  // namespace

void DecoderOps::all_reduce_sum(Act, RowRange) {
  throw Error("this backend runs on one device and cannot reduce over a tensor-parallel group");
}

void run_decoder(const ModelDef& def, DecoderOps& ops) { run_decoder(def.config(), def.shard(), ops); }

void run_decoder(const ModelConfig& config, const ShardSpec& shard, DecoderOps& ops) {
  const int64_t layers = config.num_layers;
  const RowRange all{0, ops.rows()};
  ops.embedding();
  if (layers > 0)
    ops.rms_norm(0, TensorRole::AttnNorm);
  else
    ops.rms_norm(0, TensorRole::FinalNorm);
  const int64_t chunk = std::max<int64_t>(1, std::min(ops.mlp_chunk_rows(), all.count));
  for (int64_t i = 0; i < layers; ++i) {
    // Attention block.
    ops.linear(i, Proj::QKV, all);
    if (config.qk_norm) ops.qk_norm(i);
    ops.rope(config.rope_index(i));
    ops.attention(config.window_of(i));
    ops.linear(i, Proj::O, all);
    reduce_from_tensor_parallel_region(shard, ops, Act::Normed, all);
    ops.add_bias(i, TensorRole::OBias, Act::Normed, all);
    if (config.sandwich_norms) ops.norm_output(i, TensorRole::PostAttnNorm, all);
    ops.add_rms_norm(i, TensorRole::MlpNorm);
    // MLP block, a chunk of rows at a time; each chunk's output overwrites its spent input rows.
    for (int64_t r0 = 0; r0 < all.count; r0 += chunk) {
      const RowRange rows{r0, std::min(chunk, all.count - r0)};
      ops.linear(i, Proj::GateUp, rows);
      ops.gated_act(rows);
      ops.linear(i, Proj::Down, rows);
      reduce_from_tensor_parallel_region(shard, ops, Act::Normed, rows);
      ops.add_bias(i, TensorRole::DownBias, Act::Normed, rows);
      if (config.sandwich_norms) ops.norm_output(i, TensorRole::PostMlpNorm, rows);
    }
    if (i + 1 < layers)
      ops.add_rms_norm(i + 1, TensorRole::AttnNorm);
    else
      ops.add_rms_norm(0, TensorRole::FinalNorm);
  }
  ops.lm_head_logprob();
}

}  // namespace rb
