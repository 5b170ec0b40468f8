#pragma once
// Shared by the fuzz targets (tests/fuzz/fuzz_*.cpp, libFuzzer): the input as a file where a
// parser reads files, and the one outcome bad input may have besides success, rb::InputError.
// Any other exception escapes LLVMFuzzerTestOneInput, so libFuzzer reports it as a crash, as it
// does every sanitizer report, timeout and out-of-memory.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace rbfuzz {

inline std::string_view bytes(const uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A private scratch folder per process (libFuzzer's -jobs/-fork run several).
inline const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::filesystem::path p = std::filesystem::path(base ? base : "/tmp") / ("rb_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(p);
    return p;
  }();
  return dir;
}

// Writes the input to scratch()/name and returns the path.
inline std::filesystem::path as_file(const std::string& name, std::string_view content) {
  const std::filesystem::path p = scratch() / name;
  std::ofstream(p, std::ios::binary | std::ios::trunc).write(content.data(), static_cast<std::streamsize>(content.size()));
  return p;
}

// Runs `body`; an rb::InputError (a clear message about the input) is a good outcome.
template <class F>
void expect_clean(F&& body) {
  try {
    body();
  } catch (const rb::InputError&) {
  }
}

}  // namespace rbfuzz
