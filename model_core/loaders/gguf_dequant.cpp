// Dequantization of ggml blocks to fp32. Every routine follows ggml/src/ggml-quants.c
// (dequantize_row_q4_0, _q4_1, _q8_0, _q4_K, _q5_K, _q6_K) operation for operation, so the
// floats are bit-identical to ggml's and to gguf-py's gguf.quants.dequantize. The order of the
// float operations matters (d * sc first, then * q); do not "simplify" it.
#include "model_core/loaders/gguf_dequant.hpp"

#include <bit>
#include <cstring>
#include <string>

#include "common/error.hpp"

static_assert(std::endian::native == std::endian::little, "the GGUF reader assumes a little-endian host");

namespace rb::gguf {
namespace {

constexpr int64_t QK4_0 = 32, QK4_1 = 32, QK8_0 = 32;

// Block layouts (ggml/src/ggml-common.h); all fields are byte arrays or fp16 read by memcpy,
// so nothing here depends on the alignment of the mapped file.
constexpr int64_t kQ4_0Bytes = 2 + QK4_0 / 2;                       // d, qs[16]
constexpr int64_t kQ4_1Bytes = 2 + 2 + QK4_1 / 2;                   // d, m, qs[16]
constexpr int64_t kQ8_0Bytes = 2 + QK8_0;                           // d, qs[32] (int8)
constexpr int64_t kScaleBytes = 12;                                 // K_SCALE_SIZE
constexpr int64_t kQ4_KBytes = 2 + 2 + kScaleBytes + QK_K / 2;      // d, dmin, scales, qs
constexpr int64_t kQ5_KBytes = 2 + 2 + kScaleBytes + QK_K / 8 + QK_K / 2;  // d, dmin, scales, qh, qs
constexpr int64_t kQ6_KBytes = QK_K / 2 + QK_K / 4 + QK_K / 16 + 2;  // ql, qh, scales (int8), d

// The type table of ggml/src/ggml.c (type_traits[].blck_size / .type_size), by GGML_TYPE_* id.
// Ids 4 and 5 (Q4_2, Q4_3) and 31..33, 36..38 were removed from ggml and stay unknown.
struct Entry {
  uint32_t id;
  GgmlTypeInfo info;
};
constexpr Entry kTypes[] = {
    {0, {"F32", 1, 4, true}},
    {1, {"F16", 1, 2, true}},
    {2, {"Q4_0", 32, kQ4_0Bytes, true}},
    {3, {"Q4_1", 32, kQ4_1Bytes, true}},
    {6, {"Q5_0", 32, 2 + 4 + 16, false}},
    {7, {"Q5_1", 32, 2 + 2 + 4 + 16, false}},
    {8, {"Q8_0", 32, kQ8_0Bytes, true}},
    {9, {"Q8_1", 32, 4 + 4 + 32, false}},
    {10, {"Q2_K", 256, 2 + 2 + QK_K / 16 + QK_K / 4, false}},
    {11, {"Q3_K", 256, 2 + QK_K / 4 + QK_K / 8 + 12, false}},
    {12, {"Q4_K", 256, kQ4_KBytes, true}},
    {13, {"Q5_K", 256, kQ5_KBytes, true}},
    {14, {"Q6_K", 256, kQ6_KBytes, true}},
    {15, {"Q8_K", 256, 4 + QK_K + QK_K / 8, false}},
    {16, {"IQ2_XXS", 256, 2 + QK_K / 4, false}},
    {17, {"IQ2_XS", 256, 2 + QK_K / 4 + QK_K / 32, false}},
    {18, {"IQ3_XXS", 256, 2 + QK_K / 4 + QK_K / 8, false}},
    {19, {"IQ1_S", 256, 2 + QK_K / 8 + QK_K / 16, false}},
    {20, {"IQ4_NL", 32, 2 + 16, false}},
    {21, {"IQ3_S", 256, 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4, false}},
    {22, {"IQ2_S", 256, 2 + QK_K / 4 + QK_K / 16, false}},
    {23, {"IQ4_XS", 256, 2 + 2 + QK_K / 2 + QK_K / 64, false}},
    {24, {"I8", 1, 1, false}},
    {25, {"I16", 1, 2, false}},
    {26, {"I32", 1, 4, false}},
    {27, {"I64", 1, 8, false}},
    {28, {"F64", 1, 8, false}},
    {29, {"IQ1_M", 256, QK_K / 8 + QK_K / 16 + QK_K / 32, false}},
    {30, {"BF16", 1, 2, true}},
    {34, {"TQ1_0", 256, 2 + 4 * 13, false}},
    {35, {"TQ2_0", 256, 2 + 64, false}},
    {39, {"MXFP4", 32, 1 + 16, false}},
};

uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
float load_fp16(const uint8_t* p) { return fp16_to_fp32(load_u16(p)); }

// ggml-quants.c get_scale_min_k4: the 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K
// super-block, packed into 12 bytes.
void get_scale_min_k4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
  }
}

// dequantize_row_q4_0
void dequant_q4_0(const uint8_t* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQ4_0Bytes, y += QK4_0) {
    const float d = load_fp16(x);
    const uint8_t* qs = x + 2;
    for (int j = 0; j < QK4_0 / 2; ++j) {
      const int x0 = (qs[j] & 0x0F) - 8;
      const int x1 = (qs[j] >> 4) - 8;
      y[j] = x0 * d;
      y[j + QK4_0 / 2] = x1 * d;
    }
  }
}

// dequantize_row_q4_1
void dequant_q4_1(const uint8_t* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQ4_1Bytes, y += QK4_1) {
    const float d = load_fp16(x);
    const float m = load_fp16(x + 2);
    const uint8_t* qs = x + 4;
    for (int j = 0; j < QK4_1 / 2; ++j) {
      const int x0 = qs[j] & 0x0F;
      const int x1 = qs[j] >> 4;
      y[j] = x0 * d + m;
      y[j + QK4_1 / 2] = x1 * d + m;
    }
  }
}

// dequantize_row_q8_0
void dequant_q8_0(const uint8_t* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQ8_0Bytes, y += QK8_0) {
    const float d = load_fp16(x);
    for (int j = 0; j < QK8_0; ++j) y[j] = static_cast<int8_t>(x[2 + j]) * d;
  }
}

// dequantize_row_q4_K
void dequant_q4_k(const uint8_t* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQ4_KBytes) {
    const float d = load_fp16(x);
    const float min = load_fp16(x + 2);
    const uint8_t* scales = x + 4;
    const uint8_t* q = scales + kScaleBytes;
    int is = 0;
    uint8_t sc, m;
    for (int j = 0; j < QK_K; j += 64) {
      get_scale_min_k4(is + 0, scales, &sc, &m);
      const float d1 = d * sc;
      const float m1 = min * m;
      get_scale_min_k4(is + 1, scales, &sc, &m);
      const float d2 = d * sc;
      const float m2 = min * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
      q += 32;
      is += 2;
    }
  }
}

// dequantize_row_q5_K
void dequant_q5_k(const uint8_t* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQ5_KBytes) {
    const float d = load_fp16(x);
    const float min = load_fp16(x + 2);
    const uint8_t* scales = x + 4;
    const uint8_t* qh = scales + kScaleBytes;
    const uint8_t* ql = qh + QK_K / 8;
    int is = 0;
    uint8_t sc, m;
    uint8_t u1 = 1, u2 = 2;
    for (int j = 0; j < QK_K; j += 64) {
      get_scale_min_k4(is + 0, scales, &sc, &m);
      const float d1 = d * sc;
      const float m1 = min * m;
      get_scale_min_k4(is + 1, scales, &sc, &m);
      const float d2 = d * sc;
      const float m2 = min * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
      ql += 32;
      is += 2;
      u1 <<= 2;
      u2 <<= 2;
    }
  }
}

// dequantize_row_q6_K
void dequant_q6_k(const uint8_t* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQ6_KBytes) {
    const uint8_t* ql = x;
    const uint8_t* qh = x + QK_K / 2;
    const int8_t* sc = reinterpret_cast<const int8_t*>(x + QK_K / 2 + QK_K / 4);
    const float d = load_fp16(x + QK_K / 2 + QK_K / 4 + QK_K / 16);
    for (int n = 0; n < QK_K; n += 128) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int8_t q1 = static_cast<int8_t>((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int8_t q2 = static_cast<int8_t>((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int8_t q3 = static_cast<int8_t>((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int8_t q4 = static_cast<int8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l + 0] = d * sc[is + 0] * q1;
        y[l + 32] = d * sc[is + 2] * q2;
        y[l + 64] = d * sc[is + 4] * q3;
        y[l + 96] = d * sc[is + 6] * q4;
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
}

}  // namespace

const GgmlTypeInfo* ggml_type_info(uint32_t type) {
  for (const Entry& e : kTypes)
    if (e.id == type) return &e.info;
  return nullptr;
}

std::optional<DType> ggml_dtype(uint32_t type) {
  switch (type) {
    case GGML_TYPE_F32: return DType::F32;
    case GGML_TYPE_F16: return DType::F16;
    case GGML_TYPE_BF16: return DType::BF16;
    case GGML_TYPE_Q8_0: return DType::Q8_0;
    case GGML_TYPE_Q4_0: return DType::Q4_0;
    case GGML_TYPE_Q4_1: return DType::Q4_1;
    case GGML_TYPE_Q4_K: return DType::Q4_K;
    case GGML_TYPE_Q5_K: return DType::Q5_K;
    case GGML_TYPE_Q6_K: return DType::Q6_K;
    default: return std::nullopt;
  }
}

// Exact half -> single conversion (what F16C's vcvtph2ps and numpy's astype(float32) compute for
// every non-NaN input). Subnormal halves become normal floats.
float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);  // inf / NaN
  } else if (exp != 0) {
    bits = sign | ((exp + (127 - 15)) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;  // +-0
  } else {
    // Subnormal: value = mant * 2^-24; normalize so the leading 1 reaches bit 10.
    int e = 127 - 15 + 1;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (static_cast<uint32_t>(e) << 23) | ((mant & 0x3FFu) << 13);
  }
  return std::bit_cast<float>(bits);
}

// ggml-impl.h ggml_compute_bf16_to_fp32: the upper half of a float.
float bf16_to_fp32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

void dequantize_row(uint32_t type, const uint8_t* src, float* dst, int64_t n) {
  const GgmlTypeInfo* info = ggml_type_info(type);
  if (info == nullptr || !info->dequantizable)
    throw Error("dequantize_row: ggml type " + std::string(info ? info->name : "?") + " (" +
                std::to_string(type) + ") is not supported");
  if (n < 0 || n % info->block_size != 0)
    throw Error("dequantize_row: " + std::to_string(n) + " elements is not a multiple of the " +
                info->name + " block size " + std::to_string(info->block_size));
  const int64_t nb = n / info->block_size;
  switch (type) {
    case GGML_TYPE_F32:
      if (n > 0) std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case GGML_TYPE_F16:
      for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(load_u16(src + 2 * i));
      return;
    case GGML_TYPE_BF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(load_u16(src + 2 * i));
      return;
    case GGML_TYPE_Q4_0: return dequant_q4_0(src, dst, nb);
    case GGML_TYPE_Q4_1: return dequant_q4_1(src, dst, nb);
    case GGML_TYPE_Q8_0: return dequant_q8_0(src, dst, nb);
    case GGML_TYPE_Q4_K: return dequant_q4_k(src, dst, nb);
    case GGML_TYPE_Q5_K: return dequant_q5_k(src, dst, nb);
    case GGML_TYPE_Q6_K: return dequant_q6_k(src, dst, nb);
    default: break;
  }
  throw Error("dequantize_row: ggml type " + std::to_string(type) + " has no routine");
}

}  // namespace rb::gguf
