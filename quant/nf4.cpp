// NF4 quantize-at-load, as bitsandbytes' CUDA kernels do it (bitsandbytes 0.50.2):
//   functional.py quantize_4bit(quant_type="nf4", blocksize=64, compress_statistics=dq)
//   csrc/kernels.cu (csrc/cuda/blockwise_quantization.cu in later trees) kQuantizeBlockwise:
//     absmax = max |x| over the block of the flattened tensor (the last block may be partial),
//     code   = dQuantizeNF4(x * (1.0f / absmax))
//   double quantization (compress_statistics=True):
//     offset = absmax.mean(); (qabsmax, state2) = quantize_blockwise(absmax - offset, blocksize=256)
//     with the signed 8-bit dynamic map (create_dynamic_map()), codes by dQuantize<0>; and
//     dequantize_4bit uses absmax' = code8[qabsmax] * absmax2 + offset (two separate fp32 ops).
// Where bitsandbytes' CPU path (backends/default/ops.py, csrc/cpu_ops.cpp) differs from the CUDA
// kernels we follow CUDA, which is what deployments run; see quant/README.md.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "quant/quantizers.hpp"

namespace rb::quant {
namespace {

// get_4bit_type("nf4") (functional.py); the same float literals as dDequantizeNF4 (kernels.cu).
constexpr std::array<float, 16> kNf4 = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};

// The decision thresholds of dQuantizeNF4 (kernels.cu), ascending: the code is the number of
// thresholds x is greater than, which is what the tree returns (NaN: 0, as the tree's else-chain).
constexpr std::array<float, 15> kNf4Thresholds = {
    -0.8480964004993439f, -0.6106329262256622f, -0.4599952697753906f, -0.33967943489551544f,
    -0.23460740596055984f, -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f,
    0.1202552504837513f, 0.2035212516784668f, 0.2920137718319893f, 0.3893125355243683f,
    0.5016634166240692f, 0.6427869200706482f, 0.8614784181118011f};

uint8_t quantize_nf4_value(float x) {
  uint8_t q = 0;
  for (float t : kNf4Thresholds) q += x > t ? 1 : 0;
  return q;
}

// create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8) of bitsandbytes 0.50.2
// (functional.py), as the float32 bit patterns torch computes; tests/fixtures/make_quant_fixtures.py
// checks its transcription against bitsandbytes and the nf4-dq fixtures exercise this table.
constexpr uint32_t kDynamicMapBits[256] = {
    0xBF7E3333u, 0xBF7A999Au, 0xBF770000u, 0xBF736666u, 0xBF6FCCCDu, 0xBF6C3333u, 0xBF68999Au, 0xBF650000u,
    0xBF616666u, 0xBF5DCCCDu, 0xBF5A3333u, 0xBF56999Au, 0xBF530000u, 0xBF4F6666u, 0xBF4BCCCDu, 0xBF483333u,
    0xBF44999Au, 0xBF410000u, 0xBF3D6666u, 0xBF39CCCDu, 0xBF363334u, 0xBF32999Au, 0xBF2F0000u, 0xBF2B6666u,
    0xBF27CCCDu, 0xBF243334u, 0xBF20999Au, 0xBF1D0000u, 0xBF196666u, 0xBF15CCCDu, 0xBF123334u, 0xBF0E999Au,
    0xBF0B0000u, 0xBF076666u, 0xBF03CCCCu, 0xBF003333u, 0xBEF93332u, 0xBEF20000u, 0xBEEACCCCu, 0xBEE3999Au,
    0xBEDC6666u, 0xBED53333u, 0xBECE0000u, 0xBEC6CCCCu, 0xBEBF999Au, 0xBEB86666u, 0xBEB13333u, 0xBEAA0000u,
    0xBEA2CCCCu, 0xBE9B999Au, 0xBE946666u, 0xBE8D3334u, 0xBE860000u, 0xBE7D9999u, 0xBE6F3333u, 0xBE60CCCDu,
    0xBE526666u, 0xBE440000u, 0xBE35999Au, 0xBE273333u, 0xBE18CCCDu, 0xBE0A6666u, 0xBDF80000u, 0xBDDB3334u,
    0xBDC9EB85u, 0xBDC428F7u, 0xBDBE6667u, 0xBDB8A3D7u, 0xBDB2E148u, 0xBDAD1EB8u, 0xBDA75C2Au, 0xBDA1999Au,
    0xBD9BD70Au, 0xBD96147Bu, 0xBD9051EBu, 0xBD8A8F5Du, 0xBD84CCCDu, 0xBD7E147Bu, 0xBD728F5Du, 0xBD670A3Du,
    0xBD5B851Fu, 0xBD500000u, 0xBD447AE1u, 0xBD38F5C3u, 0xBD2D70A3u, 0xBD21EB85u, 0xBD166667u, 0xBD0AE148u,
    0xBCFEB852u, 0xBCE7AE15u, 0xBCD0A3D7u, 0xBCB9999Au, 0xBCA28F5Du, 0xBC8B851Fu, 0xBC68F5C3u, 0xBC3AE148u,
    0xBC1F3B64u, 0xBC160418u, 0xBC0CCCCDu, 0xBC039581u, 0xBBF4BC6Au, 0xBBE24DD3u, 0xBBCFDF3Bu, 0xBBBD70A4u,
    0xBBAB020Du, 0xBB989374u, 0xBB8624DDu, 0xBB676C8Au, 0xBB428F5Cu, 0xBB1DB22Du, 0xBAF1A9FCu, 0xBAA7EF9Du,
    0xBA7765FFu, 0xBA59E83Eu, 0xBA3C6A80u, 0xBA1EECC1u, 0xBA016F01u, 0xB9C7E283u, 0xB98CE705u, 0xB923D70Bu,
    0xB8BA1F4Bu, 0xB88AEFB3u, 0xB8378034u, 0xB7B24206u, 0xB70205FFu, 0xB65A1A94u, 0xB513A3B7u, 0x00000000u,
    0x3513A3B7u, 0x365A1A94u, 0x370205FFu, 0x37B24206u, 0x38378034u, 0x388AEFB3u, 0x38BA1F4Bu, 0x3923D70Bu,
    0x398CE705u, 0x39C7E283u, 0x3A016F01u, 0x3A1EECC1u, 0x3A3C6A80u, 0x3A59E83Eu, 0x3A7765FFu, 0x3AA7EF9Du,
    0x3AF1A9FCu, 0x3B1DB22Du, 0x3B428F5Cu, 0x3B676C8Au, 0x3B8624DDu, 0x3B989374u, 0x3BAB020Du, 0x3BBD70A4u,
    0x3BCFDF3Bu, 0x3BE24DD3u, 0x3BF4BC6Au, 0x3C039581u, 0x3C0CCCCDu, 0x3C160418u, 0x3C1F3B64u, 0x3C3AE148u,
    0x3C68F5C3u, 0x3C8B851Fu, 0x3CA28F5Du, 0x3CB9999Au, 0x3CD0A3D7u, 0x3CE7AE15u, 0x3CFEB852u, 0x3D0AE148u,
    0x3D166667u, 0x3D21EB85u, 0x3D2D70A3u, 0x3D38F5C3u, 0x3D447AE1u, 0x3D500000u, 0x3D5B851Fu, 0x3D670A3Du,
    0x3D728F5Du, 0x3D7E147Bu, 0x3D84CCCDu, 0x3D8A8F5Du, 0x3D9051EBu, 0x3D96147Bu, 0x3D9BD70Au, 0x3DA1999Au,
    0x3DA75C2Au, 0x3DAD1EB8u, 0x3DB2E148u, 0x3DB8A3D7u, 0x3DBE6667u, 0x3DC428F7u, 0x3DC9EB85u, 0x3DDB3334u,
    0x3DF80000u, 0x3E0A6666u, 0x3E18CCCDu, 0x3E273333u, 0x3E35999Au, 0x3E440000u, 0x3E526666u, 0x3E60CCCDu,
    0x3E6F3333u, 0x3E7D9999u, 0x3E860000u, 0x3E8D3334u, 0x3E946666u, 0x3E9B999Au, 0x3EA2CCCCu, 0x3EAA0000u,
    0x3EB13333u, 0x3EB86666u, 0x3EBF999Au, 0x3EC6CCCCu, 0x3ECE0000u, 0x3ED53333u, 0x3EDC6666u, 0x3EE3999Au,
    0x3EEACCCCu, 0x3EF20000u, 0x3EF93332u, 0x3F003333u, 0x3F03CCCCu, 0x3F076666u, 0x3F0B0000u, 0x3F0E999Au,
    0x3F123334u, 0x3F15CCCDu, 0x3F196666u, 0x3F1D0000u, 0x3F20999Au, 0x3F243334u, 0x3F27CCCDu, 0x3F2B6666u,
    0x3F2F0000u, 0x3F32999Au, 0x3F363334u, 0x3F39CCCDu, 0x3F3D6666u, 0x3F410000u, 0x3F44999Au, 0x3F483333u,
    0x3F4BCCCDu, 0x3F4F6666u, 0x3F530000u, 0x3F56999Au, 0x3F5A3333u, 0x3F5DCCCDu, 0x3F616666u, 0x3F650000u,
    0x3F68999Au, 0x3F6C3333u, 0x3F6FCCCDu, 0x3F736666u, 0x3F770000u, 0x3F7A999Au, 0x3F7E3333u, 0x3F800000u,
};

float dynamic_map(int i) { return std::bit_cast<float>(kDynamicMapBits[i]); }

// dQuantize<STOCHASTIC=0> (kernels.cu): binary search over the sorted 256-entry code, then the
// nearer neighbour by the fp32 midpoint; ties go to the pivot.
int quantize_dynamic(float x) {
  int pivot = 127, upper_pivot = 255, lower_pivot = 0;
  float lower = -1.0f, upper = 1.0f;
  float val = dynamic_map(pivot);
  for (int i = 64; i > 0; i >>= 1) {
    if (x > val) {
      lower_pivot = pivot;
      lower = val;
      pivot += i;
    } else {
      upper_pivot = pivot;
      upper = val;
      pivot -= i;
    }
    val = dynamic_map(pivot);
  }
  if (upper_pivot == 255) upper = dynamic_map(upper_pivot);
  if (lower_pivot == 0) lower = dynamic_map(lower_pivot);
  if (x > val) {
    const float midpoint = (upper + val) * 0.5f;
    return x > midpoint ? upper_pivot : pivot;
  }
  const float midpoint = (lower + val) * 0.5f;
  return x < midpoint ? lower_pivot : pivot;
}

// The double-quantized absmax as dequantize_4bit sees it: blocks of 256 absmax values, each
// quantized against its block's absmax of (absmax - offset) and dequantized again.
void double_quantize(std::vector<float>& absmax) {
  const int64_t n = static_cast<int64_t>(absmax.size());
  if (n == 0) return;
  // offset = absmax.mean(): torch sums in fp32 in an order of its own (CPU and CUDA differ), so the
  // mean is defined here as the double sum in index order, divided by n, rounded once to fp32.
  double sum = 0.0;
  for (float a : absmax) sum += static_cast<double>(a);
  const float offset = static_cast<float>(sum / static_cast<double>(n));
  constexpr int64_t kBlock2 = 256;
  for (int64_t b0 = 0; b0 < n; b0 += kBlock2) {
    const int64_t b1 = std::min(n, b0 + kBlock2);
    float absmax2 = 0.0f;
    for (int64_t i = b0; i < b1; ++i) absmax2 = std::fmax(absmax2, std::fabs(absmax[i] - offset));
    const float inv = 1.0f / absmax2;
    for (int64_t i = b0; i < b1; ++i) {
      const float centred = absmax[i] - offset;
      const int q = quantize_dynamic(centred * inv);
      const float deq = dynamic_map(q) * absmax2;  // kDequantizeBlockwise
      absmax[i] = deq + offset;                    // functional.py: absmax += quant_state.offset
    }
  }
}

bool bnb_block_size(int64_t b) {
  for (int64_t v = 32; v <= 4096; v *= 2)
    if (b == v) return true;
  return false;
}

}  // namespace

QuantizedMatrix quantize_nf4(const float* w, int64_t rows, int64_t cols, bool double_quant, const std::string& where,
                             int64_t block_size) {
  if (rows < 0 || cols < 0)
    throw InputError(where, "shape", "negative shape [" + std::to_string(rows) + ", " + std::to_string(cols) + "]");
  if (!bnb_block_size(block_size))
    throw InputError(where, "block_size",
                     "NF4 block size " + std::to_string(block_size) + " is not one of bitsandbytes' 32, 64, ..., 4096");
  QuantizedMatrix m;
  m.scheme = double_quant ? Scheme::NF4_DQ : Scheme::NF4;
  m.rows = rows;
  m.cols = cols;
  m.group_size = block_size;
  m.table = kNf4;
  // fp32 absmax per block; double quantization stores an 8-bit code per block plus an fp32 absmax
  // per 256 blocks (the one fp32 offset per tensor is left out).
  m.format_bits_per_weight = double_quant ? 4.0 + 8.0 / block_size + 32.0 / (256.0 * block_size) : 4.0 + 32.0 / block_size;
  const int64_t n = rows * cols;
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(w[i]))
      throw InputError(where, "weights", "element [" + std::to_string(i / cols) + ", " + std::to_string(i % cols) +
                                             "] is not finite");
  const int64_t blocks = (n + block_size - 1) / block_size;
  m.scale.assign(static_cast<std::size_t>(blocks), 0.0f);
  std::vector<float> inverse(static_cast<std::size_t>(blocks));
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t i0 = b * block_size, i1 = std::min(n, i0 + block_size);
    float absmax = 0.0f;
    for (int64_t i = i0; i < i1; ++i) absmax = std::fmax(absmax, std::fabs(w[i]));
    m.scale[static_cast<std::size_t>(b)] = absmax;
    // An all-zero block: 1/0 = inf, 0 * inf = NaN, and dQuantizeNF4(NaN) is code 0 (-1.0), as on
    // CUDA; its values are then -1 * 0 = -0.
    inverse[static_cast<std::size_t>(b)] = 1.0f / absmax;
  }
  // Codes row by row (blocks may cross rows; each row owns its bytes).
  const int64_t rb = m.row_bytes();
  m.codes.assign(static_cast<std::size_t>(rows * rb), 0);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* row = m.codes.data() + r * rb;
    for (int64_t c = 0; c < cols; ++c) {
      const int64_t i = r * cols + c;
      const uint8_t q = quantize_nf4_value(w[i] * inverse[static_cast<std::size_t>(i / block_size)]);
      row[c / 2] = static_cast<uint8_t>(row[c / 2] | (q << ((c & 1) * 4)));
    }
  }
  if (double_quant) double_quantize(m.scale);
  m.validate(where);
  return m;
}

}  // namespace rb::quant
