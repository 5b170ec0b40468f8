// Ids from tokenizers/ids.json (made by Hugging Face tokenizers / sentencepiece) must be
// reproduced exactly, with and without the special tokens.
#define BOOST_TEST_MODULE tokenizer_ids
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "model_core/tokenizer/tokenizer.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kTokenizers = fs::path(RB_FIXTURES) / "tokenizers";

nlohmann::json load_ids() {
  std::ifstream in(kTokenizers / "ids.json");
  BOOST_REQUIRE_MESSAGE(in, "cannot open " << (kTokenizers / "ids.json"));
  return nlohmann::json::parse(in);
}

std::string show(const std::vector<int32_t>& ids) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < ids.size(); ++i) s << (i ? "," : "") << ids[i];
  return s.str() + "]";
}

void check_fixture(const std::string& name, const std::string& expected_kind) {
  const nlohmann::json all = load_ids();
  BOOST_REQUIRE_MESSAGE(all.contains(name), "ids.json has no entry " << name);
  const auto tok = rb::load_tokenizer_from_dir(kTokenizers / name);
  BOOST_TEST(tok->kind() == expected_kind);
  for (const auto& entry : all[name]) {
    const std::string text = entry["text"].get<std::string>();
    const auto expected = entry["ids"].get<std::vector<int32_t>>();
    const auto expected_special = entry["ids_special"].get<std::vector<int32_t>>();
    const auto got = tok->encode(text, false);
    const auto got_special = tok->encode(text, true);
    BOOST_TEST(got == expected, name << " text \"" << text << "\": got " << show(got) << " expected " << show(expected));
    BOOST_TEST(got_special == expected_special, name << " (special) text \"" << text << "\": got " << show(got_special)
                                                     << " expected " << show(expected_special));
    for (int32_t id : got) BOOST_TEST((id >= 0 && id < tok->vocab_size()));
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(sp_llama) { check_fixture("sp_llama", "sentencepiece"); }
BOOST_AUTO_TEST_CASE(llama_fast) { check_fixture("llama_fast", "hf-bpe"); }
BOOST_AUTO_TEST_CASE(gpt2_bpe) { check_fixture("gpt2_bpe", "hf-bpe"); }
BOOST_AUTO_TEST_CASE(llama3_bpe) { check_fixture("llama3_bpe", "hf-bpe"); }
BOOST_AUTO_TEST_CASE(qwen2_bpe) { check_fixture("qwen2_bpe", "hf-bpe"); }
BOOST_AUTO_TEST_CASE(smollm2_gguf_as_json) { check_fixture("smollm2_gguf", "hf-bpe"); }

BOOST_AUTO_TEST_CASE(bos_eos_ids) {
  const auto sp = rb::load_tokenizer_from_dir(kTokenizers / "sp_llama");
  BOOST_TEST(sp->bos_id().value_or(-1) == 1);
  BOOST_TEST(sp->eos_id().value_or(-1) == 2);
  BOOST_TEST(sp->token_text(1) == "<s>");
  const auto llama3 = rb::load_tokenizer_from_dir(kTokenizers / "llama3_bpe");
  BOOST_REQUIRE(llama3->bos_id().has_value());
  BOOST_TEST(llama3->token_text(*llama3->bos_id()) == "<|begin_of_text|>");
  BOOST_REQUIRE(llama3->eos_id().has_value());
  BOOST_TEST(llama3->token_text(*llama3->eos_id()) == "<|end_of_text|>");
  const auto qwen2 = rb::load_tokenizer_from_dir(kTokenizers / "qwen2_bpe");
  BOOST_TEST(!qwen2->bos_id().has_value());  // tokenizer_config.json: "bos_token": null
}

BOOST_AUTO_TEST_CASE(bos_policy) {
  const auto sp = rb::load_tokenizer_from_dir(kTokenizers / "sp_llama");
  const auto plain = sp->encode("Hello world", false);
  auto with_bos = plain;
  with_bos.insert(with_bos.begin(), 1);
  BOOST_TEST(sp->encode_with_policy("Hello world", rb::BosPolicy::Auto) == with_bos);
  BOOST_TEST(sp->encode_with_policy("Hello world", rb::BosPolicy::Always) == with_bos);
  BOOST_TEST(sp->encode_with_policy("Hello world", rb::BosPolicy::Never) == plain);

  const auto gpt2 = rb::load_tokenizer_from_dir(kTokenizers / "gpt2_bpe");  // adds nothing by itself
  const auto g = gpt2->encode("Hello world", false);
  BOOST_TEST(gpt2->encode_with_policy("Hello world", rb::BosPolicy::Auto) == g);
  auto forced = g;
  forced.insert(forced.begin(), *gpt2->bos_id());
  BOOST_TEST(gpt2->encode_with_policy("Hello world", rb::BosPolicy::Always) == forced);

  const auto qwen2 = rb::load_tokenizer_from_dir(kTokenizers / "qwen2_bpe");
  BOOST_CHECK_THROW(qwen2->encode_with_policy("Hello", rb::BosPolicy::Always), rb::Error);
  BOOST_TEST(qwen2->encode_with_policy("Hello", rb::BosPolicy::Never) == qwen2->encode("Hello", false));
}

// Not a timed assertion: prints how long a large text takes (the KJV bible when available).
BOOST_AUTO_TEST_CASE(speed_report) {
  std::string text;
  const char* bible = std::getenv("RB_BIBLE_TXT");
  if (bible != nullptr) {
    std::ifstream in(bible, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    text = s.str();
  }
  if (text.empty()) {
    const std::string verse =
        "And God said, Let there be light: and there was light. And God saw the light, that it was good.\n";
    while (text.size() < (1u << 20)) text += verse;
  }
  for (const char* name : {"sp_llama", "gpt2_bpe", "llama3_bpe", "smollm2_gguf"}) {
    const auto tok = rb::load_tokenizer_from_dir(kTokenizers / name);
    const auto t0 = std::chrono::steady_clock::now();
    const auto ids = tok->encode(text, true);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "speed: " << name << ": " << text.size() / 1e6 << " MB -> " << ids.size() << " ids in " << s
              << " s\n";
    BOOST_TEST(!ids.empty());
  }
}
