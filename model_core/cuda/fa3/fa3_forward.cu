// Fills FlashAttention-3's parameter block for Problem, as its own mha_fwd does for the same
// call (hopper/flash_api.cpp: set_params_fprop, then the causal or local, no-split, no-paging
// path), and dispatches to the kernel compiled for the head_dim and kind (fwd_hdim*.cu).
#include "model_core/cuda/fa3/fa3_forward.hpp"

#include <stdexcept>
#include <string>

#include "flash.h"

namespace rb::cuda::fa3 {

void forward_hdim64_bf16(Flash_fwd_params& params, cudaStream_t stream);
void forward_hdim128_bf16(Flash_fwd_params& params, cudaStream_t stream);
void forward_hdim128_bf16_local(Flash_fwd_params& params, cudaStream_t stream);

bool compiled(int head_dim, bool bf16, bool sliding) {
  return bf16 && (sliding ? head_dim == 128 : head_dim == 64 || head_dim == 128);
}

void forward(const Problem& p, cudaStream_t stream) {
  // A window covering the whole sequence is plain causal (mha_fwd: window_size_left >= seqlen_k - 1
  // becomes -1, and then is_causal).
  const bool sliding = p.window > 0 && p.window - 1 < p.seq_len - 1;
  if (!compiled(p.head_dim, p.bf16, sliding))
    throw std::runtime_error("FlashAttention-3: no kernel compiled for head_dim " + std::to_string(p.head_dim) +
                             (p.bf16 ? " (bf16" : " (fp16") + (sliding ? ", sliding window)" : ")"));
  if (!p.lse || !p.semaphore || p.num_sm <= 0) throw std::runtime_error("FlashAttention-3: lse, semaphore and num_sm needed");
  const auto round128 = [](int x) { return (x + 127) / 128 * 128; };
  Flash_fwd_params params = {};
  params.is_bf16 = p.bf16;
  params.q_ptr = const_cast<void*>(p.q);
  params.k_ptr = const_cast<void*>(p.k);
  params.v_ptr = const_cast<void*>(p.v);
  params.o_ptr = p.o;
  params.q_row_stride = p.q_stride;
  params.k_row_stride = params.v_row_stride = p.kv_stride;
  params.o_row_stride = p.o_stride;
  params.q_head_stride = params.k_head_stride = params.v_head_stride = params.o_head_stride = p.head_dim;
  params.v_dim_stride = 1;
  params.q_batch_stride = p.seq_len * p.q_stride;
  params.k_batch_stride = params.v_batch_stride = p.seq_len * p.kv_stride;
  params.o_batch_stride = p.seq_len * p.o_stride;
  params.softmax_lse_ptr = p.lse;
  params.b = params.b_k = p.batch;
  params.h = p.heads;
  params.h_k = p.kv_heads;
  params.seqlen_q = params.seqlen_k = p.seq_len;
  params.seqlen_q_rounded = params.seqlen_k_rounded = round128(p.seq_len);
  params.total_q = params.total_k = p.batch * p.seq_len;
  params.d = params.d_rounded = params.dv = params.dv_rounded = p.head_dim;
  params.scale_softmax = p.scale;
  params.softcap = 0.0f;
  params.p_dropout = 1.0f;  // the probability of keeping an element
  params.p_dropout_in_uint8_t = 255;
  params.rp_dropout = 1.0f;
  // Causal: window (left unbounded, right 0), as set_params_fprop sets it for is_causal; sliding:
  // local with window (W - 1, 0).
  params.is_causal = !sliding;
  params.is_local = sliding;
  params.window_size_left = sliding ? p.window - 1 : p.seq_len - 1;
  params.window_size_right = 0;
  params.attention_chunk = 0;
  params.page_size = 1;
  params.num_splits = 1;
  params.pack_gqa = false;
  params.varlen_sort_batches = !sliding;  // !is_local
  params.head_swizzle = true;             // is_causal || is_local
  params.arch = 90;
  params.num_sm = p.num_sm;
  params.tile_count_semaphore = p.semaphore;
  if (const cudaError_t e = cudaMemsetAsync(p.semaphore, 0, sizeof(int), stream); e != cudaSuccess)
    throw std::runtime_error(std::string("FlashAttention-3: zeroing the tile semaphore: ") + cudaGetErrorString(e));
  if (sliding) forward_hdim128_bf16_local(params, stream);
  else if (p.head_dim == 64) forward_hdim64_bf16(params, stream);
  else forward_hdim128_bf16(params, stream);
  if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess)
    throw std::runtime_error(std::string("FlashAttention-3: launch: ") + cudaGetErrorString(e));
}

}  // namespace rb::cuda::fa3
