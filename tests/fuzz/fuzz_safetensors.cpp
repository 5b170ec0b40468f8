// Fuzz target: a .safetensors file (8-byte length, JSON header, data): open, then read every tensor.
#include "fuzz_input.hpp"
#include "model_core/loaders/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto path = rbfuzz::as_file("model.safetensors", rbfuzz::bytes(data, size));
  rbfuzz::expect_clean([&] {
    const rb::SafetensorsFile file(path);
    for (const auto& [name, entry] : file.entries()) {
      if (entry.dtype == "I32") file.read_int32(name);
      else rbfuzz::expect_clean([&] { file.read(name); });  // other dtypes: InputError on read
    }
  });
  return 0;
}
