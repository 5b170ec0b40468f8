// Fuzz target: a Hugging Face config.json, read and validated as `ropebatch inspect` does.
#include "fuzz_input.hpp"
#include "model_core/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto path = rbfuzz::as_file("config.json", rbfuzz::bytes(data, size));
  rbfuzz::expect_clean([&] {
    const rb::ModelConfig config = rb::load_hf_config(path);
    rb::validate_config(config);
  });
  return 0;
}
