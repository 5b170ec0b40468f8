#include "model_core/cuda/forward_plan.hpp"

#include <algorithm>

#include "model_core/cuda/kernels.hpp"

namespace rb::cuda {
namespace {
constexpr int64_t kAlign = 128;  // elements: keeps every sub-buffer 256-byte aligned
int64_t align_up(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }
constexpr int64_t kRowChunk = 4096;     // LM head rows per GEMM and the MLP's minimum chunk
constexpr int64_t kVocabChunk = 16384;  // LM head logits columns per GEMM
constexpr int64_t kRowChunkT = 16384;   // LM head rows per GEMM with T logits, at most (by default)
}  // namespace

ForwardPlan make_forward_plan(const ModelConfig& c, std::size_t elem, std::size_t residual_elem, int64_t batch,
                              int64_t seq_len, int64_t mlp_rows, int64_t lm_rows) {
  ForwardPlan p;
  p.batch = batch;
  p.seq_len = seq_len;
  p.rows = batch * seq_len;
  p.qkv_width = (c.num_heads + 2 * c.num_kv_heads) * c.head_dim;
  p.attn_width = c.num_heads * c.head_dim;
  p.half_rotary = c.rotary_dim() / 2;
  const int64_t E = static_cast<int64_t>(elem);

  p.attn_out_offset = align_up(p.rows * p.qkv_width);
  const int64_t attn_elems = p.attn_out_offset + align_up(p.rows * p.attn_width);

  p.lm.rows = p.rows;
  p.lm.hidden = c.hidden_size;
  p.lm.vocab = c.vocab_size;
  p.lm.vocab_chunk = std::min(c.vocab_size, kVocabChunk);
  p.lm.row_chunk = std::min(p.rows, kRowChunk);
  const int64_t lm_elems = align_up((p.lm.row_chunk * p.lm.vocab_chunk * 4 + E - 1) / E);

  const int64_t ff = c.intermediate_size;
  const int64_t mlp_per_row = 3 * ff;  // gate|up (2 ff) + activation (ff)
  const int64_t mlp_min = align_up(std::min(p.rows, kRowChunk) * 2 * ff) + align_up(std::min(p.rows, kRowChunk) * ff);
  p.work_elems = std::max({attn_elems, lm_elems, mlp_min});
  // As many MLP rows as the work buffer holds (at least the minimum chunk), with alignment slack.
  // Splitting the rows evenly instead (no short last chunk) was measured slower on one H200:
  // down_proj +3% to +8% per window, gate_up -2% to +4% (docs/PERFORMANCE.md).
  p.mlp_chunk = std::min(p.rows, std::max<int64_t>({std::min(p.rows, kRowChunk), (p.work_elems - 2 * kAlign) / mlp_per_row,
                                                    mlp_rows}));
  p.mlp_act_offset = align_up(p.mlp_chunk * 2 * ff);
  p.work_elems = std::max(p.work_elems, p.mlp_act_offset + align_up(p.mlp_chunk * ff));
  // T logits: as many rows per GEMM as the work buffer holds, in whole kRowChunks up to
  // kRowChunkT (or lm_rows, within what it holds): fewer, larger GEMMs over the same logits.
  const int64_t held = p.work_elems / p.lm.vocab_chunk;
  const int64_t wanted = lm_rows > 0 ? lm_rows : std::min(kRowChunkT, held / kRowChunk * kRowChunk);
  p.lm.row_chunk_t = std::min(p.rows, std::max(p.lm.row_chunk, std::min(wanted, held)));

  const int64_t rows = p.rows;
  std::size_t b = 0;
  b += static_cast<std::size_t>(rows * c.hidden_size) * residual_elem;        // residual
  b += static_cast<std::size_t>(rows * c.hidden_size) * elem;                 // normed
  b += static_cast<std::size_t>(p.work_elems) * elem;                         // work
  b += static_cast<std::size_t>(rows) * (4 + 4 + sizeof(LmState) + 4 + 1);   // tokens, targets, state, results
  const auto schedules = static_cast<std::size_t>(c.rope_schedule_count());  // one per layer type's RoPE
  b += schedules * static_cast<std::size_t>(seq_len) * (2 * p.half_rotary + 2) * 4;  // cos, sin, positions, query scale
  b += schedules * static_cast<std::size_t>(3 * p.half_rotary) * 4;                  // inv_freq, band scales
  p.bytes = b;
  return p;
}

}  // namespace rb::cuda
