#include <algorithm>
#include <string>

#include "common/error.hpp"
#include "model_core/cuda/lm_head.hpp"
#include "model_core/cuda/nccl_group.hpp"

namespace rb::cuda {

template <typename T>
void lm_head_logprobs(const Blas& blas, const T* x, const T* w, const int32_t* targets, const LmHeadArgs& a,
                      float* scratch, LmState* state, float* logprob, uint8_t* is_argmax, cudaStream_t stream,
                      NcclGroup* group) {
  lm_state_init(state, a.rows, stream);
  const int64_t row_chunk = a.round_logits && a.row_chunk_t > 0 ? a.row_chunk_t : a.row_chunk;
  for (int64_t r0 = 0; r0 < a.rows; r0 += row_chunk) {
    const int64_t nr = std::min(row_chunk, a.rows - r0);
    for (int64_t v0 = 0; v0 < a.vocab; v0 += a.vocab_chunk) {
      const int64_t nv = std::min(a.vocab_chunk, a.vocab - v0);
      if (a.round_logits) {
        // Logits in T, as a model returning T logits has them: cuBLAS rounds the fp32 accumulator
        // to T once, in its epilogue, and the tile moves half the bytes of fp32.
        T* tile = reinterpret_cast<T*>(scratch);
        blas.linear<T, T>(x + r0 * a.hidden, a.hidden, w + v0 * a.hidden, a.hidden, tile, nv, nr, a.hidden, nv);
        lm_state_update<T>(tile, nr, nv, nv, a.vocab_begin + v0, targets + r0, state + r0, stream);
      } else {
        blas.linear<T, float>(x + r0 * a.hidden, a.hidden, w + v0 * a.hidden, a.hidden, scratch, nv, nr, a.hidden, nv);
        lm_state_update<T>(scratch, nr, nv, nv, a.vocab_begin + v0, targets + r0, state + r0, false, stream);
      }
    }
  }
  if (group) {  // the scratch tile is free again: it holds the fold's 5 floats per row
    if (5 * a.rows > a.row_chunk * a.vocab_chunk)
      throw Error("CUDA LM head: " + std::to_string(a.rows) + " rows need " + std::to_string(5 * a.rows) +
                  " floats to fold over the group, the scratch holds " + std::to_string(a.row_chunk * a.vocab_chunk));
    lm_state_pack_maxima(state, a.rows, scratch, stream);
    group->all_reduce_max(scratch, 3 * a.rows, stream);
    lm_state_rescale(state, a.rows, scratch, stream);
    group->all_reduce_sum(scratch + 3 * a.rows, a.rows, stream);
    group->all_reduce_min(reinterpret_cast<int32_t*>(scratch + 4 * a.rows), a.rows, stream);
    lm_state_unpack(state, a.rows, scratch, stream);
  }
  lm_state_finish(state, targets, a.rows, logprob, is_argmax, stream);
}

template void lm_head_logprobs<__nv_bfloat16>(const Blas&, const __nv_bfloat16*, const __nv_bfloat16*, const int32_t*,
                                              const LmHeadArgs&, float*, LmState*, float*, uint8_t*, cudaStream_t,
                                              NcclGroup*);
template void lm_head_logprobs<__half>(const Blas&, const __half*, const __half*, const int32_t*, const LmHeadArgs&,
                                       float*, LmState*, float*, uint8_t*, cudaStream_t, NcclGroup*);

}  // namespace rb::cuda
