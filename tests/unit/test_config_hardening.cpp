// Model files we did not write (issue #12, findings 3 and 4): numbers beyond the double range in
// config.json, a safetensors header or index, and safetensors data_offsets that overlap, leave gaps
// or do not cover the data, are each an rb::InputError naming the file, the field and the problem
// (exit status 2 in the CLI), never a library message or a different perplexity.
#define BOOST_TEST_MODULE config_hardening
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "model_core/config.hpp"
#include "model_core/loaders/safetensors.hpp"

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("rb_config_hardening_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  fs::path write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path / name, std::ios::binary) << bytes;
    return path / name;
  }
};

// A safetensors file: 8-byte length, the header text, then `data` bytes.
std::string safetensors(const std::string& header, std::size_t data_bytes) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + std::string(data_bytes, '\x01');
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const rb::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(config_json_number_overflow_names_file_and_field) {
  TempDir dir;
  const fs::path cfg = dir.write("config.json", R"({"model_type": "llama", "hidden_size": 64, "rope_theta": 1e999})");
  const std::string e = error_of([&] { rb::load_hf_config(cfg); });
  BOOST_TEST(contains(e, cfg.string() + ": rope_theta: "), e);
  BOOST_TEST(contains(e, "number overflow parsing '1e999'"), e);
  const fs::path deep = dir.write("deep.json", std::string(100000, '[') + std::string(100000, ']'));
  BOOST_TEST(contains(error_of([&] { rb::load_hf_config(deep); }), "nested deeper than"));
}

BOOST_AUTO_TEST_CASE(safetensors_header_number_overflow_names_the_tensor) {
  TempDir dir;
  const fs::path f = dir.write(
      "overflow.safetensors", safetensors(R"({"w": {"dtype": "F32", "shape": [1e999], "data_offsets": [0, 4]}})", 4));
  const std::string e = error_of([&] { rb::SafetensorsFile{f}; });
  BOOST_TEST(contains(e, f.string() + ": header.w.shape[0]: "), e);
  BOOST_TEST(contains(e, "number overflow"), e);
}

BOOST_AUTO_TEST_CASE(safetensors_offsets_must_tile_the_data_exactly) {
  TempDir dir;
  // Two 8-byte tensors; the second shifted back 4 bytes onto the first (accepted before, giving a
  // different perplexity; the safetensors library says "invalid offset").
  const fs::path overlap = dir.write(
      "overlap.safetensors",
      safetensors(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                  R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                  16));
  std::string e = error_of([&] { rb::SafetensorsFile{overlap}; });
  BOOST_TEST(contains(e, "b.data_offsets: [4, 12) overlaps tensor a, which ends at byte 8"), e);

  const fs::path gap = dir.write(
      "gap.safetensors",
      safetensors(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                  R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]}})",
                  20));
  e = error_of([&] { rb::SafetensorsFile{gap}; });
  BOOST_TEST(contains(e, "b.data_offsets: [12, 20) leaves a gap after tensor a"), e);

  const fs::path late = dir.write(
      "late.safetensors", safetensors(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})", 12));
  e = error_of([&] { rb::SafetensorsFile{late}; });
  BOOST_TEST(contains(e, "a.data_offsets: [4, 12) leaves a gap after the start of the data section"), e);

  const fs::path extra = dir.write(
      "extra.safetensors", safetensors(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", 12));
  e = error_of([&] { rb::SafetensorsFile{extra}; });
  BOOST_TEST(contains(e, "the tensors cover 8 bytes of a data section of 12 bytes"), e);

  // Out of order in the header but contiguous by offset, and an empty tensor: valid, as the
  // library reads them.
  const fs::path fine = dir.write(
      "fine.safetensors",
      safetensors(R"({"z": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                  R"( "e": {"dtype": "F32", "shape": [0], "data_offsets": [8, 8]},)"
                  R"( "a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})",
                  12));
  BOOST_CHECK_NO_THROW(rb::SafetensorsFile{fine});
}
