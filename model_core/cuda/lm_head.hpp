#pragma once
// The fused LM head: for chunks of token rows and chunks of the vocabulary, one cuBLAS GEMM
// writes the logits into a scratch tile (in T with round_logits, else fp32) and lm_state_update folds them into running
// (max, sum-exp, target logit, argmax) per row. Memory: rows_chunk x vocab_chunk floats.
#include <cstdint>

#include "model_core/cuda/blas.hpp"
#include "model_core/cuda/kernels.hpp"

namespace rb::cuda {

struct LmHeadArgs {
  int64_t rows = 0, hidden = 0, vocab = 0;
  int64_t row_chunk = 4096;    // token rows per GEMM (fp32 logits)
  int64_t row_chunk_t = 0;     // token rows per GEMM when the logits are T (round_logits; 0: row_chunk):
                               // the scratch holds at least row_chunk_t * vocab_chunk T values
  int64_t vocab_chunk = 16384; // logits columns per GEMM
  bool round_logits = true;    // logits rounded to T first (as a model returning T logits)
  int64_t vocab_begin = 0;     // the first vocabulary id of w's rows (a vocabulary-parallel shard)
};

class NcclGroup;

// x[rows, hidden] (final-normed hidden states), w[vocab, hidden] (vocabulary ids vocab_begin..);
// targets[rows] (< 0: none). scratch holds row_chunk * vocab_chunk floats and row_chunk_t *
// vocab_chunk T values; state holds rows
// entries. Writes logprob[rows] and is_argmax[rows] on the device. With a group, w is this rank's
// slice of a vocabulary-parallel head and the rows' states are folded over the group before the
// log-probs are taken (the parallel log-softmax: full logits are never gathered).
template <typename T>
void lm_head_logprobs(const Blas& blas, const T* x, const T* w, const int32_t* targets, const LmHeadArgs& args,
                      float* scratch, LmState* state, float* logprob, uint8_t* is_argmax, cudaStream_t stream,
                      NcclGroup* group = nullptr);

}  // namespace rb::cuda
