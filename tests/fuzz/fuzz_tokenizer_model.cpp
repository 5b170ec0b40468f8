// Fuzz target: a SentencePiece tokenizer.model; when it loads, a few strings are encoded and their pieces looked up.
#include "fuzz_input.hpp"
#include "model_core/tokenizer/sentencepiece_tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto path = rbfuzz::as_file("tokenizer.model", rbfuzz::bytes(data, size));
  rbfuzz::expect_clean([&] {
    const auto tokenizer = rb::tok::load_sentencepiece(path, rbfuzz::scratch() / "no_tokenizer_config.json");
    for (const char* text : {"", "Hello world", "  In the beginning\n\tGod 123 ünïcödé 🙂"}) {
      const auto ids = tokenizer->encode(text, true);
      for (const int32_t id : ids) (void)tokenizer->token_text(id);
    }
  });
  return 0;
}
