// Vocabularies embedded in GGUF files must tokenize as transformers' conversion of them
// (AutoTokenizer.from_pretrained(dir, gguf_file=...)). Small GGUF files are written here from the
// fixture vocabularies; the real SmolLM2 file is used when RB_SMOLLM2_GGUF names it.
#define BOOST_TEST_MODULE tokenizer_gguf
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <sentencepiece_processor.h>

#include <cstdlib>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <variant>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "model_core/loaders/gguf.hpp"
#include "model_core/tokenizer/tokenizer.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kTokenizers = fs::path(RB_FIXTURES) / "tokenizers";

// ---- a minimal GGUF v3 writer: metadata only, no tensors ----
using Value = std::variant<std::string, bool, uint32_t, std::vector<std::string>, std::vector<float>,
                           std::vector<int32_t>>;

class GgufWriter {
 public:
  void set(const std::string& key, Value value) {
    for (auto& kv : kv_) {
      if (kv.first == key) {
        kv.second = std::move(value);
        return;
      }
    }
    kv_.emplace_back(key, std::move(value));
  }
  void write(const fs::path& path) const {
    std::ofstream out(path, std::ios::binary);
    out.write("GGUF", 4);
    put<uint32_t>(out, 3);
    put<uint64_t>(out, 0);  // tensors
    put<uint64_t>(out, kv_.size());
    for (const auto& [key, value] : kv_) {
      put_string(out, key);
      if (auto* s = std::get_if<std::string>(&value)) {
        put<uint32_t>(out, 8), put_string(out, *s);
      } else if (auto* b = std::get_if<bool>(&value)) {
        put<uint32_t>(out, 7), put<uint8_t>(out, *b ? 1 : 0);
      } else if (auto* u = std::get_if<uint32_t>(&value)) {
        put<uint32_t>(out, 4), put<uint32_t>(out, *u);
      } else if (auto* ss = std::get_if<std::vector<std::string>>(&value)) {
        put<uint32_t>(out, 9), put<uint32_t>(out, 8), put<uint64_t>(out, ss->size());
        for (const auto& s2 : *ss) put_string(out, s2);
      } else if (auto* fs2 = std::get_if<std::vector<float>>(&value)) {
        put<uint32_t>(out, 9), put<uint32_t>(out, 6), put<uint64_t>(out, fs2->size());
        for (float f : *fs2) put<float>(out, f);
      } else if (auto* is = std::get_if<std::vector<int32_t>>(&value)) {
        put<uint32_t>(out, 9), put<uint32_t>(out, 5), put<uint64_t>(out, is->size());
        for (int32_t i : *is) put<int32_t>(out, i);
      }
    }
    const auto pos = static_cast<size_t>(out.tellp());
    for (size_t i = pos; i % 32 != 0; ++i) out.put('\0');
  }

 private:
  template <class T>
  static void put(std::ofstream& out, T v) {
    out.write(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  static void put_string(std::ofstream& out, const std::string& s) {
    put<uint64_t>(out, s.size());
    out.write(s.data(), static_cast<std::streamsize>(s.size()));
  }
  std::vector<std::pair<std::string, Value>> kv_;
};

fs::path temp_dir() {
  const fs::path dir = fs::temp_directory_path() / ("rb_tok_gguf_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

struct RemoveTempDir {
  ~RemoveTempDir() {
    std::error_code ec;
    fs::remove_all(temp_dir(), ec);
  }
};

// tokenizer.ggml.* of the sp_llama fixture's tokenizer.model, as llama.cpp's converter writes them.
GgufWriter sp_llama_gguf() {
  sentencepiece::SentencePieceProcessor sp;
  BOOST_REQUIRE(sp.Load((kTokenizers / "sp_llama" / "tokenizer.model").string()).ok());
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  for (int i = 0; i < sp.GetPieceSize(); ++i) {
    tokens.push_back(sp.IdToPiece(i));
    scores.push_back(sp.GetScore(i));
    types.push_back(sp.IsUnknown(i) ? 2 : sp.IsControl(i) ? 3 : sp.IsByte(i) ? 6 : 1);
  }
  GgufWriter w;
  w.set("general.architecture", std::string("llama"));
  w.set("tokenizer.ggml.model", std::string("llama"));
  w.set("tokenizer.ggml.tokens", tokens);
  w.set("tokenizer.ggml.scores", scores);
  w.set("tokenizer.ggml.token_type", types);
  w.set("tokenizer.ggml.bos_token_id", uint32_t{1});
  w.set("tokenizer.ggml.eos_token_id", uint32_t{2});
  w.set("tokenizer.ggml.unknown_token_id", uint32_t{0});
  return w;
}

// tokenizer.ggml.* (model "gpt2") of a tokenizer.json fixture: vocab, merges, added tokens as control.
GgufWriter bpe_gguf(const std::string& fixture, const std::string& architecture) {
  std::ifstream in(kTokenizers / fixture / "tokenizer.json");
  const nlohmann::json j = nlohmann::json::parse(in);
  std::map<int32_t, std::pair<std::string, int32_t>> by_id;
  for (const auto& [token, id] : j["model"]["vocab"].items()) by_id[id.get<int32_t>()] = {token, 1};
  for (const auto& a : j["added_tokens"]) by_id[a["id"].get<int32_t>()] = {a["content"].get<std::string>(), 3};
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  for (const auto& [id, entry] : by_id) {
    BOOST_REQUIRE(id == static_cast<int32_t>(tokens.size()));
    tokens.push_back(entry.first);
    types.push_back(entry.second);
  }
  std::vector<std::string> merges;
  for (const auto& m : j["model"]["merges"]) {
    merges.push_back(m.is_string() ? m.get<std::string>() : m[0].get<std::string>() + " " + m[1].get<std::string>());
  }
  GgufWriter w;
  w.set("general.architecture", architecture);
  w.set("tokenizer.ggml.model", std::string("gpt2"));
  w.set("tokenizer.ggml.tokens", tokens);
  w.set("tokenizer.ggml.token_type", types);
  w.set("tokenizer.ggml.merges", merges);
  return w;
}

nlohmann::json fixture_ids(const std::string& name) {
  std::ifstream in(kTokenizers / "ids.json");
  return nlohmann::json::parse(in).at(name);
}

std::unique_ptr<rb::Tokenizer> load(const GgufWriter& w, const std::string& name) {
  const fs::path path = temp_dir() / name;
  w.write(path);
  rb::GgufFile gguf(path);
  return rb::load_tokenizer_from_gguf(gguf);
}

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(RemoveTempDir);

// transformers: byte-fallback BPE with merges rebuilt from the scores, Prepend("▁") + Replace(" ", "▁"),
// <unk>/<s>/</s> split out of the text; no BOS without tokenizer.ggml.add_bos_token.
BOOST_AUTO_TEST_CASE(llama_sentencepiece_vocabulary) {
  const auto tok = load(sp_llama_gguf(), "sp_llama.gguf");
  BOOST_TEST(tok->kind() == "gguf-llama");
  BOOST_TEST(tok->bos_id().value_or(-1) == 1);
  BOOST_TEST(tok->eos_id().value_or(-1) == 2);
  for (const auto& e : fixture_ids("sp_llama")) {
    const std::string text = e["text"].get<std::string>();
    std::vector<int32_t> expected = e["ids"].get<std::vector<int32_t>>();
    // sentencepiece reads "<s>" as text; transformers' converted tokenizer splits it out.
    if (text == "literal <s> and </s> and <unk> in text") {
      expected = {303, 307, 269, 398, 1881, 1, 1881, 268, 1881, 2, 1881, 268, 1881, 0, 264, 271, 1577, 1567};
    }
    BOOST_TEST(tok->encode(text, false) == expected, "text \"" << text << "\"");
    BOOST_TEST(tok->encode(text, true) == expected, "text \"" << text << "\" (special)");
  }
}

BOOST_AUTO_TEST_CASE(llama_add_bos_and_no_space_prefix) {
  GgufWriter w = sp_llama_gguf();
  w.set("tokenizer.ggml.add_bos_token", true);
  w.set("tokenizer.ggml.add_space_prefix", false);
  const auto tok = load(w, "sp_llama_bos.gguf");
  const std::vector<int32_t> expected = {1926, 558, 1887, 1296};  // transformers, no leading "▁"
  BOOST_TEST(tok->encode("Hello world", false) == expected);
  // transformers 5.17 adds no BOS to GGUF tokenizers even with add_bos_token (checked with
  // AutoTokenizer.from_pretrained(dir, gguf_file=...)); we follow it, and --bos always forces one.
  BOOST_TEST(tok->encode("Hello world", true) == expected);
  BOOST_TEST(tok->encode("", true).empty());
  BOOST_TEST(tok->encode_with_policy("Hello world", rb::BosPolicy::Always).front() == 1);
}

BOOST_AUTO_TEST_CASE(gpt2_architecture) {
  const auto tok = load(bpe_gguf("gpt2_bpe", "gpt2"), "gpt2.gguf");
  BOOST_TEST(tok->kind() == "gguf-gpt2");
  for (const auto& e : fixture_ids("gpt2_bpe")) {
    const std::string text = e["text"].get<std::string>();
    BOOST_TEST(tok->encode(text, false) == e["ids"].get<std::vector<int32_t>>(), "text \"" << text << "\"");
  }
}

BOOST_AUTO_TEST_CASE(qwen2_architecture) {
  const auto tok = load(bpe_gguf("qwen2_bpe", "qwen2"), "qwen2.gguf");
  for (const auto& e : fixture_ids("qwen2_bpe")) {
    const std::string text = e["text"].get<std::string>();
    BOOST_TEST(tok->encode(text, false) == e["ids"].get<std::vector<int32_t>>(), "text \"" << text << "\"");
  }
}

BOOST_AUTO_TEST_CASE(bad_vocabularies) {
  {
    GgufWriter w = bpe_gguf("gpt2_bpe", "gemma2");
    BOOST_CHECK_EXCEPTION(load(w, "gemma.gguf"), rb::InputError,
                          [](const rb::InputError& e) { return e.field() == "general.architecture"; });
  }
  {
    GgufWriter w;
    w.set("general.architecture", std::string("llama"));
    BOOST_CHECK_EXCEPTION(load(w, "novocab.gguf"), rb::InputError,
                          [](const rb::InputError& e) { return e.field() == "tokenizer.ggml.model"; });
  }
  {
    GgufWriter w = bpe_gguf("gpt2_bpe", "gpt2");
    w.set("tokenizer.ggml.merges", std::vector<std::string>{"a b c"});
    BOOST_CHECK_EXCEPTION(load(w, "badmerge.gguf"), rb::InputError,
                          [](const rb::InputError& e) { return e.field() == "tokenizer.ggml.merges[0]"; });
  }
  {
    GgufWriter w = sp_llama_gguf();
    w.set("tokenizer.ggml.bos_token_id", uint32_t{999999});
    BOOST_CHECK_EXCEPTION(load(w, "badbos.gguf"), rb::InputError,
                          [](const rb::InputError& e) { return e.field() == "tokenizer.ggml.bos_token_id"; });
  }
}

// The real SmolLM2 file: architecture llama, model "gpt2", pre "smollm". transformers converts it
// to what tests/fixtures/tokenizers/smollm2_gguf holds.
BOOST_AUTO_TEST_CASE(smollm2_real_file) {
  const char* path = std::getenv("RB_SMOLLM2_GGUF");
  if (path == nullptr || !fs::exists(path)) {
    std::cout << "skipped: set RB_SMOLLM2_GGUF to SmolLM2-135M-Instruct.Q4_1.gguf to run this test\n";
    return;
  }
  rb::GgufFile gguf(path);
  const auto tok = rb::load_tokenizer_from_gguf(gguf);
  BOOST_TEST(tok->kind() == "gguf-gpt2");
  BOOST_TEST(tok->vocab_size() == 49152);
  BOOST_TEST(tok->bos_id().value_or(-1) == 1);
  BOOST_TEST(tok->eos_id().value_or(-1) == 2);
  for (const auto& e : fixture_ids("smollm2_gguf")) {
    const std::string text = e["text"].get<std::string>();
    BOOST_TEST(tok->encode(text, false) == e["ids"].get<std::vector<int32_t>>(), "text \"" << text << "\"");
    BOOST_TEST(tok->encode(text, true) == e["ids_special"].get<std::vector<int32_t>>(), "text \"" << text << "\"");
  }
}
