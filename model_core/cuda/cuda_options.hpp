#pragma once
// Settings of the CUDA backend that BackendOptions does not carry (yet), read from the
// environment:
//   RB_CUDA_DTYPE=bf16|fp16        weights and activations (default bf16)
//   RB_CUDA_RESIDUAL=bf16|fp32     bf16 (default): residual stream and logits rounded to the
//                                  activation type, as transformers computes a bf16 model;
//                                  fp32: residual kept in fp32, logits not rounded
//   RB_CUDA_ATTN=auto|fa3|cudnn|tc|simple  attention (default auto: for full causal layers
//                                  FlashAttention-3 when built with it, the device is sm_90,
//                                  the dtype bf16, head_dim 64 or 128 and its start-up self-check
//                                  passes; else, and for sliding-window layers, cuDNN's fused
//                                  attention when built with it, its self-check passes and it
//                                  supports the shape; else tensor cores when head_dim is
//                                  64/80/96/128 and their self-check passes; else simple.
//                                  fa3: FlashAttention-3 required for the full causal layers,
//                                  the others as auto; cudnn: cuDNN required, no FlashAttention-3)
//   RB_CUDA_ATTN_LOG=1             print each cuDNN attention graph's build time, step by step, to stderr
//   RB_CUDA_GEMM=cublas|lt|tuned   how each projection's GEMM algorithm is chosen (default cublas:
//                                  cuBLAS's own; lt: cuBLASLt's first heuristic candidate; tuned:
//                                  the fastest of cuBLASLt's first 8, timed once per shape; see
//                                  blas.hpp for what each means for reproducibility)
//   RB_CUDA_GEMM_LOG=1             print each GEMM shape's plan to stderr as it is made (lt, tuned)
//   RB_CUDA_BATCH_TOKENS=N         tokens per forward that preferred_batch aims for (default 32768)
//   RB_CUDA_MLP_ROWS=N             rows per MLP chunk, at least (default: as many as the work
//                                  buffer holds for attention; more rows grow that buffer)
//   RB_CUDA_LM_ROWS=N              LM head rows per GEMM with bf16 logits (default: as many as
//                                  the work buffer holds, up to 16,384)
//   RB_CUDA_GLU_TABLE=0|1          1 (default): with bf16 rounding the MLP's activation is
//                                  looked up in a table of its 65,536 values (the same bits);
//                                  0: computed per element
#include <cstdint>
#include <string>

#include "model_core/cuda/blas.hpp"
#include "model_core/cuda/kernels.hpp"

namespace rb::cuda {

enum class DTypeChoice { BF16, FP16 };
enum class AttnChoice { Auto, Fa3, Cudnn, TensorCore, Simple };

struct CudaOptions {
  DTypeChoice dtype = DTypeChoice::BF16;
  bool hf_rounding = true;  // RB_CUDA_RESIDUAL=bf16
  AttnChoice attention = AttnChoice::Auto;
  bool attention_log = false;
  GemmChoice gemm = GemmChoice::Cublas;
  bool gemm_log = false;
  int64_t batch_tokens = 32768;
  int64_t mlp_rows = 0;  // 0: as many as the work buffer holds
  bool glu_table = true;
  int64_t lm_rows = 0;   // 0: as many as the work buffer holds, up to 16,384
};

// Throws rb::InputError naming the variable and the allowed values.
CudaOptions cuda_options_from_env();
std::string describe(const CudaOptions& o);

}  // namespace rb::cuda
