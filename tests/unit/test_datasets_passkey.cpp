// Passkey prompts: the Landmark Attention / YaRN strings, the SplitMix64 key, the token-length
// search with toy tokenizers, and the teacher-forced retrieval check.
#define BOOST_TEST_MODULE datasets_passkey
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "datasets/passkey.hpp"
#include "datasets/splitmix64.hpp"

using namespace rb::data;

namespace {

// One token per byte (the byte value), BOS = 256 on the first document.
std::vector<std::int32_t> byte_tokens(std::string_view text, bool first) {
  std::vector<std::int32_t> ids;
  if (first) ids.push_back(256);
  for (unsigned char c : text) ids.push_back(c);
  return ids;
}

std::string bytes_back(const std::vector<std::int32_t>& ids) {
  std::string s;
  for (std::size_t i = 1; i < ids.size(); ++i) s.push_back(static_cast<char>(ids[i]));
  return s;
}

// One token per whitespace-separated word (a leading space belongs to the word), ids by hash.
std::vector<std::int32_t> word_tokens(std::string_view text, bool /*first*/) {
  std::vector<std::int32_t> ids;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\n')) ++j;
    while (j < text.size() && text[j] != ' ' && text[j] != '\n') ++j;
    ids.push_back(static_cast<std::int32_t>(std::hash<std::string_view>{}(text.substr(i, j - i)) & 0x7fffffff));
    i = j;
  }
  return ids;
}

}  // namespace

BOOST_AUTO_TEST_CASE(strings_are_the_landmark_attention_ones) {
  BOOST_TEST(kPasskeyTask ==
             "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will "
             "quiz you about the important information there.");
  BOOST_TEST(kPasskeyFiller == "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.");
  BOOST_TEST(kPasskeyQuestion == "What is the pass key? The pass key is");
  BOOST_TEST(passkey_answer("12345") == " 12345");
}

BOOST_AUTO_TEST_CASE(splitmix64_reference_values) {
  // Vigna's splitmix64.c seeded with 1234567: the first outputs.
  SplitMix64 rng(1234567);
  BOOST_TEST(rng.next() == 6457827717110365317ULL);
  BOOST_TEST(rng.next() == 3203168211198807973ULL);
  BOOST_TEST(rng.next() == 9817491932198370423ULL);
}

BOOST_AUTO_TEST_CASE(keys_are_deterministic_five_digit_numbers) {
  // Golden values computed independently (Python transcription of the rule in passkey.hpp).
  BOOST_TEST(passkey_key(0, 0) == "67535");
  BOOST_TEST(passkey_key(0, 1) == "72465");
  BOOST_TEST(passkey_key(42, 7) == "65601");
  BOOST_TEST(passkey_key(UINT64_MAX, 3) == "19875");
  std::set<std::string> seen;
  for (std::uint64_t trial = 0; trial < 200; ++trial) {
    const std::string key = passkey_key(7, trial);
    BOOST_TEST(key.size() == 5u);
    BOOST_TEST(key[0] != '0');
    seen.insert(key);
  }
  BOOST_TEST(seen.size() >= 195u);
}

BOOST_AUTO_TEST_CASE(prompt_layout_matches_run_test_py) {
  // Python: "\n".join([task, garbage_inf[:50], info, garbage_inf[:50], question]).
  const std::string expected =
      "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz "
      "you about the important information there.\n"
      "The grass is green. The sky is blue. The sun is ye\n"
      "The pass key is 12345. Remember it. 12345 is the pass key.\n"
      "The grass is green. The sky is blue. The sun is ye\n"
      "What is the pass key? The pass key is";
  BOOST_TEST(passkey_prompt("12345", 100, 0.5) == expected);
  // The filler repeats with single spaces between copies.
  const std::string long_prompt = passkey_prompt("12345", 95, 1.0);
  BOOST_TEST(long_prompt.find("There and back again. The g\nThe pass key is 12345.") != std::string::npos);
  BOOST_TEST(long_prompt.find("12345 is the pass key.\n\nWhat is the pass key?") != std::string::npos);
  const std::string at_start = passkey_prompt("12345", 95, 0.0);
  BOOST_TEST(at_start.find("there.\n\nThe pass key is 12345.") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(byte_tokenizer_hits_the_target_exactly) {
  for (std::size_t target : {300u, 301u, 1000u, 4096u}) {
    for (double depth : {0.0, 0.25, 0.5, 1.0}) {
      const PasskeySample s = make_passkey_sample({target, depth, 3, 11}, byte_tokens);
      BOOST_TEST(s.tokens.size() == target);  // one token per byte: every length is reachable
      BOOST_TEST(s.key == passkey_key(11, 3));
      BOOST_TEST(bytes_back(s.tokens) == s.prompt + " " + s.key);
      BOOST_TEST(s.answer_end == s.tokens.size());
      BOOST_TEST(s.answer_end - s.answer_begin == 6u);  // " NNNNN"
      BOOST_TEST(s.answer_boundary_clean);
      BOOST_TEST(s.prefix_chars == static_cast<std::size_t>(depth * static_cast<double>(s.filler_chars) + 0.5));
      BOOST_TEST(s.prompt == passkey_prompt(s.key, s.filler_chars, depth));
    }
  }
}

BOOST_AUTO_TEST_CASE(word_tokenizer_fits_and_is_maximal) {
  for (std::size_t target : {80u, 333u, 2000u}) {
    const PasskeySample s = make_passkey_sample({target, 0.3, 0, 5}, word_tokens);
    BOOST_TEST(s.tokens.size() <= target);
    // One more character of filler would not fit (or adds no token, then one more word would not).
    std::size_t more = s.filler_chars + 1;
    while (word_tokens(passkey_prompt(s.key, more, 0.3) + " " + s.key, true).size() == s.tokens.size()) ++more;
    BOOST_TEST(word_tokens(passkey_prompt(s.key, more, 0.3) + " " + s.key, true).size() > target);
    BOOST_TEST(s.answer_end - s.answer_begin == 1u);  // " NNNNN" is one word
  }
}

BOOST_AUTO_TEST_CASE(bad_requests_are_input_errors) {
  BOOST_CHECK_THROW(make_passkey_sample({1000, -0.1, 0, 0}, byte_tokens), rb::InputError);
  BOOST_CHECK_THROW(make_passkey_sample({1000, 1.5, 0, 0}, byte_tokens), rb::InputError);
  try {
    make_passkey_sample({100, 0.5, 0, 0}, byte_tokens);
    BOOST_FAIL("expected an InputError");
  } catch (const rb::InputError& e) {
    BOOST_TEST(e.field() == "length");
    BOOST_TEST(std::string(e.what()).find("shorter than the prompt without filler") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(retrieval_is_teacher_forced_greedy) {
  const PasskeySample s = make_passkey_sample({500, 0.5, 1, 2}, byte_tokens);
  // A perfect model: argmax after position t is token t + 1.
  std::vector<std::int32_t> argmax(s.tokens.begin() + 1, s.tokens.end());
  BOOST_TEST(passkey_retrieved(s, argmax));
  // Wrong digit in the answer: not retrieved.
  argmax[s.answer_end - 2] = '0' == s.tokens.back() ? '1' : '0';
  BOOST_TEST(!passkey_retrieved(s, argmax));
  // Errors outside the answer do not matter.
  std::vector<std::int32_t> sloppy(s.tokens.begin() + 1, s.tokens.end());
  for (std::size_t t = 0; t + 1 < s.answer_begin; ++t) sloppy[t] = -1;
  BOOST_TEST(passkey_retrieved(s, sloppy));
  // The answer's first token is predicted at position answer_begin - 1.
  sloppy[s.answer_begin - 1] = -1;
  BOOST_TEST(!passkey_retrieved(s, sloppy));
  BOOST_CHECK_THROW(passkey_retrieved(s, std::span<const std::int32_t>(argmax).first(s.answer_end - 2)), rb::Error);
}

BOOST_AUTO_TEST_CASE(tokenizer_merging_across_the_boundary) {
  // Words keep their *trailing* space: the prompt alone ends in "is", with the answer in "is ".
  const TokenizeFn trailing = [](std::string_view text, bool) {
    std::vector<std::int32_t> ids;
    std::size_t i = 0;
    while (i < text.size()) {
      std::size_t j = i;
      while (j < text.size() && text[j] != ' ' && text[j] != '\n') ++j;
      while (j < text.size() && (text[j] == ' ' || text[j] == '\n')) ++j;
      ids.push_back(static_cast<std::int32_t>(std::hash<std::string_view>{}(text.substr(i, j - i)) & 0x7fffffff));
      i = j;
    }
    return ids;
  };
  const PasskeySample s = make_passkey_sample({200, 0.5, 0, 0}, trailing);
  BOOST_TEST(!s.answer_boundary_clean);
  BOOST_TEST(s.answer_end - s.answer_begin == 2u);  // "is " and "NNNNN"
}
