// Bad tokenizer inputs give an rb::InputError that names the file, the JSON path and the problem;
// nothing crashes.
#define BOOST_TEST_MODULE tokenizer_errors
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "model_core/tokenizer/tokenizer.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kTokenizers = fs::path(RB_FIXTURES) / "tokenizers";

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("rb_tok_errors_" + std::to_string(::getpid()) + "_" +
                                               std::to_string(counter++));
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& content) const {
    std::ofstream(path / name, std::ios::binary) << content;
  }
  static inline int counter = 0;
};

// A valid minimal tokenizer.json to break in one place.
json minimal() {
  return json::parse(R"({
    "added_tokens": [{"id": 0, "content": "<s>", "special": true, "normalized": false}],
    "normalizer": null, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false},
    "post_processor": null,
    "model": {"type": "BPE", "vocab": {"<s>": 0, "a": 1, "b": 2, "ab": 3}, "merges": ["a b"]}})");
}

// Loads `doc` as DIR/tokenizer.json and expects an InputError with that field whose message
// contains `needle`.
void expect_error(const json& doc, const std::string& field, const std::string& needle) {
  TempDir dir;
  dir.write("tokenizer.json", doc.dump());
  try {
    rb::load_tokenizer_from_dir(dir.path);
    BOOST_ERROR("no error for field " << field);
  } catch (const rb::InputError& e) {
    BOOST_TEST(e.file() == (dir.path / "tokenizer.json").string());
    BOOST_TEST(e.field() == field, "field: " << e.what());
    BOOST_TEST(std::string(e.what()).find(needle) != std::string::npos, "message: " << e.what());
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(minimal_tokenizer_loads) {
  TempDir dir;
  dir.write("tokenizer.json", minimal().dump());
  const auto tok = rb::load_tokenizer_from_dir(dir.path);
  BOOST_TEST(tok->encode("ab<s>", false) == (std::vector<int32_t>{3, 0}));
}

BOOST_AUTO_TEST_CASE(missing_files) {
  BOOST_CHECK_EXCEPTION(rb::load_tokenizer_from_dir("/nonexistent/tokenizer_dir"), rb::InputError,
                        [](const rb::InputError& e) { return e.file() == "/nonexistent/tokenizer_dir"; });
  TempDir empty;
  try {
    rb::load_tokenizer_from_dir(empty.path);
    BOOST_ERROR("no error for an empty directory");
  } catch (const rb::InputError& e) {
    const std::string m = e.what();
    BOOST_TEST(e.file() == empty.path.string());
    BOOST_TEST(m.find("tokenizer.json") != std::string::npos);
    BOOST_TEST(m.find("tokenizer.model") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(invalid_json) {
  TempDir dir;
  dir.write("tokenizer.json", "{\"model\": {\"type\": \"BPE\",");
  BOOST_CHECK_EXCEPTION(rb::load_tokenizer_from_dir(dir.path), rb::InputError, [&](const rb::InputError& e) {
    return e.file() == (dir.path / "tokenizer.json").string() &&
           std::string(e.what()).find("invalid JSON") != std::string::npos;
  });
  TempDir bad_config;
  bad_config.write("tokenizer.json", minimal().dump());
  bad_config.write("tokenizer_config.json", "not json");
  BOOST_CHECK_EXCEPTION(rb::load_tokenizer_from_dir(bad_config.path), rb::InputError, [&](const rb::InputError& e) {
    return e.file() == (bad_config.path / "tokenizer_config.json").string();
  });
}

BOOST_AUTO_TEST_CASE(unsupported_components) {
  json wordpiece = minimal();
  wordpiece["model"] = json::parse(R"({"type": "WordPiece", "vocab": {"a": 0}, "unk_token": "a"})");
  expect_error(wordpiece, "model.type", "WordPiece");

  json pre = minimal();
  pre["pre_tokenizer"] = json::parse(
      R"({"type": "Sequence", "pretokenizers": [{"type": "ByteLevel"}, {"type": "UnicodeScripts"}]})");
  expect_error(pre, "pre_tokenizer.pretokenizers[1].type", "UnicodeScripts");

  json norm = minimal();
  norm["normalizer"] = json::parse(R"({"type": "Sequence", "normalizers": [{"type": "Precompiled"}]})");
  expect_error(norm, "normalizer.normalizers[0].type", "Precompiled");

  json post = minimal();
  post["post_processor"] = json::parse(R"({"type": "Exotic"})");
  expect_error(post, "post_processor.type", "Exotic");

  json behavior = minimal();
  behavior["pre_tokenizer"] = json::parse(R"({"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways"})");
  expect_error(behavior, "pre_tokenizer.behavior", "Sideways");

  json dropout = minimal();
  dropout["model"]["dropout"] = 0.1;
  expect_error(dropout, "model.dropout", "dropout");
}

BOOST_AUTO_TEST_CASE(malformed_fields) {
  json regex = minimal();
  regex["pre_tokenizer"] = json::parse(R"({"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated"})");
  expect_error(regex, "pre_tokenizer.pattern.Regex", "does not compile");

  json merge = minimal();
  merge["model"]["merges"] = json::parse(R"(["a c"])");
  expect_error(merge, "model.merges[0]", "\"c\" is not in the vocabulary");

  json merge_form = minimal();
  merge_form["model"]["merges"] = json::parse(R"(["a b c"])");
  expect_error(merge_form, "model.merges[0]", "exactly one space");

  json added = minimal();
  added["added_tokens"] = json::parse(R"([{"id": 0}])");
  expect_error(added, "added_tokens[0].content", "missing");

  json no_model = minimal();
  no_model.erase("model");
  expect_error(no_model, "model", "missing");

  json template_token = minimal();
  template_token["post_processor"] = json::parse(
      R"({"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<bos>"}}, {"Sequence": {"id": "A"}}],
          "special_tokens": {}})");
  expect_error(template_token, "post_processor.special_tokens.<bos>", "missing");
}

BOOST_AUTO_TEST_CASE(truncated_sentencepiece_model) {
  std::ifstream in(kTokenizers / "sp_llama" / "tokenizer.model", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_REQUIRE(bytes.size() > 100);
  TempDir dir;
  dir.write("tokenizer.model", bytes.substr(0, bytes.size() / 2));
  BOOST_CHECK_EXCEPTION(rb::load_tokenizer_from_dir(dir.path), rb::InputError, [&](const rb::InputError& e) {
    return e.file() == (dir.path / "tokenizer.model").string() &&
           std::string(e.what()).find("sentencepiece") != std::string::npos;
  });
}

// A NUL byte inside a piece makes libsentencepiece's trie builder throw where nothing can catch
// it (found by fuzz_tokenizer_model); it must be refused before sentencepiece sees the model.
BOOST_AUTO_TEST_CASE(sentencepiece_piece_with_nul_byte) {
  std::ifstream in(kTokenizers / "sp_llama" / "tokenizer.model", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string piece = "\xE2\x96\x81the";
  const size_t at = bytes.find(piece);
  BOOST_REQUIRE(at != std::string::npos);
  bytes[at + 3] = '\0';
  TempDir dir;
  dir.write("tokenizer.model", bytes);
  BOOST_CHECK_EXCEPTION(rb::load_tokenizer_from_dir(dir.path), rb::InputError, [&](const rb::InputError& e) {
    return e.file() == (dir.path / "tokenizer.model").string() && e.field().rfind("pieces[", 0) == 0 &&
           std::string(e.what()).find("NUL") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(invalid_utf8_text) {
  for (const char* name : {"sp_llama", "gpt2_bpe"}) {
    const auto tok = rb::load_tokenizer_from_dir(kTokenizers / name);
    BOOST_CHECK_THROW(tok->encode("ok \xC3\x28 bad", false), rb::InputError);
    BOOST_CHECK_THROW(tok->encode("\xED\xA0\x80", true), rb::InputError);  // a UTF-16 surrogate
    BOOST_CHECK_THROW(tok->encode("cut \xE2\x96", true), rb::InputError);
  }
}

BOOST_AUTO_TEST_CASE(unknown_ids_have_text) {
  const auto tok = rb::load_tokenizer_from_dir(kTokenizers / "gpt2_bpe");
  BOOST_TEST(tok->token_text(-5).find("not in the vocabulary") != std::string::npos);
  BOOST_TEST(tok->token_text(static_cast<int32_t>(tok->vocab_size())).find("not in the vocabulary") !=
             std::string::npos);
}
