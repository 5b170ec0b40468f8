// Throughput of the CUDA backend on real model shapes with synthetic weights generated on the
// device (no checkpoints): for each model of bench/models.json and each window length, scores
// preferred_batch(L) random windows, and prints one JSON line per run with tokens/s, seconds,
// achieved TFLOP/s, and memory. Also measures a bf16 8192^3 cuBLAS GEMM as the device's peak.
//
// FLOPs counted: 2 * (projection + LM head parameters) * tokens for the GEMMs, plus causal
// attention 2 * L^2 * heads * head_dim * layers per window (Q K^T and P V, half of L x L each).
//
//   rb_bench [--models a,b] [--lengths 2048,8192] [--repeats N] [--warmup N] [--no-gemm]
//            [--quant none|nf4|int4|int4-gN] [--dequant-split TOKENS] [--models-json FILE] [--out FILE]
//            [--batch N] [--op-breakdown] [--ragged K] [--no-plan-ahead]
// --quant: every projection 4-bit (random codes), dequantized into a bf16 buffer before its GEMM.
// first_seconds: the first score() of each length (a fresh shape: buffers, RoPE tables, cuDNN
// plans; for the first length also first-use kernel loads), beside the best of the repeats.
// The backend is told every length to come (BackendOptions::expected), so it builds their cuDNN
// plans while it creates the weights; create_seconds includes what of that did not overlap, and
// attention_shapes_prepared_at_create counts them. --no-plan-ahead: not told, each length's plan
// is built at its first call (the first_seconds of before).
// --op-breakdown: the first call and one more steady call are timed per op class with CUDA
// events (op_profile.hpp); each class beside its roofline: GEMMs and attention at the measured
// 8192^3 GEMM peak, elementwise ops at the measured device-to-device copy bandwidth.
// --ragged K: instead, K windows of slightly different lengths (L - 1 - 3i, as passkey samples of
// one length differ by a few tokens), each scored alone, against K others (L - 2 - 3i) through
// score_padded (model_core/backend.hpp); every length is new to the process on its first call, so
// the first pass of each pays its cuDNN plans, and a second pass shows the steady cost.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include <cuda_runtime.h>
#include <nlohmann/json.hpp>

#include "model_core/backend.hpp"
#include "model_core/cuda/blas.hpp"
#include "model_core/cuda/cuda_backend.hpp"
#include "model_core/cuda/cuda_check.hpp"
#include "model_core/cuda/cuda_options.hpp"
#include "model_core/cuda/dequant.hpp"
#include "model_core/cuda/device_buffer.hpp"
#include "model_core/cuda/kernels.hpp"

#ifndef RB_BENCH_MODELS
#define RB_BENCH_MODELS "bench/models.json"
#endif

namespace {

using json = nlohmann::json;

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// A preset of bench/models.json read as config.json is (sliding windows, biases and all).
rb::ModelConfig config_from_hf(const std::string& name, const json& j) { return rb::parse_hf_config(j, "bench model " + name); }

// Query-key pairs a causal window of L tokens scores in one layer: L(L+1)/2, or with a sliding
// window W each query sees at most W keys.
double attention_pairs(double L, int64_t window) {
  if (window <= 0 || window >= L) return L * (L + 1) / 2;
  const double W = static_cast<double>(window);
  return W * (W + 1) / 2 + (L - W) * W;
}

rb::rope::RopeSchedule default_schedule(const rb::ModelConfig& c, double theta, int64_t L) {
  rb::rope::RopeSchedule s;
  const int64_t rd = c.rotary_dim();
  for (int64_t i = 0; i < rd / 2; ++i)
    s.inv_freq.push_back(static_cast<float>(1.0 / std::pow(theta, static_cast<double>(2 * i) / rd)));
  for (int64_t t = 0; t < L; ++t) s.positions.push_back(static_cast<float>(t));
  return s;
}

// Plain RoPE for every layer type with its own (Gemma-3: each type's rope_theta), else one schedule.
rb::rope::RopeSchedules default_schedules(const rb::ModelConfig& c, int64_t L) {
  if (c.rope_by_layer_type.empty()) return default_schedule(c, c.rope_theta, L);
  std::vector<rb::rope::RopeSchedule> all;
  for (const rb::LayerTypeRope& r : c.rope_by_layer_type) all.push_back(default_schedule(c, r.rope_theta, L));
  return rb::rope::RopeSchedules(std::move(all));
}

double device_used_gib() {
  size_t free_b = 0, total_b = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  return static_cast<double>(total_b - free_b) / (1024.0 * 1024.0 * 1024.0);
}

std::string device_name() {
  int dev = 0;
  CUDA_CHECK(cudaGetDevice(&dev));
  cudaDeviceProp p{};
  CUDA_CHECK(cudaGetDeviceProperties(&p, dev));
  return p.name;
}

void emit(const json& j, std::ofstream* out) {
  const std::string line = j.dump();
  std::cout << line << std::endl;
  if (out && *out) *out << line << std::endl;
}

// The best over `repeats` of the mean time of `iters` back-to-back calls of fn on `stream` (CUDA events).
template <typename F>
double best_seconds(cudaStream_t stream, int repeats, int iters, F&& fn) {
  cudaEvent_t e0, e1;
  CUDA_CHECK(cudaEventCreate(&e0));
  CUDA_CHECK(cudaEventCreate(&e1));
  double best = 1e30;
  for (int r = 0; r < std::max(repeats, 1); ++r) {
    CUDA_CHECK(cudaEventRecord(e0, stream));
    for (int i = 0; i < iters; ++i) fn();
    CUDA_CHECK(cudaEventRecord(e1, stream));
    CUDA_CHECK(cudaEventSynchronize(e1));
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, e0, e1));
    best = std::min(best, ms / 1000.0 / iters);
  }
  CUDA_CHECK(cudaEventDestroy(e0));
  CUDA_CHECK(cudaEventDestroy(e1));
  return best;
}

json gemm_peak(int n, int repeats) {
  using bf16 = __nv_bfloat16;
  const size_t elems = static_cast<size_t>(n) * n;
  rb::cuda::DeviceBuffer<bf16> a(elems), b(elems), c(elems);
  cudaStream_t stream = nullptr;
  CUDA_CHECK(cudaStreamCreate(&stream));
  rb::cuda::fill_uniform<bf16>(a.get(), static_cast<int64_t>(elems), 1, 1.0f, stream);
  rb::cuda::fill_uniform<bf16>(b.get(), static_cast<int64_t>(elems), 2, 1.0f, stream);
  double best = 1e30;
  {
    rb::cuda::Blas blas(stream);
    auto gemm = [&] { blas.linear<bf16, bf16>(a.get(), n, b.get(), n, c.get(), n, n, n, n); };
    for (int i = 0; i < 3; ++i) gemm();
    best = best_seconds(stream, repeats, 10, gemm);
  }
  CUDA_CHECK(cudaStreamDestroy(stream));
  const double flops = 2.0 * n * static_cast<double>(n) * n;
  return json{{"impl", "cublas-gemm-bf16"}, {"m", n}, {"n", n}, {"k", n}, {"seconds", best},
              {"tflops", flops / best / 1e12}, {"device", device_name()}};
}

// Device memory bandwidth as a large device-to-device copy reaches it (bytes read + written).
json copy_bandwidth(int repeats) {
  const size_t bytes = size_t{1} << 30;
  rb::cuda::DeviceBuffer<uint8_t> a(bytes), b(bytes);
  cudaStream_t stream = nullptr;
  CUDA_CHECK(cudaStreamCreate(&stream));
  auto copy = [&] { CUDA_CHECK(cudaMemcpyAsync(b.get(), a.get(), bytes, cudaMemcpyDeviceToDevice, stream)); };
  copy();
  const double best = best_seconds(stream, repeats, 5, copy);
  CUDA_CHECK(cudaStreamDestroy(stream));
  return json{{"impl", "cuda-memcpy-d2d"}, {"bytes", bytes}, {"seconds", best},
              {"gbps", 2.0 * static_cast<double>(bytes) / best / 1e9}, {"device", device_name()}};
}

// What each op class of one score() call of B windows of L tokens must do: FLOPs for the GEMM
// classes and attention, bytes moved for the elementwise ones (bf16 activations; the residual in
// bf16 or fp32 as RB_CUDA_RESIDUAL stores it), and its roofline time at the measured peaks.
// Copies and setup have none.
struct OpWork {
  double flops = 0, bytes = 0;
};

std::array<OpWork, rb::kOpClassCount> op_work(const rb::ModelConfig& c, int64_t B, int64_t L, const std::string& quant,
                                              double residual_bytes) {
  using rb::OpClass;
  std::array<OpWork, rb::kOpClassCount> w{};
  auto at = [&](OpClass k) -> OpWork& { return w[static_cast<size_t>(k)]; };
  const double T = static_cast<double>(B * L), layers = static_cast<double>(c.num_layers);
  const double H = c.num_heads, KV = c.num_kv_heads, D = c.head_dim, h = c.hidden_size, ff = c.intermediate_size;
  const double qkv = (H + 2 * KV) * D, attn = H * D;
  at(OpClass::QkvProj).flops = 2 * T * h * qkv * layers;
  at(OpClass::OProj).flops = 2 * T * attn * h * layers;
  at(OpClass::GateUpProj).flops = 2 * T * h * 2 * ff * layers;
  at(OpClass::DownProj).flops = 2 * T * ff * h * layers;
  at(OpClass::LmHead).flops = 2 * T * h * static_cast<double>(c.vocab_size);
  double pairs = 0;
  for (int64_t i = 0; i < c.num_layers; ++i) pairs += attention_pairs(static_cast<double>(L), c.window_of(i));
  at(OpClass::Attention).flops = 4 * pairs * H * D * static_cast<double>(B);
  const double r = residual_bytes;
  at(OpClass::Embedding).bytes = T * h * (2 + r);
  // One plain norm (read the residual, write bf16) and 2 per layer fused with the residual add
  // (read residual and delta, write both); Gemma-3's sandwich norms read and write bf16 rows.
  at(OpClass::Norm).bytes = T * h * ((r + 2) + (2 * r + 4) * 2 * layers + (c.sandwich_norms ? 4 * 2 * layers : 0));
  at(OpClass::Rope).bytes = T * (H + KV) * D * 4 * layers;
  if (c.qk_norm) at(OpClass::QkNorm).bytes = T * (H + KV) * D * 4 * layers;
  at(OpClass::GatedAct).bytes = T * ff * 6 * layers;
  if (quant != "none")  // read ~0.5 byte per weight (codes; scales are small), write 2
    at(OpClass::Dequant).bytes = (h * qkv + attn * h + 3 * h * ff) * 2.5 * layers;
  return w;
}

json breakdown(const rb::OpTimes& t, const std::array<OpWork, rb::kOpClassCount>& work, double peak_flops,
               double peak_bytes) {
  json rows = json::array();
  double total = 0, roof_total = 0;
  for (int i = 0; i < rb::kOpClassCount; ++i) {
    const auto k = static_cast<size_t>(i);
    if (t.calls[k] == 0) continue;
    json r{{"op", std::string(rb::op_class_name(static_cast<rb::OpClass>(i)))}, {"ms", t.ms[k]}, {"calls", t.calls[k]}};
    double roof = -1;
    if (work[k].flops > 0) {
      roof = work[k].flops / peak_flops * 1e3;
      r["gflop"] = work[k].flops / 1e9;
      r["tflops"] = work[k].flops / (t.ms[k] * 1e-3) / 1e12;
    } else if (work[k].bytes > 0) {
      roof = work[k].bytes / peak_bytes * 1e3;
      r["gbytes"] = work[k].bytes / 1e9;
      r["gbps"] = work[k].bytes / (t.ms[k] * 1e-3) / 1e9;
    }
    if (roof >= 0) {
      r["roofline_ms"] = roof;
      r["efficiency"] = t.ms[k] > 0 ? roof / t.ms[k] : 0.0;
      roof_total += roof;
    }
    total += t.ms[k];
    rows.push_back(r);
  }
  return json{{"total_ms", total}, {"roofline_ms", roof_total}, {"ops", rows}};
}

// W4A16 as the backend runs it, split in its two steps for each projection shape of a model:
// dequantizing the 4-bit weight into a bf16 buffer, and the cuBLAS GEMM of `tokens` rows with it.
// The dequantization share bounds what fusing it into the GEMM could save at this length.
json dequant_vs_gemm(const rb::ModelConfig& c, const std::string& name, int64_t tokens, int repeats) {
  using bf16 = __nv_bfloat16;
  struct Shape { const char* proj; int64_t out, in; };
  const int64_t qkv = (c.num_heads + 2 * c.num_kv_heads) * c.head_dim;
  const Shape shapes[] = {{"qkv", qkv, c.hidden_size},
                          {"o", c.hidden_size, c.num_heads * c.head_dim},
                          {"gate_up", 2 * c.intermediate_size, c.hidden_size},
                          {"down", c.hidden_size, c.intermediate_size}};
  cudaStream_t stream = nullptr;
  CUDA_CHECK(cudaStreamCreate(&stream));
  json rows = json::array();
  double dq_total = 0, gemm_total = 0;
  {
    rb::cuda::Blas blas(stream);
    auto time_ms = [&](auto&& fn) {
      fn();
      return best_seconds(stream, repeats, 1, fn) * 1e3;
    };
    for (const Shape& s : shapes) {
      const int64_t group = 64, groups = s.out * s.in / group;
      rb::cuda::DeviceBuffer<uint8_t> codes(static_cast<size_t>(s.out * s.in / 2));
      rb::cuda::DeviceBuffer<float> scale(static_cast<size_t>(groups));
      rb::cuda::DeviceBuffer<bf16> w(static_cast<size_t>(s.out * s.in)), x(static_cast<size_t>(tokens * s.in)),
          y(static_cast<size_t>(tokens * s.out));
      rb::cuda::fill_random_bytes(codes.get(), s.out * s.in / 2, 7, stream);
      const std::vector<float> host_scale(static_cast<size_t>(groups), 0.0346f);
      CUDA_CHECK(cudaMemcpyAsync(scale.get(), host_scale.data(), groups * sizeof(float), cudaMemcpyHostToDevice, stream));
      rb::cuda::fill_uniform<bf16>(x.get(), tokens * s.in, 3, 1.0f, stream);
      rb::cuda::QuantView q;
      q.codes = codes.get();
      q.scale = scale.get();
      for (int i = 0; i < 16; ++i) q.table[i] = static_cast<float>(i) / 7.5f - 1.0f;
      q.rows = s.out;
      q.cols = s.in;
      q.group_size = group;
      q.groups_per_row = s.in / group;
      const double dq = time_ms([&] { rb::cuda::dequantize<bf16>(q, w.get(), stream); });
      const double gm = time_ms([&] {
        blas.linear<bf16, bf16>(x.get(), s.in, w.get(), s.in, y.get(), s.out, tokens, s.in, s.out);
      });
      dq_total += dq;
      gemm_total += gm;
      rows.push_back(json{{"proj", s.proj}, {"out", s.out}, {"in", s.in}, {"dequant_ms", dq}, {"gemm_ms", gm},
                          {"dequant_gbps", (s.out * s.in * 2.5) / (dq * 1e-3) / 1e9}});
    }
  }
  CUDA_CHECK(cudaStreamDestroy(stream));
  return json{{"impl", "w4a16-split"}, {"model", name}, {"tokens", tokens}, {"layer", rows},
              {"dequant_ms_per_layer", dq_total}, {"gemm_ms_per_layer", gemm_total},
              {"dequant_share", dq_total / (dq_total + gemm_total)}, {"device", device_name()}};
}

}  // namespace

// --ragged: K windows scored alone (each length new) against K others through score_padded.
json ragged_row(rb::CudaBackend& backend, const rb::ModelConfig& c, int64_t L, int64_t K) {
  auto make = [&](int64_t offset) {
    std::vector<std::vector<int32_t>> windows;
    std::mt19937 rng(static_cast<uint32_t>(L + offset));
    for (int64_t i = 0; i < K; ++i) {
      windows.emplace_back(static_cast<std::size_t>(L - offset - 3 * i));
      for (auto& t : windows.back()) t = static_cast<int32_t>(rng() % c.vocab_size);
    }
    return windows;
  };
  const auto alone_windows = make(1), padded_windows = make(2);
  auto seconds = [](auto&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  const rb::SchedulesAt schedules_at = [&](int64_t n) { return default_schedules(c, n); };
  auto alone = [&] {
    for (const auto& w : alone_windows)
      backend.score({std::span<const int32_t>(w)}, schedules_at(static_cast<int64_t>(w.size())));
  };
  std::vector<std::span<const int32_t>> spans(padded_windows.begin(), padded_windows.end());
  auto padded = [&] { rb::score_padded(backend, spans, schedules_at); };
  const double alone_first = seconds(alone), padded_first = seconds(padded);
  const double alone_steady = seconds(alone), padded_steady = seconds(padded);
  // The padded set scored alone as well: what padding changes in bf16 (the GEMMs see more rows).
  const auto together = rb::score_padded(backend, spans, schedules_at);
  double max_diff = 0.0;
  int64_t argmax_differ = 0, predictions = 0;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const auto one = backend.score({spans[i]}, schedules_at(static_cast<int64_t>(spans[i].size()))).at(0);
    for (std::size_t t = 0; t < one.logprob.size(); ++t) {
      max_diff = std::max(max_diff, std::abs(static_cast<double>(one.logprob[t]) - together[i].logprob[t]));
      argmax_differ += one.is_argmax[t] != together[i].is_argmax[t];
      ++predictions;
    }
  }
  return json{{"ragged", K},
              {"padded_vs_alone_max_abs_logprob_diff", max_diff},
              {"padded_vs_alone_argmax_differ", argmax_differ},
              {"predictions", predictions},
              {"alone_lengths", json::array({L - 1, L - 1 - 3 * (K - 1)})},
              {"padded_lengths", json::array({L - 2, L - 2 - 3 * (K - 1)})},
              {"alone_first_seconds", alone_first},
              {"padded_first_seconds", padded_first},
              {"alone_steady_seconds", alone_steady},
              {"padded_steady_seconds", padded_steady},
              {"config", backend.describe()},
              {"device", device_name()}};
}

int main(int argc, char** argv) {
  std::vector<std::string> models = {"tinyllama-1.1b", "llama-3-8b", "qwen2.5-7b"};
  std::vector<int64_t> lengths = {2048, 8192, 32768, 51200};
  int repeats = 2, warmup = 1;
  bool gemm = true;
  std::string models_json = RB_BENCH_MODELS, out_path, quant = "none";
  int64_t dequant_split = 0;  // tokens: time dequantization vs GEMM per projection, then exit
  int64_t batch = 0;          // windows per call (0: the backend's preferred batch)
  bool op_breakdown = false;
  int64_t ragged = 0;         // windows of slightly different lengths: alone vs score_padded
  bool plan_ahead = true;     // tell the backend the lengths to come (BackendOptions::expected)
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--models") models = split(next());
    else if (a == "--lengths") {
      lengths.clear();
      for (const auto& s : split(next())) lengths.push_back(std::stoll(s));
    } else if (a == "--repeats") repeats = std::stoi(next());
    else if (a == "--warmup") warmup = std::stoi(next());
    else if (a == "--no-gemm") gemm = false;
    else if (a == "--models-json") models_json = next();
    else if (a == "--out") out_path = next();
    else if (a == "--quant") quant = next();
    else if (a == "--dequant-split") dequant_split = std::stoll(next());
    else if (a == "--batch") batch = std::stoll(next());
    else if (a == "--op-breakdown") op_breakdown = true;
    else if (a == "--ragged") ragged = std::stoll(next());
    else if (a == "--no-plan-ahead") plan_ahead = false;
    else {
      std::cerr << "rb_bench: unknown argument " << a << "\n";
      return 2;
    }
  }
  std::ofstream out;
  if (!out_path.empty()) out.open(out_path, std::ios::app);
  try {
    std::ifstream in(models_json);
    if (!in) throw std::runtime_error("cannot open " + models_json);
    const json presets = json::parse(in);
    double peak_flops = 0, peak_bytes = 0;
    if (gemm || op_breakdown) {
      const json g = gemm_peak(8192, 3);
      peak_flops = g["tflops"].get<double>() * 1e12;
      emit(g, &out);
    }
    if (op_breakdown) {
      const json bw = copy_bandwidth(5);
      peak_bytes = bw["gbps"].get<double>() * 1e9;
      emit(bw, &out);
    }
    if (dequant_split > 0) {
      for (const std::string& name : models)
        emit(dequant_vs_gemm(config_from_hf(name, presets.at(name)), name, dequant_split, repeats), &out);
      return 0;
    }
    for (const std::string& name : models) {
      if (!presets.contains(name)) throw std::runtime_error("unknown model " + name + " (see " + models_json + ")");
      const rb::ModelConfig c = config_from_hf(name, presets.at(name));
      CUDA_CHECK(cudaSetDevice(0));
      const double baseline = device_used_gib();
      const auto t_create = std::chrono::steady_clock::now();
      rb::BackendOptions bopts{"cuda", 0, 0};
      if (plan_ahead && ragged == 0)
        for (const int64_t L : lengths) bopts.expected.push_back({L, batch > 0 ? batch : 0});
      auto backend = rb::make_cuda_backend_random(c, 1, bopts, quant);
      const double create_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t_create).count();
      const std::size_t prepared_at_create = backend->attention_shapes_prepared();
      for (const int64_t L : lengths) {
        json row{{"impl", "ropebatch-cuda"}, {"model", name}, {"seq_len", L}, {"quant", quant}};
        try {
          if (ragged > 0) {
            if (L - 2 - 3 * (ragged - 1) < 2) throw std::runtime_error("--ragged " + std::to_string(ragged) + " is too many for this length");
            row.update(ragged_row(*backend, c, L, ragged));
            emit(row, &out);
            continue;
          }
          const int64_t B = batch > 0 ? batch : backend->preferred_batch(L);
          std::mt19937 rng(static_cast<uint32_t>(L));
          std::vector<std::vector<int32_t>> windows(B, std::vector<int32_t>(L));
          for (auto& w : windows)
            for (auto& t : w) t = static_cast<int32_t>(rng() % c.vocab_size);
          std::vector<std::span<const int32_t>> spans;
          for (const auto& w : windows) spans.emplace_back(w.data(), w.size());
          const auto schedule = default_schedules(c, L);
          auto timed_call = [&] {
            const auto t0 = std::chrono::steady_clock::now();
            backend->score(spans, schedule);
            return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          };
          const auto work = op_work(c, B, L, quant, rb::cuda::cuda_options_from_env().hf_rounding ? 2.0 : 4.0);
          backend->reset_op_times();
          backend->set_op_timing(op_breakdown);
          const double first_s = timed_call();
          if (op_breakdown) row["ops_first"] = breakdown(backend->op_times(), work, peak_flops, peak_bytes);
          backend->set_op_timing(false);
          for (int i = 1; i < warmup; ++i) backend->score(spans, schedule);
          double best = 1e30, mean_lp = 0;
          for (int r = 0; r < std::max(repeats, 1); ++r) {
            const auto t0 = std::chrono::steady_clock::now();
            const auto scores = backend->score(spans, schedule);
            best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
            double s = 0;
            for (float x : scores[0].logprob) s += x;
            mean_lp = s / static_cast<double>(scores[0].logprob.size());
          }
          if (op_breakdown) {
            backend->reset_op_times();
            backend->set_op_timing(true);
            row["timed_seconds"] = timed_call();
            row["ops_steady"] = breakdown(backend->op_times(), work, peak_flops, peak_bytes);
            backend->set_op_timing(false);
          }
          const double tokens = static_cast<double>(B) * static_cast<double>(L);
          double flops = 0.0;  // the projections, the LM head and attention, as op_work counts them
          for (const OpWork& w : work) flops += w.flops;
          const rb::CudaMemoryStats m = backend->memory_stats();
          row.update(json{{"batch", B},
                          {"tokens", B * L},
                          {"seconds", best},
                          {"first_seconds", first_s},
                          {"tokens_per_s", tokens / best},
                          {"tflops", flops / best / 1e12},
                          {"peak_gib", m.device_used_gib},
                          {"backend_gib", m.device_used_gib - baseline},
                          {"weights_gib", m.weights_gib},
                          {"activations_gib", m.activations_gib},
                          {"dequant_gib", m.dequant_gib},
                          {"mean_logprob_window0", mean_lp},
                          {"create_seconds", create_s},
                          {"attention_shapes_prepared_at_create", prepared_at_create},
                          {"attention_shapes_prepared", backend->attention_shapes_prepared()},
                          {"config", backend->describe()},
                          {"device", device_name()}});
        } catch (const std::exception& e) {
          row["error"] = e.what();
        }
        emit(row, &out);
      }
    }
  } catch (const std::exception& e) {
    emit(json{{"impl", "ropebatch-cuda"}, {"error", e.what()}}, &out);
    return 1;
  }
  return 0;
}
