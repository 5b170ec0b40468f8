#include "model_core/cpu/cpu_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include <cblas.h>
#include <omp.h>

#include "common/error.hpp"
#include "model_core/cpu/softmax_row.hpp"

extern "C" void openblas_set_num_threads(int num_threads);

namespace rb::cpu {

void use_single_threaded_blas() { openblas_set_num_threads(1); }

namespace {

// All rows of a 4-bit matrix [rows, cols] into fp32 dst, in chunks of rows shared out among the
// threads (the values do not depend on the chunking).
void dequantize_all(const quant::QuantizedMatrix& q, int64_t rows, int64_t cols, float* dst, int threads) {
  constexpr int64_t kDequantRows = 64;
  const int64_t chunks = (rows + kDequantRows - 1) / kDequantRows;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    const int64_t r0 = chunk * kDequantRows, r1 = std::min(rows, r0 + kDequantRows);
    q.dequantize_rows(r0, r1, dst + r0 * cols);
  }
}

}  // namespace

void linear(const float* x, int64_t rows, int64_t in, const HostTensor& w, const HostTensor* bias, float* y,
            int threads) {
  const int64_t out = w.rows();
  if (w.cols() != in) throw Error("linear: weight has " + std::to_string(w.cols()) + " inputs, activations " + std::to_string(in));
  if (rows == 0) return;
  // A 4-bit weight is dequantized whole into a per-thread scratch buffer (reused across layers),
  // then multiplied exactly as an fp32 weight: the same numbers as dequantize-then-fp32.
  const float* wv = w.data.data();
  if (w.is_packed()) {
    thread_local std::vector<float> scratch;
    scratch.resize(static_cast<size_t>(out * in));
    dequantize_all(*w.packed, out, in, scratch.data(), threads);  // this thread's buffer
    wv = scratch.data();
  }
  // Blocks of a fixed number of rows, shared out among the threads: the GEMM each row goes through
  // (and so its rounding) does not depend on the thread count, which keeps results bit-identical
  // whatever --threads or the number of MPI ranks on a host. Each block's GEMM packs the whole
  // weight again: 128 rows amortize that (on 2 Zen 3 cores, SmolLM2-135M: 294 -> 403 tokens/s at
  // 512, 290 -> 352 at 2,048 against 64-row blocks; 192 and 256 rows were slower than 128).
  constexpr int64_t kRowBlock = 128;
  const int64_t blocks = (rows + kRowBlock - 1) / kRowBlock;
#pragma omp parallel for num_threads(static_cast<int>(std::min<int64_t>(blocks, threads))) schedule(dynamic, 1)
  for (int64_t block = 0; block < blocks; ++block) {
    const int64_t r0 = block * kRowBlock, r1 = std::min(rows, r0 + kRowBlock);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(r1 - r0), static_cast<int>(out),
                static_cast<int>(in), 1.0f, x + r0 * in, static_cast<int>(in), wv, static_cast<int>(in), 0.0f,
                y + r0 * out, static_cast<int>(out));
    if (bias != nullptr) {
      const float* b = bias->data.data();
      for (int64_t r = r0; r < r1; ++r) {
        float* yr = y + r * out;
        for (int64_t o = 0; o < out; ++o) yr[o] += b[o];
      }
    }
  }
}

void add_inplace(float* y, const float* x, int64_t n, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void rms_norm(const float* x, int64_t rows, int64_t dim, const float* weight, double eps, float* y, int threads,
              float weight_offset) {
  const float eps_f = static_cast<float>(eps);  // torch adds the Python float to an fp32 tensor
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    double ss = 0.0;
    for (int64_t i = 0; i < dim; ++i) ss += static_cast<double>(xr[i]) * xr[i];
    const float variance = static_cast<float>(ss / static_cast<double>(dim));
    const float inv = 1.0f / std::sqrt(variance + eps_f);
    for (int64_t i = 0; i < dim; ++i) yr[i] = (weight_offset + weight[i]) * (xr[i] * inv);
  }
}

RopeTables make_rope_tables(const rope::RopeSchedule& s) {
  RopeTables rt;
  rt.length = static_cast<int64_t>(s.positions.size());
  rt.pairs = static_cast<int64_t>(s.inv_freq.size());
  rt.cos.resize(static_cast<size_t>(rt.length * rt.pairs));
  rt.sin.resize(rt.cos.size());
  for (int64_t t = 0; t < rt.length; ++t) {
    for (int64_t i = 0; i < rt.pairs; ++i) {
      const float freq = s.inv_freq[i] * s.positions[t];  // fp32 product, as inv_freq @ position_ids
      rt.cos[t * rt.pairs + i] = std::cos(freq) * s.attention_scaling;
      rt.sin[t * rt.pairs + i] = std::sin(freq) * s.attention_scaling;
    }
  }
  return rt;
}

void apply_rope(float* x, int64_t heads, int64_t head_dim, const RopeTables& rt, const float* band_scale,
                const float* row_scale, int threads) {
  const int64_t P = rt.pairs, width = heads * head_dim;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t t = 0; t < rt.length; ++t) {
    const float* c = rt.cos.data() + t * P;
    const float* s = rt.sin.data() + t * P;
    for (int64_t h = 0; h < heads; ++h) {
      float* xh = x + t * width + h * head_dim;
      for (int64_t i = 0; i < P; ++i) {
        const float a = xh[i], b = xh[i + P];
        // q * cos + rotate_half(q) * sin, rotate_half(q) = cat(-q2, q1)
        xh[i] = a * c[i] + (-b) * s[i];
        xh[i + P] = b * c[i] + a * s[i];
      }
      if (band_scale != nullptr) {
        for (int64_t i = 0; i < P; ++i) {
          xh[i] *= band_scale[i];
          xh[i + P] *= band_scale[i];
        }
      }
      if (row_scale != nullptr) {
        for (int64_t i = 0; i < head_dim; ++i) xh[i] *= row_scale[t];
      }
    }
  }
}

int64_t attention_key_tile_from_env() {
  const char* v = std::getenv("RB_CPU_ATTN_KEYS");
  if (v == nullptr || *v == '\0') return kAttentionKeyTile;
  char* end = nullptr;
  const long long n = std::strtoll(v, &end, 10);
  if (*end != '\0' || n < 0)
    throw InputError("RB_CPU_ATTN_KEYS", "", "must be 0 or a positive integer, got '" + std::string(v) + "'");
  return n;
}

void causal_attention(const float* q, const float* k, const float* v, int64_t L, int64_t heads, int64_t kv_heads,
                      int64_t head_dim, float scale, float* out, int threads, int64_t window, int64_t key_tile) {
  constexpr int64_t kBlock = 128;  // query rows per head and task
  const int64_t group = heads / kv_heads, D = head_dim;
  const int64_t ldq = heads * D, ldkv = kv_heads * D;
  const int64_t nblocks = (L + kBlock - 1) / kBlock;
  const int64_t tasks = kv_heads * nblocks;
  const int64_t block_rows = std::min(kBlock, L);
  const int64_t span = window > 0 ? std::min(L, kBlock + window) : L;  // keys a block can see
  const int64_t tile = key_tile > 0 ? std::min(key_tile, span) : span;  // keys per score tile
  // Parallel over (KV head, query block). The `group` query heads that share a KV head are stacked
  // into one [group * rows, D] matrix, so K and V are read (and packed by the GEMM) once per group;
  // each task's GEMMs run on the calling thread. The keys go by tiles of `tile`, with the online
  // softmax (Milakov & Gimelshein 2018; FlashAttention's outer loop, Dao et al. 2022): each row
  // keeps its running max and sum, and its output is rescaled by exp(old max - new max) when a
  // tile raises the max, so a score tile stays in cache between its exp and its P V GEMM. The
  // softmax's 1 / sum is applied to the output rows at the end. A block whose keys fit in one
  // tile computes exactly the untiled softmax (the same operations in the same order).
#pragma omp parallel num_threads(threads)
  {
    std::vector<float> scores(static_cast<size_t>(group * block_rows * tile));
    std::vector<float> q_stack(static_cast<size_t>(group * block_rows * D)), o_stack(q_stack.size());
    std::vector<float> row_max_run(static_cast<size_t>(group * block_rows)), row_sum(row_max_run.size());
#pragma omp for schedule(dynamic, 1)
    for (int64_t task = 0; task < tasks; ++task) {
      const int64_t b = nblocks - 1 - task / kv_heads;  // the longest (last) blocks first
      const int64_t g = task % kv_heads;
      const int64_t t0 = b * kBlock, rows = std::min(kBlock, L - t0), keys = t0 + rows;
      // Keys [k0, keys): with a sliding window the block's first query sees t0 - window + 1 on.
      const int64_t k0 = window > 0 ? std::max<int64_t>(0, t0 - window + 1) : 0;
      const int64_t m = group * rows;  // stacked row i * rows + r: head g * group + i, query t0 + r
      for (int64_t i = 0; i < group; ++i)
        for (int64_t r = 0; r < rows; ++r)
          std::copy_n(q + (t0 + r) * ldq + (g * group + i) * D, D, q_stack.data() + (i * rows + r) * D);
      float* S = scores.data();
      for (int64_t kt = k0; kt < keys; kt += tile) {
        const int64_t nk = std::min(tile, keys - kt);
        const bool first = kt == k0;
        // S = (Q_blk K[kt:kt+nk]^T) * scale  (torch.matmul(query, key^T) * scaling)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(nk),
                    static_cast<int>(D), scale, q_stack.data(), static_cast<int>(D), k + kt * ldkv + g * D,
                    static_cast<int>(ldkv), 0.0f, S, static_cast<int>(nk));
        for (int64_t row = 0; row < m; ++row) {
          const int64_t t = t0 + row % rows;
          // causal: keys j <= t; sliding window W (transformers' sliding_window_overlay): j > t - W
          const int64_t lo = std::clamp<int64_t>((window > 0 ? std::max<int64_t>(k0, t - window + 1) : 0) - kt, 0, nk);
          const int64_t hi = std::clamp<int64_t>(t + 1 - kt, 0, nk);
          float* srow = S + row * nk;
          const size_t i = static_cast<size_t>(row);
          // A row with no key in this tile (hi <= lo): its max is -inf, its exps all 0, nothing moves.
          const float running = first ? -std::numeric_limits<float>::infinity() : row_max_run[i];
          const float new_max = std::max(running, row_max(srow, lo, hi));
          const float sum = exp_row_shifted(srow, lo, hi, nk, new_max);
          if (!first && new_max > running) {  // exp(-inf) = 0: a row with no key before starts here
            const float alpha = exp_nonpositive(running - new_max);
            row_sum[i] *= alpha;
            float* o = o_stack.data() + row * D;
            for (int64_t d = 0; d < D; ++d) o[d] *= alpha;
          }
          row_max_run[i] = new_max;
          row_sum[i] = first ? sum : row_sum[i] + sum;
        }
        // O_blk (+)= exp(S) V[kt:kt+nk]
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(D),
                    static_cast<int>(nk), 1.0f, S, static_cast<int>(nk), v + kt * ldkv + g * D, static_cast<int>(ldkv),
                    first ? 0.0f : 1.0f, o_stack.data(), static_cast<int>(D));
      }
      for (int64_t i = 0; i < group; ++i)
        for (int64_t r = 0; r < rows; ++r) {
          const float* src = o_stack.data() + (i * rows + r) * D;
          float* dst = out + (t0 + r) * ldq + (g * group + i) * D;
          const float inv = 1.0f / row_sum[static_cast<size_t>(i * rows + r)];
          for (int64_t d = 0; d < D; ++d) dst[d] = src[d] * inv;
        }
    }
  }
}

float activation(float x, Activation act) {
  if (act == Activation::Silu) return x / (1.0f + std::exp(-x));  // silu(x) = x * sigmoid(x)
  // torch's GeluKernel (approximate="tanh"): kBeta = sqrt(2) * (2/sqrt(pi)) * 0.5, kKappa = 0.044715.
  constexpr float kBeta = static_cast<float>(M_SQRT2 * M_2_SQRTPI * 0.5);
  constexpr float kKappa = 0.044715f;
  const float inner = kBeta * (x + kKappa * (x * x * x));
  return 0.5f * x * (1.0f + std::tanh(inner));
}

void gated_act(float* gate, const float* up, int64_t n, Activation act, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < n; ++i) gate[i] = activation(gate[i], act) * up[i];
}

void next_token_scores(const float* hidden, int64_t rows, int64_t dim, const HostTensor& lm_head,
                       std::span<const int32_t> targets, float* logprob, uint8_t* is_argmax, int64_t chunk,
                       int threads) {
  // The whole vocabulary is one slice.
  const VocabSliceScores s = vocab_slice_scores(hidden, rows, dim, lm_head, 0, targets, chunk, threads);
  for (int64_t r = 0; r < rows; ++r) {
    const size_t i = static_cast<size_t>(r);
    logprob[r] = static_cast<float>(static_cast<double>(s.target_logit[i] - s.max_logit[i]) - std::log(s.sum_exp[i]));
    is_argmax[r] = s.argmax[i] == targets[i] ? 1 : 0;
  }
}

VocabSliceScores vocab_slice_scores(const float* hidden, int64_t rows, int64_t dim, const HostTensor& lm_head,
                                    int64_t vocab_begin, std::span<const int32_t> targets, int64_t chunk,
                                    int threads) {
  const int64_t V = lm_head.rows();
  VocabSliceScores out;
  out.max_logit.resize(static_cast<size_t>(rows));
  out.argmax.resize(static_cast<size_t>(rows));
  out.sum_exp.resize(static_cast<size_t>(rows));
  out.target_logit.assign(static_cast<size_t>(rows), 0.0f);
  std::vector<float> logits(static_cast<size_t>(std::min(chunk, rows) * V));
  // A 4-bit head is dequantized once for all row chunks (linear would do it for each chunk).
  HostTensor dense;
  const HostTensor* head = &lm_head;
  if (lm_head.is_packed() && rows > chunk) {
    dense.shape = {V, lm_head.cols()};
    dense.data.resize(static_cast<size_t>(V * lm_head.cols()));
    dequantize_all(*lm_head.packed, V, lm_head.cols(), dense.data.data(), threads);
    head = &dense;
  }
  for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
    const int64_t n = std::min(chunk, rows - r0);
    linear(hidden + r0 * dim, n, dim, *head, nullptr, logits.data(), threads);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t r = 0; r < n; ++r) {
      const float* lr = logits.data() + r * V;
      int64_t best = 0;
      for (int64_t j = 1; j < V; ++j)
        if (lr[j] > lr[best]) best = j;
      const float mx = lr[best];
      const double sum = sum_exp_shifted(lr, V, mx);
      const size_t row = static_cast<size_t>(r0 + r);
      out.max_logit[row] = mx;
      out.argmax[row] = vocab_begin + best;
      out.sum_exp[row] = sum;
      const int64_t y = targets[row] - vocab_begin;
      if (y >= 0 && y < V) out.target_logit[row] = lr[y];
    }
  }
  return out;
}

}  // namespace rb::cpu
