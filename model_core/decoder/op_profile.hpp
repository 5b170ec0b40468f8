#pragma once
// Where a forward spends its time, by op class: a decorator over any backend's DecoderOps that
// marks a timer after every op (the interval since the previous mark belongs to that op), and the
// classes a breakdown is reported in. The CUDA backend's timer records events on its stream, so
// an interval is device time plus any host gap the device waited through (a cuDNN plan being
// built, a first-use kernel load) — the gaps a first window pays are attributed to the op they
// delay.
#include <array>
#include <cstdint>
#include <string_view>

#include "model_core/decoder/decoder_ops.hpp"

namespace rb {

enum class OpClass {
  Embedding,
  Norm,        // rms_norm, add_rms_norm, norm_output (Gemma-3's sandwich norms)
  QkvProj,     // the fused q/k/v projection (with its biases)
  QkNorm,      // Qwen3 / Gemma-3 per-head norms
  Rope,
  Attention,
  OProj,
  Bias,        // row-parallel biases after o_proj / down_proj
  AllReduce,   // tensor-parallel reductions
  GateUpProj,  // the fused gate/up projection (with its biases)
  GatedAct,    // act(gate) * up
  DownProj,
  Dequant,     // 4-bit weights dequantized before their GEMM (W4A16)
  LmHead,      // LM head GEMM fused with log-softmax, target gather and argmax
  Copies,      // host <-> device copies of tokens, targets and results
  Setup,       // buffers, RoPE tables, attention plans for this shape
  kCount
};

inline constexpr int kOpClassCount = static_cast<int>(OpClass::kCount);

std::string_view op_class_name(OpClass c);

// Milliseconds and calls per class, summed over the forwards they were collected from.
struct OpTimes {
  std::array<double, kOpClassCount> ms{};
  std::array<int64_t, kOpClassCount> calls{};
  double total_ms() const;
  double& operator[](OpClass c) { return ms[static_cast<int>(c)]; }
  double operator[](OpClass c) const { return ms[static_cast<int>(c)]; }
  int64_t calls_of(OpClass c) const { return calls[static_cast<int>(c)]; }
};

class OpTimer {
 public:
  virtual ~OpTimer() = default;
  // The time since the previous mark (or since the timer's start) belongs to `c`.
  virtual void mark(OpClass c) = 0;
};

// Runs `inner` and marks `timer` after each op with its class.
class TimedDecoderOps final : public DecoderOps {
 public:
  TimedDecoderOps(DecoderOps& inner, OpTimer& timer) : inner_(inner), timer_(timer) {}
  int64_t rows() const override { return inner_.rows(); }
  int64_t mlp_chunk_rows() const override { return inner_.mlp_chunk_rows(); }
  void embedding() override;
  void rms_norm(int64_t layer, TensorRole role) override;
  void add_rms_norm(int64_t layer, TensorRole role) override;
  void norm_output(int64_t layer, TensorRole role, RowRange rows) override;
  void linear(int64_t layer, Proj p, RowRange rows) override;
  void add_bias(int64_t layer, TensorRole role, Act out, RowRange rows) override;
  void qk_norm(int64_t layer) override;
  void rope(int64_t schedule) override;
  void attention(int64_t window) override;
  void gated_act(RowRange rows) override;
  void all_reduce_sum(Act a, RowRange rows) override;
  void lm_head_logprob() override;

 private:
  DecoderOps& inner_;
  OpTimer& timer_;
};

}  // namespace rb
