#include <algorithm>

#include "model_core/cuda/lm_head.hpp"

namespace rb::cuda {

template <typename T>
void lm_head_logprobs(const Blas& blas, const T* x, const T* w, const int32_t* targets, const LmHeadArgs& a,
                      float* scratch, LmState* state, float* logprob, uint8_t* is_argmax, cudaStream_t stream) {
  lm_state_init(state, a.rows, stream);
  for (int64_t r0 = 0; r0 < a.rows; r0 += a.row_chunk) {
    const int64_t nr = std::min(a.row_chunk, a.rows - r0);
    for (int64_t v0 = 0; v0 < a.vocab; v0 += a.vocab_chunk) {
      const int64_t nv = std::min(a.vocab_chunk, a.vocab - v0);
      blas.linear<T, float>(x + r0 * a.hidden, a.hidden, w + v0 * a.hidden, a.hidden, scratch, nv, nr, a.hidden, nv);
      lm_state_update<T>(scratch, nr, nv, nv, v0, targets + r0, state + r0, a.round_logits, stream);
    }
  }
  lm_state_finish(state, targets, a.rows, logprob, is_argmax, stream);
}

template void lm_head_logprobs<__nv_bfloat16>(const Blas&, const __nv_bfloat16*, const __nv_bfloat16*, const int32_t*,
                                              const LmHeadArgs&, float*, LmState*, float*, uint8_t*, cudaStream_t);
template void lm_head_logprobs<__half>(const Blas&, const __half*, const __half*, const int32_t*, const LmHeadArgs&,
                                       float*, LmState*, float*, uint8_t*, cudaStream_t);

}  // namespace rb::cuda
