// safetensors reading: F32/F16/BF16 values converted exactly, sharded directories, and every kind
// of corruption rejected with a message naming the file. Files are written by the test itself.
#define BOOST_TEST_MODULE safetensors_load
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "model_core/loaders/mapped_file.hpp"
#include "model_core/loaders/safetensors.hpp"
#include "model_core/loaders/safetensors_convert.hpp"

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct RawTensor {
  std::string name, dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

template <typename T>
std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// The header a safetensors writer produces, padded with spaces to a multiple of 8 as the
// reference writer does.
json header_for(const std::vector<RawTensor>& ts) {
  json h = json::object();
  h["__metadata__"] = {{"format", "pt"}};
  uint64_t offset = 0;
  for (const auto& t : ts) {
    h[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  return h;
}

std::vector<uint8_t> file_bytes(const std::string& header_text, const std::vector<RawTensor>& ts) {
  std::string text = header_text;
  while (text.size() % 8) text += ' ';
  std::vector<uint8_t> out(8);
  const uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);
  out.insert(out.end(), text.begin(), text.end());
  for (const auto& t : ts) out.insert(out.end(), t.bytes.begin(), t.bytes.end());
  return out;
}

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("rb_test_st_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path write(const std::string& name, const std::vector<uint8_t>& bytes) const {
    std::ofstream(path / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return path / name;
  }
  fs::path write(const std::string& name, const std::vector<RawTensor>& ts) const {
    return write(name, file_bytes(header_for(ts).dump(), ts));
  }
};

// Opening (and reading every tensor of) `file` must throw an InputError naming it and `expect`.
void expect_bad(const fs::path& file, const std::string& expect) {
  try {
    rb::SafetensorsFile f(file);
    for (const auto& [name, e] : f.entries()) f.read(name);
    BOOST_FAIL("no error for " + file.filename().string() + " (expected '" + expect + "')");
  } catch (const rb::InputError& e) {
    const std::string msg = e.what();
    BOOST_TEST_INFO("message: " << msg);
    BOOST_TEST(msg.find(file.filename().string()) != std::string::npos);
    BOOST_TEST(msg.find(expect) != std::string::npos);
  }
}

bool same_bits(float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); }

const std::vector<float> kF32 = {0.0f, -0.0f, 1.0f, -2.5f, 3.14159265f, 1e-40f /* subnormal */,
                                 std::numeric_limits<float>::infinity(), 6.02e23f};

}  // namespace

BOOST_AUTO_TEST_CASE(f16_conversion_is_exact) {
  // Every one of the 65536 half values, against the value computed from the IEEE definition.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const int sign = (h >> 15) ? -1 : 1;
    const int exp = (h >> 10) & 0x1f;
    const int mant = h & 0x3ff;
    const float got = rb::f16_to_f32(static_cast<uint16_t>(h));
    if (exp == 0x1f) {
      if (mant == 0) {
        BOOST_TEST(got == sign * std::numeric_limits<float>::infinity());
      } else {
        BOOST_TEST(std::isnan(got));
        BOOST_TEST(std::signbit(got) == (sign < 0));
      }
      continue;
    }
    const double value = exp == 0 ? std::ldexp(mant, -24) : std::ldexp(1024 + mant, exp - 25);
    const float want = static_cast<float>(sign * value);
    if (!same_bits(got, want)) BOOST_FAIL("half 0x" << std::hex << h << ": got " << got << " want " << want);
  }
  BOOST_TEST(rb::f16_to_f32(0x0001) == std::ldexp(1.0f, -24));  // smallest subnormal
  BOOST_TEST(rb::f16_to_f32(0x7bff) == 65504.0f);                // largest finite
  BOOST_TEST(same_bits(rb::f16_to_f32(0x8000), -0.0f));
}

BOOST_AUTO_TEST_CASE(round_trip_f32_f16_bf16) {
  TempDir dir;
  // F16: 1, -2, smallest subnormal, a larger subnormal, +inf, -inf, NaN, 65504.
  const std::vector<uint16_t> f16 = {0x3c00, 0xc000, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00, 0x7bff};
  // BF16: 1, -3.5, -0 (negative), pi truncated, a subnormal, -inf.
  const std::vector<uint16_t> bf16 = {0x3f80, 0xc060, 0x8000, 0x4049, 0x0001, 0xff80};
  const fs::path file = dir.write("model.safetensors",
                                  {{"a.f32", "F32", {2, 4}, bytes_of(kF32)},
                                   {"b.f16", "F16", {8}, bytes_of(f16)},
                                   {"c.bf16", "BF16", {2, 3}, bytes_of(bf16)},
                                   {"d.empty", "F32", {0, 3}, {}}});
  const rb::SafetensorsFile st(file);
  BOOST_TEST(st.entries().size() == 4u);  // __metadata__ is not an entry

  const rb::HostTensor a = st.read("a.f32");
  BOOST_TEST(a.shape == (std::vector<int64_t>{2, 4}));
  BOOST_TEST(std::string(rb::dtype_name(a.source_dtype)) == "F32");
  BOOST_REQUIRE(a.data.size() == kF32.size());
  for (size_t i = 0; i < kF32.size(); ++i) BOOST_TEST(same_bits(a.data[i], kF32[i]));

  const rb::HostTensor b = st.read("b.f16");
  BOOST_TEST(std::string(rb::dtype_name(b.source_dtype)) == "F16");
  BOOST_REQUIRE(b.data.size() == 8u);
  BOOST_TEST(b.data[0] == 1.0f);
  BOOST_TEST(b.data[1] == -2.0f);
  BOOST_TEST(b.data[2] == std::ldexp(1.0f, -24));
  BOOST_TEST(b.data[3] == std::ldexp(1023.0f, -24));
  BOOST_TEST(b.data[4] == std::numeric_limits<float>::infinity());
  BOOST_TEST(b.data[5] == -std::numeric_limits<float>::infinity());
  BOOST_TEST(std::isnan(b.data[6]));
  BOOST_TEST(b.data[7] == 65504.0f);

  const rb::HostTensor c = st.read("c.bf16");
  BOOST_TEST(std::string(rb::dtype_name(c.source_dtype)) == "BF16");
  BOOST_REQUIRE(c.data.size() == 6u);
  BOOST_TEST(c.data[0] == 1.0f);
  BOOST_TEST(c.data[1] == -3.5f);
  BOOST_TEST(same_bits(c.data[2], -0.0f));
  BOOST_TEST(c.data[3] == 3.140625f);
  BOOST_TEST(same_bits(c.data[4], std::bit_cast<float>(0x00010000u)));
  BOOST_TEST(c.data[5] == -std::numeric_limits<float>::infinity());

  BOOST_TEST(st.read("d.empty").data.empty());
  BOOST_CHECK_THROW(st.read("absent"), rb::InputError);
}

BOOST_AUTO_TEST_CASE(directory_with_single_file_keeps_model_tensors) {
  TempDir dir;
  dir.write("model.safetensors", {{"model.norm.weight", "F32", {2}, bytes_of(std::vector<float>{1, 2})},
                                  {"lm_head.weight", "BF16", {1, 1}, bytes_of(std::vector<uint16_t>{0x4000})},
                                  {"rotary_emb.inv_freq", "I64", {1}, bytes_of(std::vector<int64_t>{7})}});
  const rb::ModelWeights w = rb::load_safetensors_weights(dir.path);
  BOOST_TEST(w.tensors.size() == 2u);
  BOOST_TEST(w.get("model.norm.weight").data == (std::vector<float>{1, 2}));
  BOOST_TEST(w.get("lm_head.weight").data == (std::vector<float>{2}));
  BOOST_TEST(w.source == dir.path.string());
}

BOOST_AUTO_TEST_CASE(sharded_directory) {
  TempDir dir;
  dir.write("model-00001-of-00002.safetensors",
            {{"model.embed_tokens.weight", "F32", {2, 2}, bytes_of(std::vector<float>{1, 2, 3, 4})}});
  dir.write("model-00002-of-00002.safetensors",
            {{"model.norm.weight", "F16", {2}, bytes_of(std::vector<uint16_t>{0x3c00, 0x4000})},
             {"lm_head.weight", "F32", {1, 2}, bytes_of(std::vector<float>{5, 6})}});
  const json index = {{"metadata", {{"total_size", 28}}},
                      {"weight_map",
                       {{"model.embed_tokens.weight", "model-00001-of-00002.safetensors"},
                        {"model.norm.weight", "model-00002-of-00002.safetensors"},
                        {"lm_head.weight", "model-00002-of-00002.safetensors"}}}};
  const std::string text = index.dump(2);
  dir.write("model.safetensors.index.json", std::vector<uint8_t>(text.begin(), text.end()));
  const rb::ModelWeights w = rb::load_safetensors_weights(dir.path);
  BOOST_TEST(w.tensors.size() == 3u);
  BOOST_TEST(w.get("model.embed_tokens.weight").data == (std::vector<float>{1, 2, 3, 4}));
  BOOST_TEST(w.get("model.norm.weight").data == (std::vector<float>{1, 2}));
  BOOST_TEST(w.get("lm_head.weight").shape == (std::vector<int64_t>{1, 2}));
}

BOOST_AUTO_TEST_CASE(index_errors_name_index_and_tensor) {
  const auto write_index = [](const TempDir& dir, const json& weight_map) {
    const std::string text = json{{"weight_map", weight_map}}.dump();
    return dir.write("model.safetensors.index.json", std::vector<uint8_t>(text.begin(), text.end()));
  };
  const auto expect = [](const fs::path& dir, std::vector<std::string> parts) {
    try {
      rb::load_safetensors_weights(dir);
      BOOST_FAIL("no error");
    } catch (const rb::InputError& e) {
      const std::string msg = e.what();
      BOOST_TEST_INFO("message: " << msg);
      for (const auto& p : parts) BOOST_TEST(msg.find(p) != std::string::npos);
    }
  };
  {
    TempDir dir;
    write_index(dir, {{"model.norm.weight", "model-00009.safetensors"}});
    expect(dir.path, {"model.safetensors.index.json", "model.norm.weight", "model-00009.safetensors", "does not exist"});
  }
  {
    TempDir dir;
    dir.write("shard.safetensors", {{"model.other", "F32", {1}, bytes_of(std::vector<float>{1})}});
    write_index(dir, {{"model.norm.weight", "shard.safetensors"}});
    expect(dir.path, {"model.safetensors.index.json", "model.norm.weight", "shard.safetensors"});
  }
  {
    TempDir dir;
    write_index(dir, {{"model.norm.weight", "../elsewhere.safetensors"}});
    expect(dir.path, {"model.norm.weight", "elsewhere"});
  }
  {
    TempDir dir;
    dir.write("model.safetensors.index.json", std::vector<uint8_t>{'{', 'x'});
    expect(dir.path, {"model.safetensors.index.json", "invalid JSON"});
  }
  {
    TempDir dir;
    expect(dir.path, {"model.safetensors"});  // nothing at all
  }
  expect("/nonexistent/rb_model_dir", {"/nonexistent/rb_model_dir"});
}

BOOST_AUTO_TEST_CASE(corrupt_files_are_rejected) {
  TempDir dir;
  const std::vector<RawTensor> good = {{"w", "F32", {2, 4}, bytes_of(kF32)}};
  const std::vector<uint8_t> bytes = file_bytes(header_for(good).dump(), good);

  // Truncated: the data section ends before the tensor does.
  expect_bad(dir.write("truncated.safetensors", std::vector<uint8_t>(bytes.begin(), bytes.end() - 4)),
             "past the data section");
  // Shorter than the 8-byte length field.
  expect_bad(dir.write("tiny.safetensors", std::vector<uint8_t>{1, 2, 3}), "too short");
  expect_bad(dir.write("empty.safetensors", std::vector<uint8_t>{}), "too short");

  // Header length beyond the end of the file, and beyond the 100 MB limit.
  std::vector<uint8_t> long_header = bytes;
  const uint64_t too_long = bytes.size();
  std::memcpy(long_header.data(), &too_long, 8);
  expect_bad(dir.write("long_header.safetensors", long_header), "past the end of the file");
  const uint64_t huge = uint64_t{1} << 40;
  std::memcpy(long_header.data(), &huge, 8);
  expect_bad(dir.write("huge_header.safetensors", long_header), "100 MB");

  expect_bad(dir.write("bad_json.safetensors", file_bytes("{\"w\": {\"dtype\": ", {})), "invalid JSON");
  expect_bad(dir.write("not_object.safetensors", file_bytes("[1, 2]", {})), "object");

  // data_offsets beyond the file, reversed, and not matching the shape.
  json h = header_for(good);
  h["w"]["data_offsets"] = {0, 4096};
  expect_bad(dir.write("offsets_beyond.safetensors", file_bytes(h.dump(), good)), "w.data_offsets");
  h["w"]["data_offsets"] = {16, 8};
  expect_bad(dir.write("offsets_reversed.safetensors", file_bytes(h.dump(), good)), "begin is after end");
  h["w"]["data_offsets"] = {0, 32};
  h["w"]["shape"] = {3, 4};
  expect_bad(dir.write("shape_mismatch.safetensors", file_bytes(h.dump(), good)), "span 32 bytes");
  h["w"]["shape"] = {uint64_t{1} << 62, 8};
  expect_bad(dir.write("shape_overflow.safetensors", file_bytes(h.dump(), good)), "overflow");
  h["w"]["shape"] = {2, -4};
  expect_bad(dir.write("shape_negative.safetensors", file_bytes(h.dump(), good)), "w.shape");
  h["w"]["shape"] = {2, 4};
  h["w"].erase("dtype");
  expect_bad(dir.write("no_dtype.safetensors", file_bytes(h.dump(), good)), "w.dtype");

  // A dtype the format defines but ropebatch does not read: opens, then fails on read.
  const std::vector<RawTensor> ints = {{"ids", "I32", {2}, bytes_of(std::vector<int32_t>{1, 2})}};
  const fs::path int_file = dir.write("int32.safetensors", ints);
  BOOST_CHECK_NO_THROW(rb::SafetensorsFile{int_file});
  expect_bad(int_file, "F32, F16, BF16");
  const std::vector<RawTensor> f64 = {{"x", "F64", {1}, bytes_of(std::vector<double>{1.0})}};
  expect_bad(dir.write("f64.safetensors", f64), "dtype F64");

  expect_bad(dir.path / "missing.safetensors", "cannot open");
}

BOOST_AUTO_TEST_CASE(mapped_file_basics) {
  TempDir dir;
  const fs::path p = dir.write("five.bin", std::vector<uint8_t>{1, 2, 3, 4, 5});
  rb::MappedFile m(p);
  BOOST_TEST(m.size() == 5u);
  BOOST_TEST(m.data()[4] == 5);
  BOOST_TEST(m.path() == p);
  rb::MappedFile moved(std::move(m));
  BOOST_TEST(moved.size() == 5u);
  BOOST_TEST(m.data() == nullptr);
  BOOST_CHECK_THROW(rb::MappedFile{dir.path}, rb::InputError);  // a directory
  const rb::MappedFile empty(dir.write("empty.bin", std::vector<uint8_t>{}));
  BOOST_TEST(empty.size() == 0u);
}
