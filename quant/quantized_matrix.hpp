#pragma once
// One in-memory layout that every 4-bit format converts into exactly: a [rows, cols] matrix of
// 4-bit codes with per-group parameters. Loaders and quantizers (this folder) fill it; the CPU
// backend dequantizes it per layer into fp32, the CUDA backend keeps it packed on the GPU and
// dequantizes each projection right before its GEMM. Both evaluate the same formula, so the CPU
// and GPU see the same weights, and each format's reference dequantization is reproduced bit for bit.
//
//   code(r, c)  = nibble c of row r: byte codes[r * row_bytes() + c / 2], low nibble for even c
//   group(r, c) = g_idx.empty() ? (r * cols + c) / group_size          (flat blocks, as bitsandbytes)
//                               : r * groups_per_row() + g_idx[c]       (GPTQ act-order)
//   value(r, c) = (table[code] - zero[g]) * scale[g] + bias[g]          fp32, each op rounded, no FMA
//                 then rounded to fp16 (round-to-nearest-even) when round_to_fp16
// An empty zero/bias means its operation is skipped: value = t * s exactly, signed zeros included
// (bitsandbytes' -1 * 0 = -0 would become +0 if a bias of 0 were added).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace rb::quant {

enum class Scheme { NF4, NF4_DQ, INT4, INT4_ASYM, GPTQ, AWQ, GGUF_Q4_0, GGUF_Q4_1, GGUF_Q4_K };
const char* scheme_name(Scheme s);

struct QuantizedMatrix {
  Scheme scheme = Scheme::INT4;
  int64_t rows = 0, cols = 0;
  int64_t group_size = 0;            // weights per group (flat); with g_idx: the nominal group size
  std::vector<uint8_t> codes;        // rows * row_bytes()
  std::array<float, 16> table{};     // code -> value before scaling (NF4 code book, or 0..15)
  std::vector<float> scale;          // one per group
  std::vector<float> zero;           // one per group, or empty (0)
  std::vector<float> bias;           // one per group, or empty (0)
  std::vector<int32_t> g_idx;        // cols entries (group within the row of each column), or empty
  int64_t g_idx_groups = 0;          // groups per row when g_idx is set
  bool round_to_fp16 = false;        // GPTQ/AWQ: their reference dequantizes in fp16
  double format_bits_per_weight = 0; // what the format itself stores (codes + its own parameter types)

  int64_t row_bytes() const { return (cols + 1) / 2; }
  int64_t groups() const { return static_cast<int64_t>(scale.size()); }
  int64_t groups_per_row() const;    // g_idx_groups, or cols / group_size (requires divisibility)
  // Bytes this layout holds in memory: codes, the 64-byte table, fp32 scale/zero/bias, g_idx.
  std::size_t memory_bytes() const;

  // Every size consistent, every g_idx in range, every scale/zero/bias finite; throws rb::InputError
  // with `where` (a file and tensor name) as the file and the offending field named.
  void validate(const std::string& where) const;

  // value(r, c) for rows [r0, r1), written row-major into out[(r1 - r0) * cols].
  void dequantize_rows(int64_t r0, int64_t r1, float* out) const;

  // A copy with rows permuted: row i of the result is row perm[i] of this. Needs groups that do not
  // cross rows (cols % group_size == 0, or g_idx). Used to undo llama.cpp's Q/K row permutation.
  QuantizedMatrix permuted_rows(const std::vector<int64_t>& perm) const;
};

// fp32 -> fp16 -> fp32 with round-to-nearest-even (as torch's .half()).
float round_to_fp16(float x);

}  // namespace rb::quant
