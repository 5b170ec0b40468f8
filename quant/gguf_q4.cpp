// GGUF Q4_0 / Q4_1 / Q4_K blocks -> QuantizedMatrix, kept 4-bit. Block layouts from
// ggml/src/ggml-common.h, values as ggml-quants.c dequantize_row_q4_0 / _q4_1 / _q4_K (and
// model_core/loaders/gguf_dequant.cpp, bit-identical to them):
//   Q4_0 (32 weights, 18 bytes): d fp16, qs[16]; y[j] = (qs[j] & 15) - 8, y[j + 16] = (qs[j] >> 4) - 8, times d
//        -> table k - 8, scale d.
//   Q4_1 (32 weights, 20 bytes): d, m fp16, qs[16]; y = q * d + m -> table k, scale d, bias m.
//   Q4_K (256 weights, 144 bytes): d, dmin fp16, scales[12] (get_scale_min_k4), qs[128]; 64 weights
//        at a time: y[l] = d1 * (qs[l] & 15) - m1, y[l + 32] = d2 * (qs[l] >> 4) - m2 with
//        d1 = d * sc, m1 = dmin * m (fp32) -> groups of 32, table k, scale d * sc, bias -(dmin * m);
//        q * s + (-m) is exactly q * s - m in IEEE arithmetic.
#include <bit>
#include <cstring>
#include <string>

#include "common/error.hpp"
#include "quant/checkpoint_formats.hpp"

namespace rb::quant {
namespace {

constexpr int64_t kQK4 = 32, kQKK = 256;
constexpr int64_t kQ4_0Bytes = 2 + kQK4 / 2, kQ4_1Bytes = 4 + kQK4 / 2, kQ4_KBytes = 4 + 12 + kQKK / 2;

// IEEE half -> float, exact (subnormal halves become normal floats).
float half_to_float(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu, mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    uint32_t e = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mant & 0x3FFu) << 13);
  }
  return std::bit_cast<float>(bits);
}

// ggml-quants.c get_scale_min_k4.
void get_scale_min_k4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
  }
}

void put_code(uint8_t* row, int64_t c, unsigned q) { row[c / 2] = static_cast<uint8_t>(row[c / 2] | (q << ((c & 1) * 4))); }

}  // namespace

QuantizedMatrix pack_gguf_q4(Scheme scheme, const uint8_t* blocks, std::size_t bytes, int64_t rows, int64_t cols,
                             const std::string& where) {
  int64_t block_elems, block_bytes;
  const char* type;
  switch (scheme) {
    case Scheme::GGUF_Q4_0: block_elems = kQK4, block_bytes = kQ4_0Bytes, type = "Q4_0"; break;
    case Scheme::GGUF_Q4_1: block_elems = kQK4, block_bytes = kQ4_1Bytes, type = "Q4_1"; break;
    case Scheme::GGUF_Q4_K: block_elems = kQKK, block_bytes = kQ4_KBytes, type = "Q4_K"; break;
    default: throw Error(std::string("pack_gguf_q4: ") + scheme_name(scheme) + " is not a GGUF 4-bit type");
  }
  if (rows < 0 || cols < 0)
    throw InputError(where, "shape", "negative shape [" + std::to_string(rows) + ", " + std::to_string(cols) + "]");
  if (cols % block_elems != 0)
    throw InputError(where, "shape", std::string("row length ") + std::to_string(cols) + " is not a multiple of the " +
                                         type + " block size " + std::to_string(block_elems));
  const int64_t blocks_per_row = cols / block_elems;
  const std::size_t want = static_cast<std::size_t>(rows * blocks_per_row * block_bytes);
  if (bytes != want)
    throw InputError(where, "data", std::to_string(bytes) + " bytes for a [" + std::to_string(rows) + ", " +
                                        std::to_string(cols) + "] " + type + " tensor, which takes " +
                                        std::to_string(want) + " (" + std::to_string(block_bytes) + " bytes per " +
                                        std::to_string(block_elems) + " weights)");
  if (blocks == nullptr && want > 0) throw InputError(where, "data", "no data");

  QuantizedMatrix m;
  m.scheme = scheme;
  m.rows = rows;
  m.cols = cols;
  m.group_size = kQK4;  // Q4_K: its 32-weight sub-blocks
  m.format_bits_per_weight = 8.0 * static_cast<double>(block_bytes) / static_cast<double>(block_elems);
  for (int k = 0; k < 16; ++k) m.table[static_cast<std::size_t>(k)] = static_cast<float>(scheme == Scheme::GGUF_Q4_0 ? k - 8 : k);
  const int64_t groups = rows * cols / kQK4;
  m.scale.resize(static_cast<std::size_t>(groups));
  if (scheme != Scheme::GGUF_Q4_0) m.bias.resize(static_cast<std::size_t>(groups));
  const int64_t rb = m.row_bytes();
  m.codes.assign(static_cast<std::size_t>(rows * rb), 0);

#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* row = m.codes.data() + r * rb;
    const uint8_t* x = blocks + r * blocks_per_row * block_bytes;
    for (int64_t b = 0; b < blocks_per_row; ++b, x += block_bytes) {
      const int64_t c0 = b * block_elems;
      const std::size_t g0 = static_cast<std::size_t>((r * cols + c0) / kQK4);
      if (scheme == Scheme::GGUF_Q4_K) {
        const float d = half_to_float(x), dmin = half_to_float(x + 2);
        const uint8_t* sc = x + 4;
        const uint8_t* qs = x + 16;
        for (int j = 0; j < 4; ++j) {  // 64 weights: sub-blocks 2j (low nibbles), 2j + 1 (high)
          for (int half = 0; half < 2; ++half) {
            uint8_t s, mn;
            get_scale_min_k4(2 * j + half, sc, &s, &mn);
            const std::size_t g = g0 + static_cast<std::size_t>(2 * j + half);
            m.scale[g] = d * s;
            m.bias[g] = -(dmin * mn);
            for (int l = 0; l < 32; ++l)
              put_code(row, c0 + 64 * j + 32 * half + l, half ? (qs[32 * j + l] >> 4) : (qs[32 * j + l] & 15));
          }
        }
      } else {
        m.scale[g0] = half_to_float(x);
        if (scheme == Scheme::GGUF_Q4_1) m.bias[g0] = half_to_float(x + 2);
        const uint8_t* qs = x + (scheme == Scheme::GGUF_Q4_1 ? 4 : 2);
        for (int j = 0; j < 16; ++j) {
          put_code(row, c0 + j, qs[j] & 15);
          put_code(row, c0 + j + 16, qs[j] >> 4);
        }
      }
    }
  }
  m.validate(where);
  return m;
}

}  // namespace rb::quant
