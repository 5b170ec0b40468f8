// Fuzz target: a GGUF file: header, metadata and tensor table; then the model configuration, the
// embedded vocabulary (encoding a string) and every tensor, as `ropebatch inspect` and `eval` read them.
#include "fuzz_input.hpp"
#include "model_core/config.hpp"
#include "model_core/loaders/gguf.hpp"
#include "model_core/loaders/gguf_model.hpp"
#include "model_core/tokenizer/tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto path = rbfuzz::as_file("model.gguf", rbfuzz::bytes(data, size));
  rbfuzz::expect_clean([&] {
    const rb::GgufFile file(path);
    rbfuzz::expect_clean([&] { rb::validate_config(rb::gguf_model_config(file)); });
    rbfuzz::expect_clean([&] {
      const auto tokenizer = rb::load_tokenizer_from_gguf(file);
      for (const int32_t id : tokenizer->encode("Hello world, ünïcödé 🙂", true)) (void)tokenizer->token_text(id);
    });
    for (const auto& t : file.tensors()) rbfuzz::expect_clean([&] { file.read_tensor(t.name); });
  });
  return 0;
}
