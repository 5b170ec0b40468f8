// GgufFile and ggml dequantization: bit-identical to gguf-py's reference on every supported type
// (fixtures from tests/fixtures/make_gguf_fixtures.py), metadata of every value type, and an
// InputError naming the file -- never a crash -- for corrupt input.
#define BOOST_TEST_MODULE gguf_read
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "model_core/loaders/gguf.hpp"
#include "model_core/loaders/gguf_dequant.hpp"

namespace fs = std::filesystem;
using rb::GgufFile;
using rb::InputError;

namespace {

const fs::path kDir = fs::path(RB_FIXTURES) / "gguf";

std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<float> read_f32(const fs::path& p) {
  const std::vector<uint8_t> b = read_bytes(p);
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}

// Index of the first element whose bits differ, or -1.
long first_bit_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i])) return static_cast<long>(i);
  return -1;
}

// A scratch directory for corrupt files, removed at exit.
struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("rb_test_gguf_read_" + std::to_string(::getpid()));
  Scratch() { fs::create_directories(dir); }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path write(const std::string& name, const std::vector<uint8_t>& bytes) const {
    const fs::path p = dir / name;
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return p;
  }
};
const Scratch& scratch() {
  static Scratch s;
  return s;
}

// Little-endian GGUF byte writer for hand-made files.
struct Bytes {
  std::vector<uint8_t> b;
  template <class T>
  Bytes& put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    b.insert(b.end(), p, p + sizeof v);
    return *this;
  }
  Bytes& u32(uint32_t v) { return put(v); }
  Bytes& u64(uint64_t v) { return put(v); }
  Bytes& str(const std::string& s) {
    u64(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    b.insert(b.end(), {'G', 'G', 'U', 'F'});
    return u32(version).u64(n_tensors).u64(n_kv);
  }
  // A tensor info: name, dims, ggml type, offset.
  Bytes& tensor(const std::string& name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(ne.size()));
    for (uint64_t n : ne) u64(n);
    return u32(type).u64(offset);
  }
  Bytes& pad(size_t alignment = 32) {
    while (b.size() % alignment) b.push_back(0);
    return *this;
  }
  Bytes& zeros(size_t n) {
    b.insert(b.end(), n, 0);
    return *this;
  }
};

// Opening (and reading every tensor of) `bytes` must throw an InputError that names the file and
// contains `needle`.
void expect_input_error(const std::string& name, const std::vector<uint8_t>& bytes, const std::string& needle) {
  const fs::path p = scratch().write(name, bytes);
  try {
    GgufFile f(p);
    for (const auto& t : f.tensors()) f.read_tensor(t.name);
    BOOST_ERROR(name << ": no error thrown");
  } catch (const InputError& e) {
    const std::string what = e.what();
    BOOST_TEST_CONTEXT(name << ": " << what) {
      BOOST_TEST(what.find(p.string()) != std::string::npos);
      BOOST_TEST(what.find(needle) != std::string::npos);
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(dequant)

BOOST_AUTO_TEST_CASE(fp16_conversion_is_exact) {
  // Every finite half converts exactly: compare against a double computation.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    const float got = rb::gguf::fp16_to_fp32(static_cast<uint16_t>(h));
    if (exp == 0x1F) {
      BOOST_TEST((mant == 0 ? std::isinf(got) : std::isnan(got)));
      continue;
    }
    double v = exp == 0 ? std::ldexp(static_cast<double>(mant), -24)
                        : std::ldexp(1.0 + mant / 1024.0, static_cast<int>(exp) - 15);
    if (h & 0x8000) v = -v;
    if (static_cast<double>(got) != v || std::signbit(got) != static_cast<bool>(h & 0x8000)) {
      BOOST_ERROR("half 0x" << std::hex << h << " -> " << got);
      break;
    }
  }
  BOOST_TEST(rb::gguf::bf16_to_fp32(0x3F80) == 1.0f);
  BOOST_TEST(rb::gguf::bf16_to_fp32(0xC040) == -3.0f);
}

BOOST_AUTO_TEST_CASE(row_length_must_be_a_block_multiple) {
  std::vector<uint8_t> src(2 * 18);
  std::vector<float> dst(64);
  BOOST_CHECK_NO_THROW(rb::gguf::dequantize_row(rb::gguf::GGML_TYPE_Q4_0, src.data(), dst.data(), 64));
  BOOST_CHECK_THROW(rb::gguf::dequantize_row(rb::gguf::GGML_TYPE_Q4_0, src.data(), dst.data(), 33), rb::Error);
  BOOST_CHECK_THROW(rb::gguf::dequantize_row(6 /* Q5_0: known, not supported */, src.data(), dst.data(), 32),
                    rb::Error);
}

BOOST_AUTO_TEST_CASE(q8_0_block_by_hand) {
  // d = 0.5 (fp16 0x3800), qs = -128, -1, 0, 1, 127, ... : y = q * d.
  std::vector<uint8_t> blk(34, 0);
  blk[0] = 0x00;
  blk[1] = 0x38;
  const int8_t qs[] = {-128, -1, 0, 1, 127};
  for (int i = 0; i < 5; ++i) blk[2 + i] = static_cast<uint8_t>(qs[i]);
  std::vector<float> y(32);
  rb::gguf::dequantize_row(rb::gguf::GGML_TYPE_Q8_0, blk.data(), y.data(), 32);
  BOOST_TEST(y[0] == -64.0f);
  BOOST_TEST(y[1] == -0.5f);
  BOOST_TEST(y[2] == 0.0f);
  BOOST_TEST(y[3] == 0.5f);
  BOOST_TEST(y[4] == 63.5f);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(fixtures)

// Every tensor of types.gguf (v3) and types_v2.gguf (v2, alignment 64) against gguf-py's
// gguf.quants.dequantize, bit for bit.
BOOST_AUTO_TEST_CASE(every_type_bit_identical_to_gguf_py) {
  const nlohmann::json index = nlohmann::json::parse(std::ifstream(kDir / "index.json"));
  std::set<std::string> types_seen;
  for (const char* file : {"types.gguf", "types_v2.gguf"}) {
    GgufFile f(kDir / file);
    BOOST_TEST(f.version() == (std::string(file) == "types.gguf" ? 3u : 2u));
    BOOST_TEST(f.tensors().size() == index.at(file).size());
    for (const auto& e : index.at(file)) {
      const std::string name = e.at("tensor");
      BOOST_TEST_CONTEXT(file << " " << name) {
        const rb::HostTensor t = f.read_tensor(name);
        BOOST_TEST(t.shape == e.at("shape").get<std::vector<int64_t>>(), boost::test_tools::per_element());
        BOOST_TEST(f.find_tensor(name)->ggml_type == e.at("type_id").get<uint32_t>());
        const auto expected = read_f32(kDir / e.at("expected").get<std::string>());
        BOOST_TEST(first_bit_difference(t.data, expected) == -1);
        types_seen.insert(e.at("type").get<std::string>());
      }
    }
  }
  const std::set<std::string> all = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_K", "Q6_K"};
  BOOST_TEST(types_seen == all, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(source_dtype_and_pytorch_order_shape) {
  GgufFile f(kDir / "types.gguf");
  const auto* info = f.find_tensor("q4_k_raw");
  BOOST_REQUIRE(info);
  BOOST_TEST((info->ne == std::vector<int64_t>{512, 3}), boost::test_tools::per_element());
  BOOST_TEST(info->nbytes == 3u * 2u * 144u);
  const rb::HostTensor t = f.read_tensor("q4_k_raw");
  BOOST_TEST((t.shape == std::vector<int64_t>{3, 512}));
  BOOST_TEST((t.source_dtype == rb::DType::Q4_K));
  BOOST_TEST((f.read_tensor("f32_3d").shape == std::vector<int64_t>{2, 3, 5}));
  BOOST_TEST((f.read_tensor("bf16").source_dtype == rb::DType::BF16));
  BOOST_TEST(f.find_tensor("nope") == nullptr);
  BOOST_CHECK_THROW(f.read_tensor("nope"), InputError);
  BOOST_TEST(!f.has("general.alignment"));  // default 32
  BOOST_TEST(GgufFile(kDir / "types_v2.gguf").get_int("general.alignment") == 64);
}

BOOST_AUTO_TEST_CASE(metadata_value_types) {
  GgufFile f(kDir / "metadata.gguf");
  BOOST_TEST(f.get_string("general.architecture") == "ropebatch-test");
  BOOST_TEST(f.get_int("t.u8") == 250);
  BOOST_TEST(f.get_int("t.i8") == -120);
  BOOST_TEST(f.get_int("t.u16") == 65000);
  BOOST_TEST(f.get_int("t.i16") == -32000);
  BOOST_TEST(f.get_int("t.u32") == 4000000000LL);
  BOOST_TEST(f.get_int("t.i32") == -2000000000LL);
  BOOST_TEST(f.get_float("t.f32") == static_cast<double>(0.1f));
  BOOST_TEST(f.get_bool("t.bool_true") == true);
  BOOST_TEST(f.get_bool("t.bool_false") == false);
  BOOST_TEST(f.get_string("t.string") == "h\xc3\xa9llo");
  BOOST_TEST(f.get_string("t.bytes") == std::string("a\xff\xfe" "b"));
  BOOST_TEST(f.metadata().at("t.u64").get<uint64_t>() == 18000000000000000000ULL);
  BOOST_CHECK_THROW(f.get_int("t.u64"), InputError);  // does not fit in int64
  BOOST_TEST(f.get_int("t.i64") == -9000000000000000000LL);
  BOOST_TEST(f.get_float("t.f64") == 1.0 / 3.0);
  BOOST_TEST(f.get_float("t.u8") == 250.0);  // integers read as floats
  BOOST_TEST(f.metadata().at("t.arr_u16") == nlohmann::json({1, 2, 65535}));
  BOOST_TEST(f.metadata().at("t.arr_f32") == nlohmann::json({0.5, -2.25}));
  BOOST_TEST((f.get_string_array("t.arr_str") == std::vector<std::string>{"a", "", "ccc"}));
  BOOST_TEST(f.metadata().at("t.arr_nested") == nlohmann::json::parse("[[1,2],[3],[4,5,6]]"));
  BOOST_TEST(f.metadata().at("t.arr_bool") == nlohmann::json({true, false, true}));
  // Wrong type or absent: InputError naming the file and the key.
  for (auto get : {+[](const GgufFile& g) { g.get_int("t.string"); }, +[](const GgufFile& g) { g.get_string("t.u8"); },
                   +[](const GgufFile& g) { g.get_bool("t.u8"); }, +[](const GgufFile& g) { g.get_float("t.arr_str"); },
                   +[](const GgufFile& g) { g.get_string_array("t.arr_u16"); },
                   +[](const GgufFile& g) { g.get_int("no.such.key"); }}) {
    try {
      get(f);
      BOOST_ERROR("no error");
    } catch (const InputError& e) {
      BOOST_TEST(std::string(e.what()).find("metadata.gguf") != std::string::npos);
    }
  }
  BOOST_TEST(f.tensors().empty());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(corrupt)

BOOST_AUTO_TEST_CASE(missing_and_empty) {
  BOOST_CHECK_THROW(GgufFile(scratch().dir / "absent.gguf"), InputError);
  expect_input_error("empty.gguf", {}, "not a GGUF file");
  BOOST_CHECK_THROW(GgufFile(scratch().dir), InputError);  // a directory
}

BOOST_AUTO_TEST_CASE(header) {
  std::vector<uint8_t> good = read_bytes(kDir / "types.gguf");
  auto bad_magic = good;
  bad_magic[0] = 'X';
  expect_input_error("magic.gguf", bad_magic, "not a GGUF file");
  expect_input_error("v1.gguf", Bytes().header(1, 0, 0).b, "version 1 is not supported");
  expect_input_error("v4.gguf", Bytes().header(4, 0, 0).b, "unsupported GGUF version 4");
  expect_input_error("big_endian.gguf", Bytes().header(0x03000000, 0, 0).b, "big-endian");
  expect_input_error("short_header.gguf", {'G', 'G', 'U', 'F', 3, 0}, "truncated");
  expect_input_error("no_counts.gguf", {'G', 'G', 'U', 'F', 3, 0, 0, 0, 1, 0}, "truncated");
  expect_input_error("absurd_tensors.gguf", Bytes().header(3, uint64_t{1} << 60, 0).b, "tensor count");
  expect_input_error("absurd_kv.gguf", Bytes().header(3, 0, ~uint64_t{0}).b, "key/value count");
  // An empty but valid file opens.
  BOOST_CHECK_NO_THROW(GgufFile(scratch().write("minimal.gguf", Bytes().header(3, 0, 0).b)));
}

BOOST_AUTO_TEST_CASE(metadata) {
  expect_input_error("long_key.gguf", Bytes().header(3, 0, 1).u64(uint64_t{1} << 62).zeros(16).b, "truncated");
  expect_input_error("bad_vtype.gguf", Bytes().header(3, 0, 1).str("k").u32(13).u32(0).b, "unknown value type 13");
  expect_input_error("bad_bool.gguf", Bytes().header(3, 0, 1).str("k").u32(7).put<uint8_t>(2).b, "neither 0 nor 1");
  expect_input_error("dup_key.gguf", Bytes().header(3, 0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2).b,
                     "duplicate key");
  expect_input_error("huge_array.gguf", Bytes().header(3, 0, 1).str("k").u32(9).u32(4).u64(uint64_t{1} << 61).b,
                     "array element count");
  expect_input_error("huge_string.gguf", Bytes().header(3, 0, 1).str("k").u32(8).u64(~uint64_t{0}).b, "truncated");
  expect_input_error("array_bad_type.gguf", Bytes().header(3, 0, 1).str("k").u32(9).u32(77).u64(1).b,
                     "array of unknown value type 77");
  Bytes deep;
  deep.header(3, 0, 1).str("k").u32(9);
  for (int i = 0; i < 20; ++i) deep.u32(9).u64(1);
  deep.u32(4).u64(1).u32(7);
  expect_input_error("deep.gguf", deep.b, "nested deeper");
  expect_input_error("align_type.gguf", Bytes().header(3, 0, 1).str("general.alignment").u32(5).u32(32).b,
                     "must be uint32");
  expect_input_error("align_pow2.gguf", Bytes().header(3, 0, 1).str("general.alignment").u32(4).u32(48).b,
                     "not a power of two");
}

BOOST_AUTO_TEST_CASE(tensor_infos) {
  auto one = [](std::vector<uint64_t> ne, uint32_t type, uint64_t offset, size_t data) {
    return Bytes().header(3, 1, 0).tensor("blk.0.w", std::move(ne), type, offset).pad().zeros(data).b;
  };
  BOOST_CHECK_NO_THROW(GgufFile(scratch().write("ok.gguf", one({32, 2}, 2, 0, 36))));
  expect_input_error("beyond_end.gguf", one({32, 2}, 2, 0, 35), "beyond the end of the file");
  expect_input_error("offset_beyond.gguf", one({32, 2}, 2, uint64_t{1} << 63, 36), "blk.0.w");
  expect_input_error("offset_huge.gguf", one({32, 2}, 2, ~uint64_t{0} - 31, 36), "blk.0.w");
  expect_input_error("misaligned.gguf", one({32, 1}, 2, 4, 64), "not a multiple of the alignment");
  expect_input_error("unknown_type.gguf", one({32, 2}, 200, 0, 36), "unknown ggml type id 200");
  expect_input_error("unknown_type_name.gguf", one({32, 2}, 200, 0, 36), "blk.0.w");
  expect_input_error("row_not_block.gguf", one({33, 2}, 2, 0, 64), "not a multiple of the Q4_0 block size 32");
  expect_input_error("dims5.gguf", one({1, 1, 1, 1, 1}, 0, 0, 4), "5 dimensions");
  expect_input_error("numel_overflow.gguf", one({uint64_t{1} << 40, uint64_t{1} << 40}, 0, 0, 4), "overflow");
  expect_input_error("negative_ne.gguf", one({~uint64_t{0}}, 0, 0, 4), "overflow");
  // A zero dimension first hides the product of the others from the running product (fuzz_gguf
  // found it: read_tensor's reversed product overflowed).
  expect_input_error("zero_dimension_overflow.gguf", one({0, uint64_t{1} << 40, uint64_t{1} << 40}, 0, 0, 4),
                     "makes the element count overflow");
  expect_input_error("nbytes_overflow.gguf", one({uint64_t{1} << 62}, 0, 0, 4), "overflow");
  expect_input_error("unsupported_type.gguf", one({32, 2}, 6, 0, 44), "Q5_0 (6) is not supported");
  auto dup = Bytes().header(3, 2, 0).tensor("a", {4}, 0, 0).tensor("a", {4}, 0, 32).pad().zeros(64).b;
  expect_input_error("dup_tensor.gguf", dup, "duplicate tensor name");
}

// Every prefix of a valid file either fails with an InputError or (once all tensor data is
// there) opens; every tensor then reads.
BOOST_AUTO_TEST_CASE(every_truncation) {
  const std::vector<uint8_t> good = read_bytes(kDir / "types_v2.gguf");
  size_t first_ok = good.size() + 1;
  for (size_t n = 0; n < good.size(); ++n) {
    const std::vector<uint8_t> prefix(good.begin(), good.begin() + static_cast<long>(n));
    const fs::path p = scratch().write("prefix.gguf", prefix);
    try {
      GgufFile f(p);
      for (const auto& t : f.tensors()) f.read_tensor(t.name);
      first_ok = std::min(first_ok, n);
    } catch (const InputError& e) {
      BOOST_TEST(std::string(e.what()).find(p.string()) != std::string::npos);
      if (first_ok <= n) BOOST_ERROR("prefix " << n << " fails after prefix " << first_ok << " opened");
    }
  }
  // Only the padding after the last tensor (alignment 64) may be cut.
  BOOST_TEST(first_ok < good.size());
  BOOST_TEST(good.size() - first_ok < 64u);
}

// Random byte corruption anywhere must give an InputError or a file that reads; never a crash
// (run under ASan/UBSan to catch out-of-bounds reads).
BOOST_AUTO_TEST_CASE(random_corruption) {
  const std::vector<uint8_t> good = read_bytes(kDir / "types.gguf");
  std::mt19937_64 rng(12345);
  int opened = 0, rejected = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> bytes = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) {
      // Mostly the header and metadata, where the structure is.
      const size_t at = rng() % 4 == 0 ? rng() % bytes.size() : rng() % std::min<size_t>(bytes.size(), 1200);
      bytes[at] = static_cast<uint8_t>(rng());
    }
    const fs::path p = scratch().write("fuzz.gguf", bytes);
    try {
      GgufFile f(p);
      for (const auto& t : f.tensors()) {
        try {
          f.read_tensor(t.name);
        } catch (const InputError&) {  // e.g. a type flipped to a known but unsupported one
        }
      }
      ++opened;
    } catch (const InputError& e) {
      ++rejected;
    }
  }
  BOOST_TEST_MESSAGE("random corruption: " << opened << " opened, " << rejected << " rejected");
  BOOST_TEST(rejected > 0);
}

BOOST_AUTO_TEST_SUITE_END()
