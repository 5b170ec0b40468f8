// GGUF Q4_0 / Q4_1 / Q4_K kept 4-bit: pack_gguf_q4(...).dequantize_rows must equal ggml's
// dequantization (model_core/loaders/gguf_dequant's dequantize_row, itself bit-identical to
// gguf-py) bit for bit -- on the GGUF fixtures (tests/fixtures/gguf, also against gguf-py's
// expected values), on random blocks with special fp16 scales, and, when RB_SMOLLM2_GGUF names
// SmolLM2-135M-Instruct.Q4_1.gguf, on every Q4 tensor of that real file, whose dequantized weight
// matrices then also check the NF4 / int4 quantization error bounds.
#define BOOST_TEST_MODULE gguf_q4_packed
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model_core/loaders/gguf.hpp"
#include "model_core/loaders/gguf_dequant.hpp"
#include "quant/checkpoint_formats.hpp"
#include "quant/quantizers.hpp"

namespace fs = std::filesystem;
using rb::quant::QuantizedMatrix;
using rb::quant::Scheme;

namespace {

const fs::path kDir = fs::path(RB_FIXTURES) / "gguf";

std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The raw tensor bytes of a GGUF file: GgufFile gives dequantized tensors only, so the data
// section start is found by walking the header here (ggml/docs/gguf.md), and each tensor's offset,
// shape and size are cross-checked against GgufFile's.
struct RawGguf {
  std::vector<uint8_t> bytes;
  uint64_t data_start = 0;
};

class HeaderReader {
 public:
  explicit HeaderReader(const std::vector<uint8_t>& b) : b_(b) {}
  template <class T>
  T get() {
    if (pos_ + sizeof(T) > b_.size()) throw std::runtime_error("truncated GGUF header");
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string str() {
    const auto n = get<uint64_t>();
    if (pos_ + n > b_.size()) throw std::runtime_error("truncated GGUF string");
    std::string s(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  void skip_value(uint32_t type) {
    static const int kSize[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};  // GGUF_TYPE_* 0..12
    if (type == 8) {
      str();
    } else if (type == 9) {
      const auto elem = get<uint32_t>();
      const auto n = get<uint64_t>();
      for (uint64_t i = 0; i < n; ++i) skip_value(elem);
    } else if (type < 13) {
      pos_ += static_cast<std::size_t>(kSize[type]);
    } else {
      throw std::runtime_error("unknown GGUF value type");
    }
  }
  std::size_t pos() const { return pos_; }

 private:
  const std::vector<uint8_t>& b_;
  std::size_t pos_ = 0;
};

RawGguf read_raw(const fs::path& path) {
  RawGguf g;
  g.bytes = read_bytes(path);
  HeaderReader r(g.bytes);
  if (r.get<uint32_t>() != 0x46554747u) throw std::runtime_error("not a GGUF file");
  r.get<uint32_t>();  // version (2 or 3: 64-bit counts)
  const auto n_tensors = r.get<uint64_t>();
  const auto n_kv = r.get<uint64_t>();
  uint64_t alignment = 32;
  for (uint64_t i = 0; i < n_kv; ++i) {
    const std::string key = r.str();
    const auto type = r.get<uint32_t>();
    if (key == "general.alignment" && type == 4) {
      alignment = r.get<uint32_t>();
    } else {
      r.skip_value(type);
    }
  }
  for (uint64_t i = 0; i < n_tensors; ++i) {
    r.str();
    const auto n_dims = r.get<uint32_t>();
    for (uint32_t d = 0; d < n_dims; ++d) r.get<uint64_t>();
    r.get<uint32_t>();
    r.get<uint64_t>();
  }
  g.data_start = (r.pos() + alignment - 1) / alignment * alignment;
  return g;
}

struct Q4Type {
  uint32_t ggml;
  Scheme scheme;
};
constexpr Q4Type kQ4Types[] = {{rb::gguf::GGML_TYPE_Q4_0, Scheme::GGUF_Q4_0},
                               {rb::gguf::GGML_TYPE_Q4_1, Scheme::GGUF_Q4_1},
                               {rb::gguf::GGML_TYPE_Q4_K, Scheme::GGUF_Q4_K}};

const Q4Type* q4_type(uint32_t ggml) {
  for (const Q4Type& t : kQ4Types)
    if (t.ggml == ggml) return &t;
  return nullptr;
}

std::vector<float> dequantize(const QuantizedMatrix& m) {
  std::vector<float> out(static_cast<std::size_t>(m.rows * m.cols));
  m.dequantize_rows(0, m.rows, out.data());
  return out;
}

long first_bit_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i])) return static_cast<long>(i);
  return -1;
}

// pack_gguf_q4 vs dequantize_row on the same bytes; returns the packed values.
std::vector<float> check_packed(uint32_t ggml, const uint8_t* src, std::size_t nbytes, int64_t rows, int64_t cols,
                                const std::string& what) {
  const Q4Type* t = q4_type(ggml);
  const QuantizedMatrix m = rb::quant::pack_gguf_q4(t->scheme, src, nbytes, rows, cols, what);
  const std::vector<float> packed = dequantize(m);
  std::vector<float> ggml_values(static_cast<std::size_t>(rows * cols));
  rb::gguf::dequantize_row(ggml, src, ggml_values.data(), rows * cols);
  BOOST_TEST(first_bit_difference(packed, ggml_values) == -1, what);
  return packed;
}

using MatrixCallback = std::function<void(const std::string&, int64_t, int64_t, const std::vector<float>&)>;

// Every Q4 tensor of a GGUF file, against ggml's dequantization; returns how many were checked.
// `on_matrix` (optional) sees each dequantized Q4 matrix.
int check_file(const fs::path& path, const nlohmann::json* expected_index, const MatrixCallback& on_matrix = {}) {
  const RawGguf raw = read_raw(path);
  const rb::GgufFile f(path);
  int checked = 0;
  for (const rb::GgufTensorInfo& info : f.tensors()) {
    BOOST_REQUIRE(raw.data_start + info.offset + info.nbytes <= raw.bytes.size());
    if (info.ggml_type == rb::gguf::GGML_TYPE_F32) {
      // The header walk found the data section where the reader did: F32 bytes are the values.
      const std::vector<float> values = f.read_tensor(info.name).data;
      BOOST_TEST(values.size() * 4 == info.nbytes);
      BOOST_TEST(std::memcmp(values.data(), raw.bytes.data() + raw.data_start + info.offset, info.nbytes) == 0,
                 info.name);
    }
    if (!q4_type(info.ggml_type)) continue;
    const int64_t cols = info.ne.at(0);
    int64_t rows = 1;
    for (std::size_t d = 1; d < info.ne.size(); ++d) rows *= info.ne[d];
    const uint8_t* src = raw.bytes.data() + raw.data_start + info.offset;
    const std::string what = path.filename().string() + ": " + info.name;
    const std::vector<float> packed = check_packed(info.ggml_type, src, info.nbytes, rows, cols, what);
    if (on_matrix) on_matrix(info.name, rows, cols, packed);
    if (expected_index) {
      for (const auto& e : expected_index->at(path.filename().string()))
        if (e.at("tensor") == info.name) {
          const std::vector<uint8_t> b = read_bytes(kDir / e.at("expected").get<std::string>());
          std::vector<float> want(b.size() / 4);
          std::memcpy(want.data(), b.data(), want.size() * 4);
          BOOST_TEST(first_bit_difference(packed, want) == -1, what << " vs gguf-py");
        }
    }
    ++checked;
  }
  return checked;
}

const char* smollm2_path() {
  const char* p = std::getenv("RB_SMOLLM2_GGUF");
  return p && fs::is_regular_file(p) ? p : nullptr;
}

}  // namespace

BOOST_AUTO_TEST_CASE(fixture_files_bit_identical_to_ggml_and_gguf_py) {
  const nlohmann::json index = nlohmann::json::parse(std::ifstream(kDir / "index.json"));
  int checked = 0;
  for (const char* file : {"types.gguf", "types_v2.gguf"}) checked += check_file(kDir / file, &index);
  // types.gguf: q4_0 / q4_1 quantized + raw, q4_k_raw; types_v2.gguf: q4_1.
  BOOST_TEST(checked == 6);
}

BOOST_AUTO_TEST_CASE(random_blocks_with_special_scales) {
  std::mt19937 gen(21);
  std::uniform_int_distribution<int> byte(0, 255);
  // fp16 field offsets within a block (ggml-common.h): d (and m / dmin) first.
  const uint16_t specials[] = {0x0000, 0x8000, 0x0001, 0x83FF, 0x7BFF, 0xFBFF, 0x3C00, 0xBC00, 0x0400};
  struct Shape {
    uint32_t type;
    int64_t rows, cols, block_elems, block_bytes, fp16_fields;
  };
  const Shape shapes[] = {{rb::gguf::GGML_TYPE_Q4_0, 7, 32, 32, 18, 1},   {rb::gguf::GGML_TYPE_Q4_0, 5, 320, 32, 18, 1},
                          {rb::gguf::GGML_TYPE_Q4_1, 3, 96, 32, 20, 2},   {rb::gguf::GGML_TYPE_Q4_1, 9, 64, 32, 20, 2},
                          {rb::gguf::GGML_TYPE_Q4_K, 3, 256, 256, 144, 2}, {rb::gguf::GGML_TYPE_Q4_K, 4, 768, 256, 144, 2}};
  for (const Shape& s : shapes) {
    const int64_t blocks = s.rows * s.cols / s.block_elems;
    std::vector<uint8_t> data(static_cast<std::size_t>(blocks * s.block_bytes));
    for (auto& b : data) b = static_cast<uint8_t>(byte(gen));
    for (int64_t b = 0; b < blocks; ++b)
      for (int64_t f = 0; f < s.fp16_fields; ++f) {
        uint8_t* p = data.data() + b * s.block_bytes + 2 * f;
        p[1] &= 0xBF;  // exponent below 31: finite (and sometimes subnormal)
        if (b % 3 == 0) {
          const uint16_t h = specials[static_cast<std::size_t>(b + f) % std::size(specials)];
          std::memcpy(p, &h, 2);
        }
      }
    check_packed(s.type, data.data(), data.size(), s.rows, s.cols,
                 "random " + std::to_string(s.type) + " " + std::to_string(s.rows) + "x" + std::to_string(s.cols));
  }
}

// Every Q4 tensor of the real file bit-identical to ggml; three of its (dequantized) weight
// matrices then quantized with NF4 and int4 within their error bounds.
BOOST_AUTO_TEST_CASE(smollm2_every_q4_tensor_and_error_bounds) {
  const char* path = smollm2_path();
  if (!path) {
    BOOST_TEST_MESSAGE("RB_SMOLLM2_GGUF is not set to SmolLM2-135M-Instruct.Q4_1.gguf; skipped");
    return;
  }
  int bounded = 0;
  const auto bounds = [&](const std::string& name, int64_t rows, int64_t cols, const std::vector<float>& w) {
    if (name != "blk.0.attn_q.weight" && name != "blk.7.attn_k.weight" && name != "blk.29.ffn_down.weight") return;
    ++bounded;
    BOOST_TEST_CONTEXT(name) {
      // NF4 (no double quantization): |w - deq| <= absmax * largest NF4 gap / 2 (+ 1e-6 relative).
      const float nf4_half_gap = (1.0f - 0.6961928009986877f) / 2;  // widest gap: -1 .. -0.696
      const QuantizedMatrix nf4 = rb::quant::quantize_nf4(w.data(), rows, cols, false, name);
      const std::vector<float> y = dequantize(nf4);
      int bad = 0;
      for (int64_t i = 0; i < rows * cols; ++i) {
        const float absmax = nf4.scale[static_cast<std::size_t>(i / 64)];
        if (std::fabs(w[i] - y[i]) > absmax * (nf4_half_gap + 1e-6f)) ++bad;
      }
      BOOST_TEST(bad == 0);
      // int4 RTN: |w - deq| <= scale / 2 (+ 2^-22 relative slack); a symmetric group without a
      // negative weight keeps GPTQ's xmin = 0 and is exempt.
      // (SmolLM2's rows of 576 and 1536 take groups of 64, not the default 128.)
      for (const bool sym : {true, false}) {
        const int64_t gs = 64;
        const QuantizedMatrix q = rb::quant::quantize_int4(w.data(), rows, cols, gs, sym, name);
        const std::vector<float> z = dequantize(q);
        int bad4 = 0, exempt = 0;
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t g = 0; g < cols / gs; ++g) {
            const float* x = w.data() + r * cols + g * gs;
            if (sym && *std::min_element(x, x + gs) >= 0.0f) {
              ++exempt;
              continue;
            }
            const float s = q.scale[static_cast<std::size_t>(r * (cols / gs) + g)];
            for (int64_t j = 0; j < gs; ++j) {
              const float err = std::fabs(x[j] - z[static_cast<std::size_t>(r * cols + g * gs + j)]);
              if (err > s / 2 + std::ldexp(1.0f, -22) * (std::fabs(x[j]) + s)) ++bad4;
            }
          }
        BOOST_TEST(bad4 == 0, "int4 sym=" << sym);
        BOOST_TEST_MESSAGE(name << " int4 sym=" << sym << ": " << exempt << " exempt groups");
      }
    }
  };
  const int checked = check_file(path, nullptr, bounds);
  BOOST_TEST_MESSAGE("SmolLM2: " << checked << " Q4 tensors bit-identical");
  BOOST_TEST(checked == 210);  // every Q4_1 tensor of the file (30 layers x 7 projections)
  BOOST_TEST(bounded == 3);
}
