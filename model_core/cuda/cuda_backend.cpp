// The CUDA backend: device selection, weights, memory plan, and the decoder ops (CudaOps) that the
// one decoder loop (model_core/decoder) runs over all tokens of a batch of windows:
//   linear(QKV)     one cuBLAS GEMM over the stacked [q; k; v] weight
//   rope            qkv_bias_rope in place on the fused q/k/v rows, with the stacked bias (its own
//                   pass after the GEMM instead when q/k norms come between)
//   attention       cuDNN SDPA (attention_cudnn.hpp) or our flash_attention, per window
//   linear(O/Down)  cuBLAS into `normed`; their biases by add_bias
//   add_rms_norm    residual += normed; normed = RMSNorm(residual), fused
//   linear(GateUp)  one GEMM over [gate; up] per row chunk, then swiglu (silu or GELU-tanh)
//   norm_output     Gemma-3's post-block norms on `normed` in place
//   lm_head_logprob the fused LM head (lm_head.hpp)
//   all_reduce_sum  under --tp: o_proj's and down_proj's partial sums over NCCL (nccl_group.hpp);
//                   each rank holds its heads, MLP features and vocabulary rows (ModelDef's shard)
// 4-bit projections are dequantized into a reused buffer right before their GEMM (W4A16).
#include "model_core/cuda/cuda_backend.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "model_core/cuda/attention_cudnn.hpp"
#include "model_core/cuda/attention_fa3.hpp"
#include "model_core/cuda/blas.hpp"
#include "model_core/cuda/cuda_check.hpp"
#include "model_core/cuda/cuda_options.hpp"
#include "model_core/cuda/device_buffer.hpp"
#include "model_core/cuda/device_weights.hpp"
#include "model_core/cuda/forward_plan.hpp"
#include "model_core/cuda/kernels.hpp"
#include "model_core/cuda/lm_head.hpp"
#include "model_core/cuda/nccl_group.hpp"
#include "model_core/decoder/decoder_ops.hpp"
#include "model_core/parallel/communicator.hpp"

namespace rb {
namespace cuda {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
// Left free beyond the planned buffers: cuBLAS internals, context growth, fragmentation.
constexpr std::size_t kReserveBytes = std::size_t{512} << 20;

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", bytes / kGiB);
  return buf;
}

int local_rank_from_env() {
  for (const char* name : {"LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"})
    if (const char* v = std::getenv(name)) return std::atoi(v);
  return 0;
}

int pick_device(int requested) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error state
    throw Error(std::string("no CUDA device: ") + cudaGetErrorString(e));
  }
  if (count == 0) throw Error("no CUDA device: the driver reports none");
  const int dev = requested >= 0 ? requested : local_rank_from_env() % count;
  if (dev >= count)
    throw Error("no CUDA device: device " + std::to_string(dev) + " requested, " + std::to_string(count) + " present");
  return dev;
}

void validate_for_cuda(const ModelConfig& c) {
  auto fail = [&](const std::string& field, const std::string& what) { throw InputError(c.source, field, what); };
  if (c.hidden_size <= 0 || c.num_heads <= 0 || c.num_kv_heads <= 0 || c.head_dim <= 0 || c.vocab_size <= 0 ||
      c.intermediate_size <= 0 || c.num_layers < 0)
    fail("", "model dimensions must be positive for the CUDA backend");
  if (c.num_heads % c.num_kv_heads != 0) fail("num_key_value_heads", "must divide num_attention_heads");
  if (c.head_dim > 256) fail("head_dim", "the CUDA backend supports head_dim <= 256");
  if (c.rotary_dim() % 2 != 0 || c.rotary_dim() > c.head_dim) fail("partial_rotary_factor", "rotary dim must be even and <= head_dim");
}

struct Stream {
  cudaStream_t s = nullptr;
  Stream() { CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking)); }
  ~Stream() {
    if (s) cudaStreamDestroy(s);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
};

// OpTimer over CUDA events recorded on one stream: the interval between consecutive events goes
// to the class of the later mark. Events are pooled and read back once per group of windows.
class EventOpTimer final : public OpTimer {
 public:
  explicit EventOpTimer(cudaStream_t s) : stream_(s) {}
  ~EventOpTimer() override {
    for (cudaEvent_t e : pool_) cudaEventDestroy(e);
  }
  EventOpTimer(const EventOpTimer&) = delete;
  EventOpTimer& operator=(const EventOpTimer&) = delete;

  void start() {
    used_ = 0;
    classes_.clear();
    record();
  }
  void mark(OpClass c) override {
    record();
    classes_.push_back(c);
  }
  // Adds the marked intervals to `into` and starts again from now.
  void collect(OpTimes& into) {
    if (used_ > 1) {
      CUDA_CHECK(cudaEventSynchronize(pool_[used_ - 1]));
      for (std::size_t i = 1; i < used_; ++i) {
        float ms = 0;
        CUDA_CHECK(cudaEventElapsedTime(&ms, pool_[i - 1], pool_[i]));
        const auto c = static_cast<std::size_t>(classes_[i - 1]);
        into.ms[c] += ms;
        ++into.calls[c];
      }
    }
    start();
  }

 private:
  void record() {
    if (used_ == pool_.size()) {
      cudaEvent_t e = nullptr;
      CUDA_CHECK(cudaEventCreate(&e));
      pool_.push_back(e);
    }
    CUDA_CHECK(cudaEventRecord(pool_[used_++], stream_));
  }
  cudaStream_t stream_;
  std::vector<cudaEvent_t> pool_;
  std::size_t used_ = 0;
  std::vector<OpClass> classes_;
};

template <typename T>
class CudaModelBackend final : public CudaBackend {
 public:
  CudaModelBackend(const ModelConfig& c, const CudaOptions& o, int device)
      : config_(c), shard_config_(c), opts_(o), device_(device) {
    validate_for_cuda(c);
    CUDA_CHECK(cudaSetDevice(device_));
    cudaDeviceProp prop{};
    CUDA_CHECK(cudaGetDeviceProperties(&prop, device_));
    device_name_ = prop.name;
    if (prop.major < 8)
      throw Error("CUDA device " + std::to_string(device_) + " (" + device_name_ + ") has compute capability " +
                  std::to_string(prop.major) + "." + std::to_string(prop.minor) + "; the backend needs 8.0 or newer");
    stream_ = std::make_unique<Stream>();
    blas_ = std::make_unique<Blas>(stream_->s, std::size_t{32} << 20, opts_.gemm, opts_.gemm_log);
    if (opts_.hf_rounding && opts_.glu_table) {
      glu_table_ = DeviceBuffer<T>(kGluTableSize);
      glu_table<T>(glu_table_.get(), glu_act(), stream_->s);
    }
  }

  ~CudaModelBackend() override {
    if (stream_) cudaStreamSynchronize(stream_->s);
  }

  // A tensor-parallel rank: NCCL over the host group's ranks (each on its own device), before
  // load_weights of its shard.
  void join_group(Communicator& host) {
    CUDA_CHECK(cudaSetDevice(device_));
    group_ = std::make_unique<NcclGroup>(host);
  }

  void load_weights(const ModelDef& def, const std::vector<ExpectedScores>& expected = {}) {
    shard_ = def.shard();
    if (shard_.size > 1 && (!group_ || group_->size() != shard_.size || group_->rank() != shard_.rank))
      throw Error("CUDA backend: shard " + std::to_string(shard_.rank) + " of " + std::to_string(shard_.size) +
                  " needs the NCCL group of its ranks");
    // This rank's widths: its heads, KV heads, MLP features and vocabulary rows (the embedding and
    // the token checks keep the whole vocabulary: config_).
    shard_config_.num_heads = def.dims().heads;
    shard_config_.num_kv_heads = def.dims().kv_heads;
    shard_config_.intermediate_size = def.dims().intermediate;
    shard_config_.vocab_size = def.dims().vocab;
    vocab_begin_ = def.dims().vocab_begin;
    bool packed = false;
    for (int64_t i = 0; i < def.num_layers(); ++i)
      for (TensorRole r : {TensorRole::Q, TensorRole::K, TensorRole::V, TensorRole::O, TensorRole::Gate, TensorRole::Up,
                           TensorRole::Down})
        packed |= def.layer(i, r) != nullptr && def.layer(i, r)->is_packed();
    const std::size_t need = check_weights_fit(def.source(), device_weight_bytes(config_, sizeof(T), &def), packed);
    choose_attention();
    while_planning(expected, need, [&] { weights_ = upload_weights<T>(def, stream_->s); });
    allocate_dequant_buffers();
  }
  void load_random(uint64_t seed, const RandomQuant* rq, const std::vector<ExpectedScores>& expected = {}) {
    const std::size_t need =
        check_weights_fit("random weights", device_weight_bytes(config_, sizeof(T), nullptr, rq), rq != nullptr);
    choose_attention();
    while_planning(expected, need, [&] { weights_ = random_weights<T>(config_, seed, stream_->s, rq); });
    allocate_dequant_buffers();
  }

  std::string name() const override { return "cuda"; }

  std::string describe() const override {
    std::string s = cuda::describe(opts_);
    const std::string own = attn_ == AttnKernel::TensorCore ? "tensor cores" : "simple kernel";
    const std::string fallback = cudnn_ ? cudnn_attention_version() + ", else " + own : own;
    s += fa3_ ? " (FlashAttention-3, else " + fallback + ")" : " (" + fallback + ")";
    if (!fa3_note_.empty() && opts_.attention != AttnChoice::Cudnn) s += ", " + fa3_note_;
    if (!attn_note_.empty()) s += ", " + attn_note_;
    return s + ", device " + std::to_string(device_) + ": " + device_name_;
  }

  void synchronize() override { CUDA_CHECK(cudaStreamSynchronize(stream_->s)); }

  void set_op_timing(bool on) override {
    if (on && !timer_) timer_ = std::make_unique<EventOpTimer>(stream_->s);
    if (!on) timer_.reset();
  }
  OpTimes op_times() const override { return op_times_; }
  void reset_op_times() override { op_times_ = OpTimes{}; }

  CudaMemoryStats memory_stats() const override {
    CudaMemoryStats m;
    m.weights_gib = static_cast<double>(weights_.bytes()) / kGiB;
    m.dequant_gib = static_cast<double>(dequant_.bytes() + dequant_down_.bytes()) / kGiB;
    m.activations_gib = static_cast<double>(activation_bytes()) / kGiB;
    std::size_t free_b = 0, total_b = 0;
    CUDA_CHECK(cudaSetDevice(device_));
    CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    m.device_used_gib = static_cast<double>(total_b - free_b) / kGiB;
    m.device_total_gib = static_cast<double>(total_b) / kGiB;
    return m;
  }

  int64_t preferred_batch(int64_t length) const override {
    return batch_within(length, free_bytes() + activation_bytes());
  }

  std::size_t attention_shapes_prepared() const override { return cudnn_ ? cudnn_->shapes_prepared() : 0; }

  std::vector<WindowScores> score(const std::vector<std::span<const int32_t>>& windows,
                                  const rope::RopeSchedules& schedules) override {
    const int64_t L = schedules.length();
    validate_inputs(windows, schedules, L);
    std::vector<WindowScores> out(windows.size());
    if (windows.empty() || L < 2) return out;
    CUDA_CHECK(cudaSetDevice(device_));
    if (timer_) timer_->start();

    const int64_t W = static_cast<int64_t>(windows.size());
    int64_t group = W;
    while (group > 1 && !fits(group, L)) group = (group + 1) / 2;
    ensure_buffers(plan_for(group, L));
    for (size_t i = 0; i < schedules.by_type.size(); ++i) upload_schedule(schedules.by_type[i], L, ropes_[i]);
    mark(OpClass::Setup);
    for (int64_t start = 0; start < W; start += group) {
      const int64_t n = std::min(group, W - start);
      run_group(windows, start, n, L, out);
    }
    return out;
  }

 private:
  // One per RoPE schedule of a window (ModelConfig::rope_schedule_count).
  struct DeviceRope {
    DeviceBuffer<float> cos, sin, positions, query_scale, inv_freq, q_band, k_band;
    bool has_query_scale = false, has_q_band = false, has_k_band = false;
    std::size_t bytes() const {
      return cos.bytes() + sin.bytes() + positions.bytes() + query_scale.bytes() + inv_freq.bytes() + q_band.bytes() +
             k_band.bytes();
    }
  };

  // ---- memory ----
  std::size_t activation_bytes() const {
    std::size_t b = residual_f32_.bytes() + residual_t_.bytes() + normed_.bytes() + work_.bytes() + tokens_.bytes() + targets_.bytes() + state_.bytes() +
                    logprob_.bytes() + argmax_.bytes() + cudnn_workspace_.bytes() + glu_table_.bytes();
    for (const DeviceRope& r : ropes_) b += r.bytes();
    return b;
  }

  std::size_t free_bytes() const {
    std::size_t free_b = 0, total_b = 0;
    CUDA_CHECK(cudaSetDevice(device_));
    CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    return free_b;
  }

  ForwardPlan plan_for(int64_t batch, int64_t L) const {
    return make_forward_plan(shard_config_, sizeof(T), residual_in_t() ? sizeof(T) : sizeof(float), batch, L,
                             opts_.mlp_rows, opts_.lm_rows);
  }
  bool fits(int64_t batch, int64_t L) const { return fits_within(batch, L, free_bytes() + activation_bytes()); }
  bool fits_within(int64_t batch, int64_t L, std::size_t avail) const {
    return plan_for(batch, L).bytes + kReserveBytes <= avail;
  }
  // The batch preferred_batch aims for when `avail` device bytes can hold the activations.
  int64_t batch_within(int64_t length, std::size_t avail) const {
    if (length <= 0) return 1;
    int64_t b = std::clamp<int64_t>(opts_.batch_tokens / length, 1, 4096);
    while (b > 1 && !fits_within(b, length, avail)) b = b * 3 / 4;
    return std::max<int64_t>(b, 1);
  }

  // ---- attention plans built while the weights load ----
  // cuDNN compiles each new shape's attention kernel on the CPU (tens of ms with the CUDA JIT
  // cache, up to a second without; docs/PERFORMANCE.md). The shapes of the expected calls are
  // prepared on a second thread while `load` uploads the weights; that thread has the cuDNN handle
  // to itself until it is joined. A shape that fails there is prepared again, and reports, at its
  // first call.
  template <typename Load>
  void while_planning(const std::vector<ExpectedScores>& expected, std::size_t weight_bytes, Load&& load) {
    std::vector<AttnArgs<T>> shapes = expected_attention_shapes(expected, weight_bytes);
    std::thread planner;
    if (!shapes.empty())
      planner = std::thread([this, shapes = std::move(shapes)] {
        try {
          CUDA_CHECK(cudaSetDevice(device_));
          for (const AttnArgs<T>& a : shapes) (void)cudnn_->prepare(a);
        } catch (...) {  // an exception must not leave the thread; the first call reports it
        }
      });
    try {
      load();
    } catch (...) {
      if (planner.joinable()) planner.join();
      throw;
    }
    if (planner.joinable()) planner.join();
  }

  // The attention shapes score() will prepare for the expected calls: batches as preferred_batch
  // will choose them once `weight_bytes` are taken, and a last partial batch; full causal and,
  // with sliding layers, banded too, as prepare_attention prepares them.
  std::vector<AttnArgs<T>> expected_attention_shapes(const std::vector<ExpectedScores>& expected,
                                                     std::size_t weight_bytes) const {
    std::vector<AttnArgs<T>> shapes;
    if (!cudnn_) return shapes;
    const std::size_t free_now = free_bytes();
    const std::size_t avail = free_now > weight_bytes ? free_now - weight_bytes : 0;
    auto add = [&](int64_t batch, int64_t L) {
      AttnArgs<T> a = attention_shape(plan_for(batch, L));
      if (!fa3_ || !fa3_->supports(a).empty()) shapes.push_back(a);  // FlashAttention-3 needs no plan
      if (config_.sliding_window > 0) {
        a.window = static_cast<int>(config_.sliding_window);
        if (!fa3_ || !fa3_->supports(a).empty()) shapes.push_back(a);
      }
    };
    for (const ExpectedScores& e : expected) {
      if (e.length < 2) continue;
      const int64_t batch = batch_within(e.length, avail);
      const int64_t full = e.windows > 0 ? std::min(e.windows, batch) : batch;
      add(full, e.length);
      if (e.windows > full && e.windows % full != 0) add(e.windows % full, e.length);
    }
    return shapes;
  }

  // 4-bit projections are dequantized into these right before their GEMM (W4A16): one buffer for
  // qkv, o and gate_up, one for down (the MLP loop alternates gate_up and down per row chunk).
  void allocate_dequant_buffers() {
    dequant_.reset(static_cast<std::size_t>(weights_.max_packed_elems));
    dequant_down_.reset(static_cast<std::size_t>(weights_.max_packed_down_elems));
  }

  const T* weight(const DeviceMatrix<T>& m, T* buffer) const {
    if (!m.packed()) return m.dense;
    cudaStream_t st = stream_->s;
    T* dst = buffer;
    for (const auto& part : m.parts) {
      if (part.dense)
        CUDA_CHECK(cudaMemcpyAsync(dst, part.dense, part.rows * m.cols * sizeof(T), cudaMemcpyDeviceToDevice, st));
      else
        dequantize<T>(part.quant, dst, st);
      dst += part.rows * m.cols;
    }
    return buffer;
  }

  // Throws when the weights (with dequantization buffers) do not fit; returns the bytes they take.
  std::size_t check_weights_fit(const std::string& source, std::size_t weight_bytes, bool packed) {
    // Upper bound of the dequantization buffers (allocated only when some projection is 4-bit).
    const ModelConfig& c = shard_config_;
    const std::size_t largest = static_cast<std::size_t>(std::max(
        {(c.num_heads + 2 * c.num_kv_heads) * c.head_dim * c.hidden_size, 2 * c.intermediate_size * c.hidden_size,
         c.hidden_size * c.num_heads * c.head_dim}));
    const std::size_t need =
        weight_bytes + (packed ? (largest + static_cast<std::size_t>(c.hidden_size * c.intermediate_size)) * sizeof(T) : 0);
    const std::size_t avail = free_bytes();
    if (need + kReserveBytes > avail)
      throw Error("CUDA: the weights of " + source + " need " + gib(static_cast<double>(need)) + " GiB (" +
                  (packed ? "4-bit projections with their dequantization buffers" : "16-bit") + "), " + gib(static_cast<double>(avail)) + " GiB are free on device " +
                  std::to_string(device_) + " (" + device_name_ + ")");
    return need;
  }

  template <typename U>
  static void grow(DeviceBuffer<U>& b, int64_t n) {
    if (static_cast<int64_t>(b.size()) < n) b.reset(static_cast<std::size_t>(n));
  }

  void ensure_buffers(const ForwardPlan& p) {
    const int64_t hid = config_.hidden_size, half = p.half_rotary;
    const bool enough = residual_rows() >= p.rows &&
                        static_cast<int64_t>(work_.size()) >= p.work_elems && !ropes_.empty() &&
                        static_cast<int64_t>(ropes_.front().positions.size()) >= p.seq_len;
    if (enough) return;
    const std::size_t avail = free_bytes() + activation_bytes();
    if (p.bytes + kReserveBytes > avail)
      throw Error("CUDA: scoring " + std::to_string(p.batch) + " window(s) of " + std::to_string(p.seq_len) +
                  " tokens needs " + gib(static_cast<double>(p.bytes + kReserveBytes)) +
                  " GiB of activation buffers on top of " + gib(static_cast<double>(weights_.bytes())) +
                  " GiB of weights; " + gib(static_cast<double>(avail)) + " GiB are free on device " +
                  std::to_string(device_) + " (" + device_name_ + ")");
    CUDA_CHECK(cudaStreamSynchronize(stream_->s));
    // Free everything first so the new plan never coexists with the old one.
    residual_f32_.release();
    residual_t_.release();
    logprob_.release();
    ropes_.clear();
    normed_.release();
    work_.release();
    tokens_.release();
    targets_.release();
    state_.release();
    argmax_.release();
    if (residual_in_t())
      grow(residual_t_, p.rows * hid);
    else
      grow(residual_f32_, p.rows * hid);
    grow(normed_, p.rows * hid);
    grow(work_, p.work_elems);
    grow(tokens_, p.rows);
    grow(targets_, p.rows);
    grow(state_, p.rows);
    grow(logprob_, p.rows);
    grow(argmax_, p.rows);
    ropes_.resize(static_cast<size_t>(config_.rope_schedule_count()));
    for (DeviceRope& r : ropes_) {
      grow(r.positions, p.seq_len);
      grow(r.query_scale, p.seq_len);
      grow(r.cos, std::max<int64_t>(p.seq_len * half, 1));
      grow(r.sin, std::max<int64_t>(p.seq_len * half, 1));
      grow(r.inv_freq, std::max<int64_t>(half, 1));
      grow(r.q_band, std::max<int64_t>(half, 1));
      grow(r.k_band, std::max<int64_t>(half, 1));
    }
  }

  // ---- inputs ----
  void validate_inputs(const std::vector<std::span<const int32_t>>& windows, const rope::RopeSchedules& all,
                       int64_t L) const {
    auto bad = [](const std::string& what) { throw Error("CUDA backend: " + what); };
    if (static_cast<int64_t>(all.by_type.size()) != config_.rope_schedule_count())
      bad(std::to_string(all.by_type.size()) + " RoPE schedule(s) given; the model has " +
          std::to_string(config_.rope_schedule_count()) + " (one per layer type with its own RoPE)");
    for (const rope::RopeSchedule& s : all.by_type) {
      if (static_cast<int64_t>(s.positions.size()) != L)
        bad("the RoPE schedules of one call have different lengths");
      validate_schedule(s, L);
    }
    validate_windows(windows, L);
  }

  void validate_schedule(const rope::RopeSchedule& s, int64_t L) const {
    const int64_t half = config_.rotary_dim() / 2;
    auto bad = [](const std::string& what) { throw Error("CUDA backend: " + what); };
    if (static_cast<int64_t>(s.inv_freq.size()) != half)
      bad("RoPE schedule has " + std::to_string(s.inv_freq.size()) + " inverse frequencies, the model's rotary_dim/2 is " +
          std::to_string(half));
    if (!s.query_scale.empty() && static_cast<int64_t>(s.query_scale.size()) != L)
      bad("RoPE schedule query_scale has " + std::to_string(s.query_scale.size()) + " entries for " +
          std::to_string(L) + " positions");
    if (!s.q_band_scale.empty() && static_cast<int64_t>(s.q_band_scale.size()) != half) bad("q_band_scale size != rotary_dim/2");
    if (!s.k_band_scale.empty() && static_cast<int64_t>(s.k_band_scale.size()) != half) bad("k_band_scale size != rotary_dim/2");
  }

  void validate_windows(const std::vector<std::span<const int32_t>>& windows, int64_t L) const {
    auto bad = [](const std::string& what) { throw Error("CUDA backend: " + what); };
    for (std::size_t w = 0; w < windows.size(); ++w) {
      if (static_cast<int64_t>(windows[w].size()) != L)
        bad("window " + std::to_string(w) + " has " + std::to_string(windows[w].size()) +
            " tokens, the RoPE schedule has " + std::to_string(L) + " positions");
      for (std::size_t t = 0; t < windows[w].size(); ++t) {
        const int32_t id = windows[w][t];
        if (id < 0 || id >= config_.vocab_size)
          bad("token id " + std::to_string(id) + " at position " + std::to_string(t) + " of window " +
              std::to_string(w) + " is outside the vocabulary [0, " + std::to_string(config_.vocab_size) + ")");
      }
    }
  }

  void upload_schedule(const rope::RopeSchedule& s, int64_t L, DeviceRope& r) {
    const int64_t half = config_.rotary_dim() / 2;
    cudaStream_t st = stream_->s;
    auto put = [&](DeviceBuffer<float>& dst, const std::vector<float>& src) {
      if (!src.empty())
        CUDA_CHECK(cudaMemcpyAsync(dst.get(), src.data(), src.size() * sizeof(float), cudaMemcpyHostToDevice, st));
    };
    put(r.positions, s.positions);
    put(r.query_scale, s.query_scale);
    put(r.inv_freq, s.inv_freq);
    put(r.q_band, s.q_band_scale);
    put(r.k_band, s.k_band_scale);
    r.has_query_scale = !s.query_scale.empty();
    r.has_q_band = !s.q_band_scale.empty();
    r.has_k_band = !s.k_band_scale.empty();
    rope_table(r.inv_freq.get(), r.positions.get(), L, half, s.attention_scaling, r.cos.get(), r.sin.get(), st);
    CUDA_CHECK(cudaStreamSynchronize(st));  // host vectors may go away after score()
  }

  void run_group(const std::vector<std::span<const int32_t>>& windows, int64_t start, int64_t n, int64_t L,
                 std::vector<WindowScores>& out) {
    const ForwardPlan p = plan_for(n, L);
    const int64_t rows = p.rows;
    host_tokens_.resize(rows);
    host_targets_.resize(rows);
    for (int64_t b = 0; b < n; ++b) {
      const auto& w = windows[start + b];
      for (int64_t t = 0; t < L; ++t) {
        host_tokens_[b * L + t] = w[t];
        host_targets_[b * L + t] = t + 1 < L ? w[t + 1] : -1;
      }
    }
    cudaStream_t st = stream_->s;
    CUDA_CHECK(cudaMemcpyAsync(tokens_.get(), host_tokens_.data(), rows * sizeof(int32_t), cudaMemcpyHostToDevice, st));
    CUDA_CHECK(cudaMemcpyAsync(targets_.get(), host_targets_.data(), rows * sizeof(int32_t), cudaMemcpyHostToDevice, st));
    mark(OpClass::Copies);
    prepare_attention(p);
    mark(OpClass::Setup);
    forward(p);
    host_logprob_.resize(rows);
    host_argmax_.resize(rows);
    CUDA_CHECK(cudaMemcpyAsync(host_logprob_.data(), logprob_.get(), rows * sizeof(float), cudaMemcpyDeviceToHost, st));
    CUDA_CHECK(cudaMemcpyAsync(host_argmax_.data(), argmax_.get(), rows * sizeof(uint8_t), cudaMemcpyDeviceToHost, st));
    CUDA_CHECK(cudaStreamSynchronize(st));
    mark(OpClass::Copies);
    if (timer_) timer_->collect(op_times_);
    for (int64_t b = 0; b < n; ++b) {
      WindowScores& ws = out[start + b];
      ws.logprob.assign(host_logprob_.begin() + b * L, host_logprob_.begin() + b * L + (L - 1));
      ws.is_argmax.assign(host_argmax_.begin() + b * L, host_argmax_.begin() + b * L + (L - 1));
    }
  }

  void mark(OpClass c) {
    if (timer_) timer_->mark(c);
  }

  // ---- the forward pass: the decoder loop over this backend's ops ----
  class Ops final : public DecoderOps {
   public:
    Ops(CudaModelBackend& b, const ForwardPlan& p) : b_(b), p_(p), st_(b.stream_->s) {
      shape_.rows = p.rows;
      shape_.seq_len = p.seq_len;
      shape_.heads = b.shard_config_.num_heads;
      shape_.kv_heads = b.shard_config_.num_kv_heads;
      shape_.head_dim = b.config_.head_dim;
      shape_.rotary_dim = b.config_.rotary_dim();
      aa_ = b.attention_shape(p);
    }
    int64_t rows() const override { return p_.rows; }
    int64_t mlp_chunk_rows() const override { return p_.mlp_chunk; }

    void embedding() override {
      const ModelConfig& c = b_.config_;
      b_.with_residual([&](auto* residual) {
        embed_rows<T>(b_.tokens_.get(), p_.rows, b_.weights_.embed, c.hidden_size, c.vocab_size, residual, st_,
                      static_cast<float>(c.embedding_scale), b_.opts_.hf_rounding);
      });
    }
    void rms_norm(int64_t layer, TensorRole role) override { norm(nullptr, layer, role); }
    void add_rms_norm(int64_t layer, TensorRole role) override { norm(b_.normed_.get(), layer, role); }

    void norm_output(int64_t i, TensorRole role, RowRange r) override {
      const DeviceLayer<T>& lw = b_.weights_.layers[static_cast<size_t>(i)];
      const T* w = role == TensorRole::PostAttnNorm ? lw.post_attn_norm : role == TensorRole::PostMlpNorm ? lw.post_mlp_norm : nullptr;
      if (!w) throw Error("CUDA backend: layer " + std::to_string(i) + " has no " + role_name(role) + " weight");
      const ModelConfig& c = b_.config_;
      const int64_t hid = c.hidden_size;
      head_rmsnorm<T>(b_.normed_.get() + r.begin * hid, r.count, 1, static_cast<int>(hid), hid, w,
                      static_cast<float>(c.rms_norm_eps), st_, c.norm_weight_offset);
    }

    void linear(int64_t i, Proj proj, RowRange r) override {
      const ModelConfig& c = b_.shard_config_;
      const DeviceLayer<T>& lw = b_.weights_.layers[static_cast<size_t>(i)];
      const int64_t hid = c.hidden_size, ff = c.intermediate_size, qkv_w = p_.qkv_width, attn_w = p_.attn_width;
      const Blas& blas = *b_.blas_;
      T* normed = b_.normed_.get();
      T* work = b_.work_.get();
      switch (proj) {
        case Proj::QKV:
          blas.linear<T, T>(normed, hid, weight(lw.qkv, i, proj, b_.dequant_.get()), hid, work, qkv_w, p_.rows, hid, qkv_w);
          // The bias is the RoPE pass's first step (the same rounded add, one pass less over qkv)
          // unless q/k norms come between.
          qkv_bias_for_rope_ = c.qk_norm ? nullptr : lw.qkv_bias;
          if (lw.qkv_bias && c.qk_norm) cuda::add_bias<T>(work, p_.rows, qkv_w, qkv_w, lw.qkv_bias, st_);
          break;
        case Proj::O:
          blas.linear<T, T>(work + p_.attn_out_offset, attn_w, weight(lw.o, i, proj, b_.dequant_.get()), attn_w, normed, hid,
                            p_.rows, attn_w, hid);
          break;
        case Proj::GateUp:
          blas.linear<T, T>(normed + r.begin * hid, hid, weight(lw.gate_up, i, proj, b_.dequant_.get()), hid, work, 2 * ff,
                            r.count, hid, 2 * ff);
          if (lw.gate_up_bias) cuda::add_bias<T>(work, r.count, 2 * ff, 2 * ff, lw.gate_up_bias, st_);
          break;
        case Proj::Down:
          blas.linear<T, T>(work + p_.mlp_act_offset, ff, weight(lw.down, i, proj, b_.dequant_down_.get()), ff,
                            normed + r.begin * hid, hid, r.count, ff, hid);
          break;
      }
    }

    void add_bias(int64_t i, TensorRole role, Act out, RowRange r) override {
      const DeviceLayer<T>& lw = b_.weights_.layers[static_cast<size_t>(i)];
      const T* bias = role == TensorRole::OBias ? lw.o_bias : role == TensorRole::DownBias ? lw.down_bias : nullptr;
      if (!bias) return;
      if (out != Act::Normed) throw Error("CUDA backend: add_bias writes normed rows only");
      const int64_t hid = b_.config_.hidden_size;
      cuda::add_bias<T>(b_.normed_.get() + r.begin * hid, r.count, hid, hid, bias, st_);
    }

    void rope(int64_t schedule) override {
      const DeviceRope& r = b_.ropes_.at(static_cast<size_t>(schedule));
      qkv_bias_rope<T>(b_.work_.get(), std::exchange(qkv_bias_for_rope_, nullptr), r.cos.get(), r.sin.get(),
                       r.has_query_scale ? r.query_scale.get() : nullptr, r.has_q_band ? r.q_band.get() : nullptr,
                       r.has_k_band ? r.k_band.get() : nullptr, shape_, st_);
    }

    void qk_norm(int64_t i) override {
      const DeviceLayer<T>& lw = b_.weights_.layers[static_cast<size_t>(i)];
      if (!lw.q_norm || !lw.k_norm) throw Error("CUDA backend: layer " + std::to_string(i) + " has no q_norm / k_norm");
      const int D = static_cast<int>(b_.config_.head_dim);
      const float eps = static_cast<float>(b_.config_.rms_norm_eps), offset = b_.config_.norm_weight_offset;
      T* qkv = b_.work_.get();
      head_rmsnorm<T>(qkv, p_.rows, static_cast<int>(shape_.heads), D, p_.qkv_width, lw.q_norm, eps, st_, offset);
      head_rmsnorm<T>(qkv + shape_.heads * D, p_.rows, static_cast<int>(shape_.kv_heads), D, p_.qkv_width, lw.k_norm, eps,
                      st_, offset);
    }

    void attention(int64_t window) override {
      T* qkv = b_.work_.get();
      const int64_t H = b_.shard_config_.num_heads, KV = b_.shard_config_.num_kv_heads, D = b_.config_.head_dim;
      aa_.q = qkv;
      aa_.k = qkv + H * D;
      aa_.v = qkv + (H + KV) * D;
      aa_.o = qkv + p_.attn_out_offset;
      aa_.window = static_cast<int>(window);
      if (window == 0 ? b_.use_fa3_ : b_.use_fa3_sliding_)
        b_.fa3_->run(aa_, st_);
      else if (window > 0 ? b_.use_cudnn_sliding_ : b_.use_cudnn_)
        b_.cudnn_->run(aa_, b_.cudnn_workspace_.get(), b_.cudnn_workspace_.bytes(), st_);
      else
        flash_attention<T>(aa_, window > 0 ? AttnKernel::Simple : b_.attn_, st_);  // sliding: the simple kernel
    }

    void gated_act(RowRange r) override {
      T* work = b_.work_.get();
      cuda::swiglu<T>(work, work + p_.mlp_act_offset, r.count, b_.shard_config_.intermediate_size, b_.opts_.hf_rounding, st_,
                      b_.glu_act(), b_.glu_table_.get());
    }

    // reduce_from_tensor_parallel_region: o_proj's and down_proj's partial sums, in T over NCCL.
    void all_reduce_sum(Act a, RowRange r) override {
      if (a != Act::Normed || !b_.group_) throw Error("CUDA backend: all_reduce_sum of Normed in a tensor-parallel group only");
      const int64_t hid = b_.config_.hidden_size;
      b_.group_->all_reduce_sum<T>(b_.normed_.get() + r.begin * hid, r.count * hid, st_);
    }

    void lm_head_logprob() override {
      LmHeadArgs lm = p_.lm;
      lm.round_logits = b_.opts_.hf_rounding;
      lm.vocab_begin = b_.vocab_begin_;
      lm_head_logprobs<T>(*b_.blas_, b_.normed_.get(), b_.weights_.lm_head, b_.targets_.get(), lm,
                          reinterpret_cast<float*>(b_.work_.get()), b_.state_.get(), b_.logprob_.get(),
                          b_.argmax_.get(), st_, b_.group_.get());
    }

   private:
    void norm(const T* delta, int64_t layer, TensorRole role) {
      const ModelConfig& c = b_.config_;
      const T* w = role == TensorRole::FinalNorm ? b_.weights_.final_norm
                   : role == TensorRole::AttnNorm ? b_.weights_.layers[static_cast<size_t>(layer)].input_norm
                                                  : b_.weights_.layers[static_cast<size_t>(layer)].post_norm;
      b_.with_residual([&](auto* residual) {
        add_rmsnorm<T>(residual, delta, w, b_.normed_.get(), p_.rows, c.hidden_size, static_cast<float>(c.rms_norm_eps),
                       b_.opts_.hf_rounding, st_, c.norm_weight_offset);
      });
    }
    // A 4-bit projection is dequantized once per layer: the MLP's row chunks reuse it (qkv, o and
    // gate_up share one buffer, down has its own, so the chunks' alternation keeps both).
    const T* weight(const DeviceMatrix<T>& m, int64_t layer, Proj proj, T* buffer) {
      if (!m.packed()) return m.dense;
      auto& held = buffer == b_.dequant_down_.get() ? held_down_ : held_;
      if (held.first != layer || held.second != proj) {
        b_.weight(m, buffer);
        b_.mark(OpClass::Dequant);
        held = {layer, proj};
      }
      return buffer;
    }

    CudaModelBackend& b_;
    const ForwardPlan& p_;
    cudaStream_t st_;
    QkvShape shape_;
    AttnArgs<T> aa_;
    const T* qkv_bias_for_rope_ = nullptr;  // set by linear(QKV), applied and cleared by rope()
    std::pair<int64_t, Proj> held_{-1, Proj::QKV}, held_down_{-1, Proj::Down};
  };

  void forward(const ForwardPlan& p) {
    Ops ops(*this, p);
    if (timer_) {
      TimedDecoderOps timed(ops, *timer_);
      run_decoder(config_, shard_, timed);
    } else {
      run_decoder(config_, shard_, ops);
    }
  }

  // ---- attention selection (RB_CUDA_ATTN, cuda_options.hpp) ----
  // The attention problem of a plan (q/k/v inside the fused qkv rows); pointers set per layer.
  AttnArgs<T> attention_shape(const ForwardPlan& p) const {
    AttnArgs<T> a;
    a.q_stride = a.kv_stride = p.qkv_width;
    a.o_stride = p.attn_width;
    a.batch = static_cast<int>(p.batch);
    a.seq_len = static_cast<int>(p.seq_len);
    a.heads = static_cast<int>(shard_config_.num_heads);
    a.kv_heads = static_cast<int>(shard_config_.num_kv_heads);
    a.head_dim = static_cast<int>(config_.head_dim);
    a.scale = static_cast<float>(config_.attention_scale());
    return a;
  }

  // Per forward shape: for full causal layers FlashAttention-3 when it was selected and serves
  // the shape, else cuDNN when selected and it supports (batch, seq_len), else the own kernel
  // (auto) or an error (RB_CUDA_ATTN=fa3 / cudnn); sliding layers cuDNN or the simple kernel.
  // Grows the FlashAttention-3 and cuDNN buffers (the stream is idle between groups).
  void prepare_attention(const ForwardPlan& p) {
    const int64_t W = config_.sliding_window;
    use_fa3_ = prepare_fa3_attention(p, 0);
    use_cudnn_ = !use_fa3_ && prepare_cudnn_attention(p, 0);
    use_fa3_sliding_ = W > 0 && prepare_fa3_attention(p, W);
    use_cudnn_sliding_ = W > 0 && !use_fa3_sliding_ && prepare_cudnn_attention(p, W);
  }

  // Whether FlashAttention-3 runs this shape with this window (0: full causal); grows its buffer.
  // A full causal shape it does not serve is an error with RB_CUDA_ATTN=fa3, else reported once;
  // sliding layers it does not serve (head_dim other than 128) go to cuDNN quietly.
  bool prepare_fa3_attention(const ForwardPlan& p, int64_t window) {
    if (!fa3_) return false;
    AttnArgs<T> a = attention_shape(p);
    a.window = static_cast<int>(window);
    const std::string why = fa3_->prepare(a, stream_->s);
    if (why.empty()) return true;
    if (window > 0) return false;
    const std::string what = "FlashAttention-3 does not serve " + std::to_string(p.batch) + " window(s) of " +
                             std::to_string(p.seq_len) + " tokens: " + why;
    if (opts_.attention == AttnChoice::Fa3) throw Error("RB_CUDA_ATTN=fa3: " + what);
    if (fa3_unsupported_.insert({p.batch, p.seq_len}).second) std::cerr << "ropebatch: " << what << "\n";
    return false;
  }

  // Whether cuDNN runs this shape with this window (0: full causal); grows the workspace for it.
  bool prepare_cudnn_attention(const ForwardPlan& p, int64_t window) {
    if (!cudnn_) return false;
    AttnArgs<T> a = attention_shape(p);
    a.window = static_cast<int>(window);
    if (const std::string why = cudnn_->prepare(a); !why.empty()) {
      const std::string what = "cuDNN attention does not support " + std::to_string(p.batch) + " window(s) of " +
                               std::to_string(p.seq_len) + " tokens" +
                               (window > 0 ? " with a sliding window of " + std::to_string(window) : std::string()) +
                               ": " + why;
      if (opts_.attention == AttnChoice::Cudnn) throw Error("RB_CUDA_ATTN=cudnn: " + what);
      if (cudnn_unsupported_.insert({p.batch, p.seq_len, window}).second)
        std::cerr << "ropebatch: " << what << "; using the "
                  << (attn_ == AttnKernel::TensorCore && window == 0 ? "tensor-core" : "simple") << " kernel for them\n";
      return false;
    }
    const std::size_t need = cudnn_->workspace_bytes(a);
    if (cudnn_workspace_.bytes() < need) {
      CUDA_CHECK(cudaStreamSynchronize(stream_->s));
      cudnn_workspace_.reset(need);
    }
    return true;
  }

  void choose_attention() {
    choose_own_kernel();
    choose_fa3();
    if (fa3_ && fa3_serves_sliding_layers()) return;  // cuDNN would have no layer to run
    choose_cudnn();
  }

  // No sliding layers, or FlashAttention-3 has a kernel for them (probed on a window shorter than
  // the sequence).
  bool fa3_serves_sliding_layers() const {
    if (config_.sliding_window == 0) return true;
    AttnArgs<T> probe = attention_shape(plan_for(1, config_.sliding_window + 1));
    probe.window = static_cast<int>(config_.sliding_window);
    return fa3_->supports(probe).empty();
  }

  // FlashAttention-3 for RB_CUDA_ATTN=fa3 (an error when unavailable) and auto (when built, the
  // device is sm_90, it has a kernel for this head_dim and dtype, and its start-up self-check
  // against the simple kernel passes, as cuDNN's).
  void choose_fa3() {
    const bool required = opts_.attention == AttnChoice::Fa3;
    if (!required && opts_.attention != AttnChoice::Auto) return;
    std::string why = fa3_attention_unavailable();
    const bool built = why.empty();
    if (built) {
      try {
        auto f = std::make_unique<Fa3Attention<T>>();
        AttnArgs<T> probe;
        probe.head_dim = static_cast<int>(config_.head_dim);
        probe.heads = probe.kv_heads = 1;
        probe.q_stride = probe.kv_stride = probe.o_stride = config_.head_dim;
        why = f->supports(probe);
        if (why.empty()) {
          const float diff = fa3_attention_max_diff<T>(*f, static_cast<int>(config_.head_dim), stream_->s);
          if (diff <= 2e-2f) fa3_ = std::move(f);
          else why = "differs from the simple kernel by " + std::to_string(diff) + " on this device";
        }
      } catch (const std::exception& e) {
        why = e.what();
      }
    }
    if (fa3_) return;
    fa3_note_ = "FlashAttention-3 unavailable (" + why + ")";
    if (required) throw Error("RB_CUDA_ATTN=fa3: " + fa3_note_);
  }

  // cuDNN for RB_CUDA_ATTN=cudnn (an error when unavailable) and auto (when available and its
  // start-up self-check against the simple kernel passes).
  void choose_cudnn() {
    const bool required = opts_.attention == AttnChoice::Cudnn;
    if (!required && opts_.attention != AttnChoice::Auto && opts_.attention != AttnChoice::Fa3) return;
    const bool built = cudnn_attention_unavailable().empty();
    std::string why = cudnn_attention_unavailable();
    if (built) {
      try {
        auto c = std::make_unique<CudnnAttention<T>>(opts_.attention_log);
        const float diff = cudnn_attention_max_diff<T>(*c, static_cast<int>(config_.head_dim), stream_->s);
        if (diff <= 2e-2f) cudnn_ = std::move(c);
        else why = "differs from the simple kernel by " + std::to_string(diff) + " on this device";
      } catch (const std::exception& e) {
        why = e.what();
      }
    }
    if (cudnn_) return;
    attn_note_ = "attention: cudnn unavailable (" + why + ")";
    if (required) throw Error("RB_CUDA_ATTN=cudnn: " + attn_note_);
    if (built)
      std::cerr << "ropebatch: " << attn_note_ << "; using the "
                << (attn_ == AttnKernel::TensorCore ? "tensor-core" : "simple") << " kernel\n";
  }

  // The own kernel: tc or simple when asked for; for auto (cuDNN's fallback) tensor cores when
  // head_dim allows and the start-up self-check passes, else simple.
  void choose_own_kernel() {
    const int D = static_cast<int>(config_.head_dim);
    attn_ = opts_.attention == AttnChoice::TensorCore ? AttnKernel::TensorCore : AttnKernel::Simple;
    if (opts_.attention != AttnChoice::Auto) return;
    if (!tensor_core_attention_supported(D)) return;
    const float diff = attention_kernels_max_diff<T>(D, stream_->s);
    if (diff <= 2e-2f) {
      attn_ = AttnKernel::TensorCore;
    } else {
      std::cerr << "ropebatch: CUDA tensor-core attention differs from the simple kernel by " << diff
                << " on this device; using the simple kernel\n";
    }
  }

  ModelConfig config_;
  ModelConfig shard_config_;  // config_ with this shard's widths (the whole model's without --tp)
  ShardSpec shard_;
  int64_t vocab_begin_ = 0;
  std::unique_ptr<NcclGroup> group_;  // a tensor-parallel rank's device collectives
  CudaOptions opts_;
  int device_ = 0;
  std::string device_name_;
  AttnKernel attn_ = AttnKernel::Simple;
  std::unique_ptr<Stream> stream_;
  std::unique_ptr<Blas> blas_;
  std::unique_ptr<EventOpTimer> timer_;  // set_op_timing(true)
  OpTimes op_times_;
  DeviceWeights<T> weights_;
  DeviceBuffer<T> dequant_, dequant_down_;
  // The residual stream: in T when Hugging Face's rounding keeps every value of it a T (the same
  // values at half the traffic of the norms), else in fp32. Only one of the two is allocated.
  DeviceBuffer<float> residual_f32_;
  DeviceBuffer<T> residual_t_;
  bool residual_in_t() const { return opts_.hf_rounding; }
  int64_t residual_rows() const {
    const auto n = static_cast<int64_t>(residual_in_t() ? residual_t_.size() : residual_f32_.size());
    return n / config_.hidden_size;
  }
  template <typename F>
  void with_residual(F&& f) {
    if (residual_in_t())
      f(residual_t_.get());
    else
      f(residual_f32_.get());
  }
  DeviceBuffer<T> normed_, work_;
  DeviceBuffer<T> glu_table_;  // glu_table(): the MLP activation's 65,536 values, when hf_rounding
  GluAct glu_act() const { return config_.hidden_act == Activation::GeluTanh ? GluAct::GeluTanh : GluAct::Silu; }
  DeviceBuffer<int32_t> tokens_, targets_;
  DeviceBuffer<LmState> state_;
  DeviceBuffer<float> logprob_;
  DeviceBuffer<uint8_t> argmax_;
  std::vector<DeviceRope> ropes_;
  std::vector<int32_t> host_tokens_, host_targets_;
  std::vector<float> host_logprob_;
  std::vector<uint8_t> host_argmax_;
  // cuDNN attention (last: released before the stream); use_cudnn_ is per forward shape.
  std::unique_ptr<CudnnAttention<T>> cudnn_;
  DeviceBuffer<uint8_t> cudnn_workspace_;
  bool use_cudnn_ = false, use_cudnn_sliding_ = false;  // per forward shape: full causal / sliding layers
  // FlashAttention-3 for full causal layers (released before the stream, as cuDNN).
  std::unique_ptr<Fa3Attention<T>> fa3_;
  bool use_fa3_ = false, use_fa3_sliding_ = false;        // per forward shape: full causal / sliding layers
  std::string fa3_note_;                                  // why FlashAttention-3 is not used (describe())
  std::set<std::pair<int64_t, int64_t>> fa3_unsupported_;  // (batch, seq_len) already warned about
  std::string attn_note_;                                 // why cuDNN is not used (describe())
  std::set<std::tuple<int64_t, int64_t, int64_t>> cudnn_unsupported_;  // (batch, seq_len, window) already warned about
};

template <typename T>
std::unique_ptr<CudaModelBackend<T>> create(const ModelConfig& c, const CudaOptions& o, int device) {
  return std::make_unique<CudaModelBackend<T>>(c, o, device);
}

}  // namespace
}  // namespace cuda

std::unique_ptr<Backend> make_cuda_backend(const Model& model, const BackendOptions& opts) {
  // The model definition resolves and validates the tensors; the weights go from it (views into
  // the mapped files) to the device.
  // Under tensor parallelism each rank holds its shard on its own device (the local rank's) and
  // joins the group's NCCL communicator.
  const ModelDef def(model, opts.shard);
  if (opts.shard.size != 1 && opts.tensor_parallel == nullptr)
    throw Error("CUDA backend: shard " + std::to_string(opts.shard.rank) + " of " + std::to_string(opts.shard.size) +
                " without its group's communicator");
  const cuda::CudaOptions o = cuda::cuda_options_from_env();
  const int device = cuda::pick_device(opts.device);
  if (opts.shard.size > 1) {
    int count = 0;
    CUDA_CHECK(cudaGetDeviceCount(&count));
    if (count < opts.shard.size)
      throw InputError("command line", "--tp",
                       std::to_string(opts.shard.size) + " ranks of a group need a CUDA device each on their host; " +
                           std::to_string(count) + " visible (CUDA_VISIBLE_DEVICES)");
  }
  auto build = [&](auto b) -> std::unique_ptr<Backend> {
    if (opts.tensor_parallel) b->join_group(*opts.tensor_parallel);
    b->load_weights(def, opts.expected);
    return b;
  };
  if (o.dtype == cuda::DTypeChoice::BF16) return build(cuda::create<__nv_bfloat16>(model.config, o, device));
  return build(cuda::create<__half>(model.config, o, device));
}

std::unique_ptr<CudaBackend> make_cuda_backend_random(const ModelConfig& config, uint64_t seed,
                                                      const BackendOptions& opts, const std::string& quant) {
  std::optional<cuda::RandomQuant> rq;
  if (quant == "nf4") {
    rq = cuda::RandomQuant{true, 64};
  } else if (quant.rfind("int4", 0) == 0) {
    const std::string group = quant.size() > 6 && quant.compare(0, 6, "int4-g") == 0 ? quant.substr(6) : "128";
    rq = cuda::RandomQuant{false, std::stoll(group)};
  } else if (quant != "none") {
    throw Error("random weights: quantization '" + quant + "' is not one of none, nf4, int4, int4-gN");
  }
  const cuda::CudaOptions o = cuda::cuda_options_from_env();
  const int device = cuda::pick_device(opts.device);
  if (o.dtype == cuda::DTypeChoice::BF16) {
    auto b = cuda::create<__nv_bfloat16>(config, o, device);
    b->load_random(seed, rq ? &*rq : nullptr, opts.expected);
    return b;
  }
  auto b = cuda::create<__half>(config, o, device);
  b->load_random(seed, rq ? &*rq : nullptr, opts.expected);
  return b;
}

bool cuda_device_available(std::string* why) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    if (why) *why = cudaGetErrorString(e);
    return false;
  }
  if (count == 0) {
    if (why) *why = "the driver reports no device";
    return false;
  }
  return true;
}

}  // namespace rb
