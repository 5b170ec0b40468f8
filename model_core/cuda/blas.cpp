// Row-major y = x W^T through column-major cuBLAS: y^T (out x rows) = op_T(W: in x out) * x^T.
#include "model_core/cuda/blas.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "model_core/cuda/cuda_check.hpp"

namespace rb::cuda {

namespace {
template <typename T>
constexpr cudaDataType_t data_type() {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return CUDA_R_16BF;
  else if constexpr (std::is_same_v<T, __half>) return CUDA_R_16F;
  else return CUDA_R_32F;
}

int as_int(int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX) throw Error(std::string("cuBLAS: ") + what + " = " + std::to_string(v) + " exceeds int");
  return static_cast<int>(v);
}

// The largest power of two up to 256 that divides the address: what cuBLASLt's heuristic may assume.
int alignment_of(const void* p) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  int bytes = 256;
  while (bytes > 1 && a % bytes != 0) bytes /= 2;
  return bytes;
}

int algo_config(const cublasLtMatmulAlgo_t& algo, cublasLtMatmulAlgoConfigAttributes_t attr) {
  int value = -1;
  std::size_t written = 0;
  if (cublasLtMatmulAlgoConfigGetAttribute(&algo, attr, &value, sizeof(value), &written) != CUBLAS_STATUS_SUCCESS)
    return -1;
  return value;
}

class Preference {
 public:
  Preference(std::size_t workspace, const Blas::LtKey& key) {
    CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&p_));
    const uint64_t ws = workspace;
    set(CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws));
    const uint32_t a = key.align_a, b = key.align_b, c = key.align_c;
    set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &a, sizeof(a));
    set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &b, sizeof(b));
    set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &c, sizeof(c));
    set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &c, sizeof(c));
  }
  ~Preference() { cublasLtMatmulPreferenceDestroy(p_); }
  Preference(const Preference&) = delete;
  Preference& operator=(const Preference&) = delete;
  cublasLtMatmulPreference_t get() const { return p_; }

 private:
  void set(cublasLtMatmulPreferenceAttributes_t attr, const void* v, std::size_t n) {
    CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(p_, attr, v, n));
  }
  cublasLtMatmulPreference_t p_ = nullptr;
};

class EventPair {
 public:
  EventPair() {
    CUDA_CHECK(cudaEventCreate(&start_));
    if (cudaEventCreate(&stop_) != cudaSuccess) {
      cudaEventDestroy(start_);
      throw Error("cudaEventCreate failed while timing GEMM candidates");
    }
  }
  ~EventPair() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  EventPair(const EventPair&) = delete;
  EventPair& operator=(const EventPair&) = delete;
  cudaEvent_t start() const { return start_; }
  cudaEvent_t stop() const { return stop_; }

 private:
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

// The candidate Tuned keeps (index into the heuristic's list) with its time and the first's, in ms.
struct Pick {
  int index = 0;
  float ms = -1.0f, first_ms = -1.0f;  // < 0: not timed
};

// Times candidates 0..n-1 through run(i) on `stream`, in rounds that visit every candidate once, so
// a clock that drifts during tuning weighs on all of them; each candidate's time is its median
// round. Another than the heuristic's first is taken only when it is kTunedMargin faster, so noise
// alone does not move the choice. A candidate whose warm-up call fails is skipped.
template <typename Run>
Pick pick_candidate(std::size_t n, cudaStream_t stream, const std::string& shape, const Run& run) {
  constexpr int kRounds = 3;
  constexpr float kTunedMargin = 0.98f;
  std::vector<char> usable(n);
  for (std::size_t i = 0; i < n; ++i) usable[i] = run(i) == CUBLAS_STATUS_SUCCESS;
  const EventPair ev;
  std::vector<std::vector<float>> times(n);
  for (int r = 0; r < kRounds; ++r)
    for (std::size_t i = 0; i < n; ++i) {
      if (!usable[i]) continue;
      CUDA_CHECK(cudaEventRecord(ev.start(), stream));
      CUBLAS_CHECK(run(i));
      CUDA_CHECK(cudaEventRecord(ev.stop(), stream));
      CUDA_CHECK(cudaEventSynchronize(ev.stop()));
      float ms = 0.0f;
      CUDA_CHECK(cudaEventElapsedTime(&ms, ev.start(), ev.stop()));
      times[i].push_back(ms);
    }
  Pick pick;
  for (std::size_t i = 0; i < n; ++i) {
    if (!usable[i]) continue;
    std::sort(times[i].begin(), times[i].end());
    const float median = times[i][kRounds / 2];
    if (i == 0) pick.first_ms = median;
    const float bar = pick.ms < 0.0f ? INFINITY : (pick.index == 0 ? pick.ms * kTunedMargin : pick.ms);
    if (median < bar) pick.ms = median, pick.index = static_cast<int>(i);
  }
  if (pick.ms < 0.0f) throw Error("cuBLASLt: none of " + std::to_string(n) + " algorithms ran the GEMM " + shape);
  return pick;
}
}  // namespace

std::string to_string(GemmChoice c) {
  switch (c) {
    case GemmChoice::Cublas: return "cublas";
    case GemmChoice::Lt: return "lt";
    case GemmChoice::Tuned: return "tuned";
  }
  return "?";
}

struct Blas::LtPlan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
  std::string summary;
  LtPlan() = default;
  LtPlan(const LtPlan&) = delete;
  LtPlan& operator=(const LtPlan&) = delete;
  ~LtPlan() {
    if (c) cublasLtMatrixLayoutDestroy(c);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

Blas::Blas(cudaStream_t stream, std::size_t workspace_bytes, GemmChoice choice, bool log_plans)
    : stream_(stream), workspace_bytes_(workspace_bytes), choice_(choice), log_plans_(log_plans) {
  CUBLAS_CHECK(cublasCreate(&handle_));
  try {
    CUBLAS_CHECK(cublasSetStream(handle_, stream));
    if (workspace_bytes > 0) {
      CUDA_CHECK(cudaMalloc(&workspace_, workspace_bytes));
      CUBLAS_CHECK(cublasSetWorkspace(handle_, workspace_, workspace_bytes));
    }
    if (choice_ != GemmChoice::Cublas) CUBLAS_CHECK(cublasLtCreate(&lt_));
  } catch (...) {
    if (workspace_) cudaFree(workspace_);
    cublasDestroy(handle_);
    throw;
  }
}

Blas::~Blas() {
  plans_.clear();
  if (lt_) cublasLtDestroy(lt_);
  if (handle_) cublasDestroy(handle_);
  if (workspace_) cudaFree(workspace_);
}

const Blas::LtPlan& Blas::lt_plan(const void* w, const void* x, void* y, const LtKey& key) const {
  if (auto it = plans_.find(key); it != plans_.end()) return *it->second;
  auto plan = std::make_unique<LtPlan>();
  const auto a_type = static_cast<cudaDataType_t>(key.a_type), c_type = static_cast<cudaDataType_t>(key.c_type);
  CUBLAS_CHECK(cublasLtMatmulDescCreate(&plan->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
  CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
  CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->a, a_type, key.k, key.m, key.lda));  // W as stored: in x out
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->b, a_type, key.k, key.n, key.ldb));  // x^T: in x rows
  CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->c, c_type, key.m, key.n, key.ldc));  // y^T: out x rows
  const Preference pref(workspace_bytes_, key);
  const int wanted = choice_ == GemmChoice::Tuned && key.beta_zero ? kTunedCandidates : 1;
  std::vector<cublasLtMatmulHeuristicResult_t> found(static_cast<std::size_t>(wanted));
  int returned = 0;
  CUBLAS_CHECK(cublasLtMatmulAlgoGetHeuristic(lt_, plan->desc, plan->a, plan->b, plan->c, plan->c, pref.get(), wanted,
                                              found.data(), &returned));
  const std::string shape = std::to_string(key.m) + " x " + std::to_string(key.n) + " x " + std::to_string(key.k);
  if (returned <= 0) throw Error("cuBLASLt has no algorithm for the GEMM " + shape);
  found.resize(static_cast<std::size_t>(returned));

  const float alpha = 1.0f, beta = 0.0f;  // beta = 0: timing a candidate only writes y
  const Pick pick = found.size() > 1 ? pick_candidate(found.size(), stream_, shape, [&](std::size_t i) {
    return cublasLtMatmul(lt_, plan->desc, &alpha, w, plan->a, x, plan->b, &beta, y, plan->c, y, plan->c,
                          &found[i].algo, workspace_, workspace_bytes_, stream_);
  }) : Pick{};
  plan->algo = found[static_cast<std::size_t>(pick.index)].algo;
  char line[256];
  std::snprintf(line, sizeof line, "%s (lda %d ldb %d ldc %d): algo %d tile %d stages %d", shape.c_str(), key.lda,
                key.ldb, key.ldc, algo_config(plan->algo, CUBLASLT_ALGO_CONFIG_ID),
                algo_config(plan->algo, CUBLASLT_ALGO_CONFIG_TILE_ID),
                algo_config(plan->algo, CUBLASLT_ALGO_CONFIG_STAGES_ID));
  plan->summary = line;
  if (pick.ms >= 0.0f) {
    std::snprintf(line, sizeof line, ", candidate %d of %zu, %.3f ms against the first's %.3f ms", pick.index + 1,
                  found.size(), pick.ms, pick.first_ms);
    plan->summary += line;
  }
  if (log_plans_) std::fprintf(stderr, "GEMM plan (%s): %s\n", to_string(choice_).c_str(), plan->summary.c_str());
  return *plans_.emplace(key, std::move(plan)).first->second;
}

void Blas::lt_matmul(const void* w, const void* x, void* y, const LtKey& key, float beta) const {
  const LtPlan& plan = lt_plan(w, x, y, key);
  const float alpha = 1.0f;
  CUBLAS_CHECK(cublasLtMatmul(lt_, plan.desc, &alpha, w, plan.a, x, plan.b, &beta, y, plan.c, y, plan.c, &plan.algo,
                              workspace_, workspace_bytes_, stream_));
}

std::string Blas::describe_plans() const {
  std::string s;
  for (const auto& [key, plan] : plans_) s += plan->summary + "\n";
  return s;
}

template <typename T, typename Y>
void Blas::linear(const T* x, int64_t ldx, const T* w, int64_t ldw, Y* y, int64_t ldy, int64_t rows, int64_t in,
                  int64_t out, float beta) const {
  if (rows <= 0 || out <= 0) return;
  if (choice_ != GemmChoice::Cublas) {
    const LtKey key{as_int(out, "out_features"), as_int(rows, "rows"), as_int(in, "in_features"), as_int(ldw, "ldw"),
                    as_int(ldx, "ldx"), as_int(ldy, "ldy"), static_cast<int>(data_type<T>()),
                    static_cast<int>(data_type<Y>()), alignment_of(w), alignment_of(x), alignment_of(y), beta == 0.0f};
    lt_matmul(w, x, y, key, beta);
    return;
  }
  const float alpha = 1.0f;
  CUBLAS_CHECK(cublasGemmEx(handle_, CUBLAS_OP_T, CUBLAS_OP_N, as_int(out, "out_features"), as_int(rows, "rows"),
                            as_int(in, "in_features"), &alpha, w, data_type<T>(), as_int(ldw, "ldw"), x,
                            data_type<T>(), as_int(ldx, "ldx"), &beta, y, data_type<Y>(), as_int(ldy, "ldy"),
                            CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

template void Blas::linear<__nv_bfloat16, __nv_bfloat16>(const __nv_bfloat16*, int64_t, const __nv_bfloat16*, int64_t,
                                                         __nv_bfloat16*, int64_t, int64_t, int64_t, int64_t,
                                                         float) const;
template void Blas::linear<__nv_bfloat16, float>(const __nv_bfloat16*, int64_t, const __nv_bfloat16*, int64_t, float*,
                                                 int64_t, int64_t, int64_t, int64_t, float) const;
template void Blas::linear<__half, __half>(const __half*, int64_t, const __half*, int64_t, __half*, int64_t, int64_t,
                                           int64_t, int64_t, float) const;
template void Blas::linear<__half, float>(const __half*, int64_t, const __half*, int64_t, float*, int64_t, int64_t,
                                          int64_t, int64_t, float) const;

}  // namespace rb::cuda
