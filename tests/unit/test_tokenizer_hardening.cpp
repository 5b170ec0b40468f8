// tokenizer.json that we did not write (issue #12, finding 4): a number beyond the double range or
// nesting beyond any real tokenizer is an rb::InputError naming the file and the JSON path.
#define BOOST_TEST_MODULE tokenizer_hardening
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/error.hpp"
#include "model_core/tokenizer/tokenizer.hpp"

namespace fs = std::filesystem;

namespace {

std::string error_for(const std::string& tokenizer_json) {
  const fs::path dir = fs::temp_directory_path() / ("rb_tok_hardening_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "tokenizer.json", std::ios::binary) << tokenizer_json;
  std::string message = "(no error)";
  try {
    rb::load_tokenizer_from_dir(dir);
  } catch (const rb::InputError& e) {
    message = e.what();
  }
  fs::remove_all(dir);
  return message;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(number_overflow_names_the_json_path) {
  const std::string e = error_for(
      R"({"added_tokens": [], "model": {"type": "BPE", "vocab": {"a": 0, "b": 1e999}, "merges": []}})");
  BOOST_TEST(contains(e, "tokenizer.json: model.vocab.b: "), e);
  BOOST_TEST(contains(e, "number overflow parsing '1e999'"), e);
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_refused) {
  const std::string e = error_for(R"({"normalizer": )" + std::string(50000, '[') + std::string(50000, ']') + "}");
  BOOST_TEST(contains(e, "tokenizer.json: normalizer[0][0]"), e);
  BOOST_TEST(contains(e, "nested deeper than 128 levels"), e);
}
