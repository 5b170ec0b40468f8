// The fp32 CPU reference backend: the decoder loop of model_core/decoder (run_decoder) over ops
// built from OpenBLAS (every matrix product) and OpenMP (the rest). One window at a time; memory
// stays O(L * width): attention works per (head, query block), the MLP and the LM head per chunk
// of tokens. With a Communicator of n ranks (BackendOptions::tensor_parallel) it is one shard of a
// tensor-parallel group (Megatron-style: ModelDef holds this rank's heads, MLP features and
// vocabulary rows): the row-parallel outputs are summed over the group, and the LM head's
// log-softmax is computed in parallel, so full logits are never gathered.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>

#include <omp.h>

#include "common/error.hpp"
#include "model_core/backend.hpp"
#include "model_core/cpu/cpu_kernels.hpp"
#include "model_core/cpu/host_weights.hpp"
#include "model_core/cpu/window_checks.hpp"
#include "model_core/decoder/decoder_ops.hpp"
#include "model_core/parallel/communicator.hpp"

namespace rb {
namespace {

constexpr int64_t kMlpChunk = 512;     // tokens per MLP chunk: 2 x 512 x intermediate floats (a multiple
                                       // of cpu::linear's 128-row GEMM blocks)
constexpr int64_t kLogitChunk = 256;   // tokens per LM-head chunk: 256 x vocab floats

using R = TensorRole;

// The ops for one window of L tokens.
class CpuOps final : public DecoderOps {
 public:
  CpuOps(const ModelDef& def, const cpu::HostWeights& w, int threads, Communicator* tp, const BackendOptions& opts)
      : def_(def), w_(w), nt_(threads), tp_(tp), probe_(opts.qk_probe), key_tile_(cpu::attention_key_tile_from_env()) {}

  void bind(std::span<const int32_t> tokens, const rope::RopeSchedules& s, const std::vector<cpu::RopeTables>& rope,
            WindowScores& out) {
    const ModelConfig& c = def_.config();
    tokens_ = tokens;
    schedules_ = &s;
    rope_ = &rope;
    out_ = &out;
    L_ = static_cast<int64_t>(tokens.size());
    const int64_t H = c.hidden_size, D = c.head_dim, I = def_.dims().intermediate;
    const int64_t QW = def_.dims().heads * D, KW = def_.dims().kv_heads * D;
    x_.resize(L_ * H);
    xn_.resize(L_ * H);
    q_.resize(L_ * QW);
    k_.resize(L_ * KW);
    v_.resize(L_ * KW);
    attn_.resize(L_ * QW);
    const int64_t mc = std::min(kMlpChunk, L_);
    gate_.resize(mc * I);
    up_.resize(mc * I);
  }

  int64_t rows() const override { return L_; }
  int64_t mlp_chunk_rows() const override { return kMlpChunk; }

  void embedding() override {
    const int64_t H = def_.config().hidden_size;
    const float* emb = w_.values(0, R::TokenEmbedding);
    for (int64_t t = 0; t < L_; ++t)
      std::memcpy(&x_[t * H], emb + static_cast<int64_t>(tokens_[t]) * H, H * sizeof(float));
    // Gemma3TextScaledWordEmbedding: times sqrt(hidden_size) as an fp32 tensor.
    if (const float scale = static_cast<float>(def_.config().embedding_scale); scale != 1.0f) {
#pragma omp parallel for num_threads(nt_) schedule(static)
      for (int64_t i = 0; i < L_ * H; ++i) x_[i] *= scale;
    }
  }

  void rms_norm(int64_t layer, TensorRole role) override {
    const ModelConfig& c = def_.config();
    cpu::rms_norm(x_.data(), L_, c.hidden_size, w_.values(layer, role), c.rms_norm_eps, xn_.data(), nt_,
                  c.norm_weight_offset);
  }

  void norm_output(int64_t layer, TensorRole role, RowRange r) override {
    const ModelConfig& c = def_.config();
    float* rows = xn_.data() + r.begin * c.hidden_size;
    cpu::rms_norm(rows, r.count, c.hidden_size, w_.values(layer, role), c.rms_norm_eps, rows, nt_, c.norm_weight_offset);
  }

  void add_rms_norm(int64_t layer, TensorRole role) override {
    cpu::add_inplace(x_.data(), xn_.data(), L_ * def_.config().hidden_size, nt_);
    rms_norm(layer, role);
  }

  void linear(int64_t i, Proj p, RowRange r) override {
    const int64_t H = def_.config().hidden_size, I = def_.dims().intermediate;
    const int64_t QW = def_.dims().heads * def_.config().head_dim;
    switch (p) {
      case Proj::QKV:
        layer_ = i;
        cpu::linear(xn_.data(), L_, H, *w_.at(i, R::Q), w_.at(i, R::QBias), q_.data(), nt_);
        cpu::linear(xn_.data(), L_, H, *w_.at(i, R::K), w_.at(i, R::KBias), k_.data(), nt_);
        cpu::linear(xn_.data(), L_, H, *w_.at(i, R::V), w_.at(i, R::VBias), v_.data(), nt_);
        break;
      case Proj::O:
        cpu::linear(attn_.data(), L_, QW, *w_.at(i, R::O), nullptr, xn_.data(), nt_);
        break;
      case Proj::GateUp: {
        const float* rows = xn_.data() + r.begin * H;
        cpu::linear(rows, r.count, H, *w_.at(i, R::Gate), w_.at(i, R::GateBias), gate_.data(), nt_);
        cpu::linear(rows, r.count, H, *w_.at(i, R::Up), w_.at(i, R::UpBias), up_.data(), nt_);
        break;
      }
      case Proj::Down:  // the chunk's input rows are spent
        cpu::linear(gate_.data(), r.count, I, *w_.at(i, R::Down), nullptr, xn_.data() + r.begin * H, nt_);
        break;
    }
  }

  void add_bias(int64_t layer, TensorRole role, Act out, RowRange r) override {
    const HostTensor* b = w_.at(layer, role);
    if (b == nullptr) return;
    if (out != Act::Normed) throw Error("CPU backend: add_bias writes Normed only");
    const int64_t H = def_.config().hidden_size;
    const float* bv = b->data.data();
#pragma omp parallel for num_threads(nt_) schedule(static)
    for (int64_t t = r.begin; t < r.begin + r.count; ++t) {
      float* y = xn_.data() + t * H;
      for (int64_t o = 0; o < H; ++o) y[o] += bv[o];
    }
  }

  void rope(int64_t schedule) override {
    if (probe_) probe_(layer_, q_, k_);
    const auto i = static_cast<size_t>(schedule);
    const rope::RopeSchedule& s = schedules_->by_type.at(i);
    const int64_t D = def_.config().head_dim;
    const float* band_q = s.q_band_scale.empty() ? nullptr : s.q_band_scale.data();
    const float* band_k = s.k_band_scale.empty() ? nullptr : s.k_band_scale.data();
    const float* qscale = s.query_scale.empty() ? nullptr : s.query_scale.data();
    cpu::apply_rope(q_.data(), def_.dims().heads, D, rope_->at(i), band_q, qscale, nt_);
    cpu::apply_rope(k_.data(), def_.dims().kv_heads, D, rope_->at(i), band_k, nullptr, nt_);
  }

  void qk_norm(int64_t layer) override {
    const ModelConfig& c = def_.config();
    cpu::rms_norm(q_.data(), L_ * def_.dims().heads, c.head_dim, w_.values(layer, R::QNorm), c.rms_norm_eps, q_.data(), nt_,
                  c.norm_weight_offset);
    cpu::rms_norm(k_.data(), L_ * def_.dims().kv_heads, c.head_dim, w_.values(layer, R::KNorm), c.rms_norm_eps, k_.data(),
                  nt_, c.norm_weight_offset);
  }

  void attention(int64_t window) override {
    const int64_t D = def_.config().head_dim;
    const float scale = static_cast<float>(def_.config().attention_scale());  // head_dim**-0.5 (Gemma-3: query_pre_attn_scalar**-0.5)
    cpu::causal_attention(q_.data(), k_.data(), v_.data(), L_, def_.dims().heads, def_.dims().kv_heads, D, scale,
                          attn_.data(), nt_, window, key_tile_);
  }

  void gated_act(RowRange r) override {
    cpu::gated_act(gate_.data(), up_.data(), r.count * def_.dims().intermediate, def_.config().hidden_act, nt_);
  }

  // Megatron's reduce_from_tensor_model_parallel_region: Normed holds this rank's partial sums.
  void all_reduce_sum(Act a, RowRange r) override {
    if (a != Act::Normed || tp_ == nullptr) throw Error("CPU backend: all_reduce_sum of Normed in a tensor-parallel group only");
    const int64_t H = def_.config().hidden_size;
    tp_->all_reduce_sum(std::span<float>(xn_.data() + r.begin * H, static_cast<size_t>(r.count * H)));
  }

  void lm_head_logprob() override {
    // Only the L-1 positions that have a next token.
    const int64_t H = def_.config().hidden_size;
    if (tp_ == nullptr) {
      cpu::next_token_scores(xn_.data(), L_ - 1, H, *w_.global(R::LmHead), tokens_.subspan(1), out_->logprob.data(),
                             out_->is_argmax.data(), kLogitChunk, nt_);
      return;
    }
    // The parallel log-softmax (Megatron's _VocabParallelCrossEntropy): the max over the group,
    // each slice's sum of exponentials rescaled to it and summed, the target's logit from the rank
    // that holds it; the target is the argmax when it is the first index of the global max.
    cpu::VocabSliceScores s = cpu::vocab_slice_scores(xn_.data(), L_ - 1, H, *w_.global(R::LmHead), def_.dims().vocab_begin,
                                                      tokens_.subspan(1), kLogitChunk, nt_);
    std::vector<float> global_max = s.max_logit;
    tp_->all_reduce_max(global_max);
    for (size_t r = 0; r < global_max.size(); ++r) {
      s.sum_exp[r] *= std::exp(static_cast<double>(s.max_logit[r]) - static_cast<double>(global_max[r]));
      if (s.max_logit[r] != global_max[r]) s.argmax[r] = INT64_MAX;
    }
    tp_->all_reduce_sum(s.sum_exp);
    tp_->all_reduce_sum(s.target_logit);
    tp_->all_reduce_min(s.argmax);
    for (size_t r = 0; r < global_max.size(); ++r) {
      out_->logprob[r] = static_cast<float>(static_cast<double>(s.target_logit[r] - global_max[r]) - std::log(s.sum_exp[r]));
      out_->is_argmax[r] = s.argmax[r] == tokens_[r + 1] ? 1 : 0;
    }
  }

 private:
  const ModelDef& def_;
  const cpu::HostWeights& w_;
  int nt_;
  Communicator* tp_;  // the tensor-parallel group, or nullptr for the whole model
  const std::function<void(int64_t, std::span<const float>, std::span<const float>)>& probe_;
  const int64_t key_tile_;  // keys per attention score tile
  int64_t layer_ = 0;  // the layer whose Q and K are computed (for the probe)
  std::span<const int32_t> tokens_;
  const rope::RopeSchedules* schedules_ = nullptr;
  const std::vector<cpu::RopeTables>* rope_ = nullptr;
  WindowScores* out_ = nullptr;
  int64_t L_ = 0;
  std::vector<float> x_, xn_, q_, k_, v_, attn_, gate_, up_;
};

class CpuBackend final : public Backend {
 public:
  CpuBackend(const Model& model, const BackendOptions& opts)
      : def_(model, opts.shard), weights_(def_), threads_(opts.threads > 0 ? opts.threads : omp_get_max_threads()),
        tp_(opts.shard.size > 1 ? opts.tensor_parallel : nullptr), opts_(opts) {
    if (opts.shard.size > 1 && (tp_ == nullptr || tp_->size() != opts.shard.size || tp_->rank() != opts.shard.rank))
      throw InputError(def_.source(), "--tp", "CPU backend: shard " + std::to_string(opts.shard.rank) + " of " +
                       std::to_string(opts.shard.size) + " needs a tensor-parallel group of that size (mpirun -n N ropebatch eval --tp N)");
  }

  std::string name() const override { return "cpu"; }

  std::vector<WindowScores> score(const std::vector<std::span<const int32_t>>& windows,
                                  const rope::RopeSchedules& schedules) override {
    const ModelConfig& c = def_.config();
    cpu::check_schedules(c, schedules);
    for (size_t w = 0; w < windows.size(); ++w) cpu::check_window(c, windows[w], w, schedules.by_type.front());
    cpu::use_single_threaded_blas();
    std::vector<cpu::RopeTables> rope;
    for (const rope::RopeSchedule& s : schedules.by_type) rope.push_back(cpu::make_rope_tables(s));
    std::vector<WindowScores> out;
    out.reserve(windows.size());
    CpuOps ops(def_, weights_, threads_, tp_, opts_);
    for (const auto& tokens : windows) {
      WindowScores& result = out.emplace_back();
      const int64_t L = static_cast<int64_t>(tokens.size());
      result.logprob.resize(static_cast<size_t>(std::max<int64_t>(L - 1, 0)));
      result.is_argmax.resize(static_cast<size_t>(std::max<int64_t>(L - 1, 0)));
      if (L < 2) continue;
      ops.bind(tokens, schedules, rope, result);
      run_decoder(def_, ops);
    }
    return out;
  }

 private:
  ModelDef def_;
  cpu::HostWeights weights_;
  int threads_;
  Communicator* tp_;
  BackendOptions opts_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const Model& model, const BackendOptions& opts) {
  return std::make_unique<CpuBackend>(model, opts);
}

}  // namespace rb
