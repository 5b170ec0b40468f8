#pragma once
// The CUDA backend: the whole window batch goes through the model layer by layer on one GPU,
// bf16 (or fp16) weights and activations with fp32 accumulation; cuBLAS projections, own
// flash-attention, RMSNorm/RoPE/SwiGLU kernels and an LM head fused with log-softmax, target
// gather and argmax (logits never stored for all tokens). See model_core/cuda/README.md.
#include <cstdint>
#include <memory>
#include <string>

#include "model_core/backend.hpp"
#include "model_core/config.hpp"
#include "model_core/decoder/op_profile.hpp"

namespace rb {

struct CudaMemoryStats {
  double weights_gib = 0;      // device weights
  double activations_gib = 0;  // buffers of the current forward plan
  double dequant_gib = 0;      // buffers the 4-bit projections are dequantized into
  double device_used_gib = 0;  // total - free, whole device (includes the CUDA context)
  double device_total_gib = 0;
};

class CudaBackend : public Backend {
 public:
  virtual CudaMemoryStats memory_stats() const = 0;
  // "bf16, residual in activation dtype, attention tc" and the device name.
  virtual std::string describe() const = 0;
  // Waits for all queued device work (score() already returns synchronized results).
  virtual void synchronize() = 0;
  // Per-op timing (model_core/decoder/op_profile.hpp): while on, every score() adds the time of
  // each op class to op_times(), measured by CUDA events on the backend's stream (a few
  // microseconds per op; off by default).
  virtual void set_op_timing(bool on) = 0;
  virtual OpTimes op_times() const = 0;
  virtual void reset_op_times() = 0;
  // How many attention shapes cuDNN has prepared so far (its start-up check's, BackendOptions::
  // expected's while loading, then one per new shape scored); 0 without cuDNN.
  virtual std::size_t attention_shapes_prepared() const = 0;
};

// Uploads the model's fp32 host weights (RB_CUDA_DTYPE: bf16 default, or fp16). Device:
// opts.device, or with -1 the local rank (LOCAL_RANK / OMPI_COMM_WORLD_LOCAL_RANK /
// SLURM_LOCALID) modulo the device count. Throws rb::Error "no CUDA device: ..." without a usable
// device and a message with the GiB needed and free when the weights do not fit.
std::unique_ptr<Backend> make_cuda_backend(const Model& model, const BackendOptions& opts);

// The same backend with synthetic weights generated on the device from `seed` (no host tensors):
// benchmarks of real model shapes without checkpoints. quant "nf4" or "int4" / "int4-gN" makes
// every projection 4-bit (random codes), dequantized before each GEMM as for a quantized checkpoint.
std::unique_ptr<CudaBackend> make_cuda_backend_random(const ModelConfig& config, uint64_t seed,
                                                      const BackendOptions& opts, const std::string& quant = "none");

// True when a CUDA device can be used; otherwise false and *why (if given) says why.
bool cuda_device_available(std::string* why = nullptr);

}  // namespace rb
