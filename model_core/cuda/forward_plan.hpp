#pragma once
// The memory plan of one forward over `batch` windows of `seq_len` tokens. The whole batch goes
// through the model layer by layer; every buffer is allocated once per plan and reused:
//   residual  fp32 or T [rows, hidden]   the residual stream (T when HF rounding keeps it a T)
//   normed    T    [rows, hidden]        normed input of each block, then the block's output
//   work      T    [work_elems]          per phase: qkv + attention output (attention block);
//                                        gate_up + activation of a chunk of rows (MLP);
//                                        fp32 logits of rows_chunk x vocab_chunk (LM head)
//   small per-row and per-position arrays (tokens, targets, LM state, results, RoPE tables).
// The MLP and LM head run over row chunks so their scratch never exceeds the attention's.
#include <cstddef>
#include <cstdint>

#include "model_core/config.hpp"
#include "model_core/cuda/lm_head.hpp"

namespace rb::cuda {

struct ForwardPlan {
  int64_t batch = 0, seq_len = 0, rows = 0;
  int64_t qkv_width = 0;        // (heads + 2 kv_heads) * head_dim
  int64_t attn_width = 0;       // heads * head_dim
  int64_t attn_out_offset = 0;  // elements into work
  int64_t mlp_chunk = 0;        // rows per MLP step
  int64_t mlp_act_offset = 0;   // elements into work
  int64_t work_elems = 0;
  int64_t half_rotary = 0;
  LmHeadArgs lm;
  std::size_t bytes = 0;        // device bytes of all buffers of this plan
};

// mlp_rows > 0: MLP chunks of at least that many rows (the work buffer grows to hold them).
// lm_rows > 0: LM head rows per GEMM with T logits (at least its fp32 chunk, at most what the work
// buffer holds).
ForwardPlan make_forward_plan(const ModelConfig& c, std::size_t elem_size, std::size_t residual_elem_size, int64_t batch,
                              int64_t seq_len, int64_t mlp_rows = 0, int64_t lm_rows = 0);

}  // namespace rb::cuda
