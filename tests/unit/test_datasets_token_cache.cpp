// Token cache: key, RBTOK1 file format, validation (a damaged file is a miss, never wrong ids),
// get_or_tokenize hit / miss / rewrite behaviour.
#define BOOST_TEST_MODULE datasets_token_cache
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "datasets/sha256.hpp"
#include "datasets/token_cache.hpp"

namespace fs = std::filesystem;
using namespace rb::data;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "rb_tokcache_XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const std::string kKey = std::string(64, 'a');

TokenStream sample_stream() {
  TokenStream s;
  s.documents = {{1, 2, 3}, {}, {-1, 2147483647, -2147483647 - 1, 0}};
  return s;
}

Source sample_source() {
  Source s;
  s.id = "jsonl:x.jsonl";
  s.kind = SourceKind::jsonl;
  s.documents = {"hello world", "a b c"};
  s.content_sha256 = sha256_hex("pretend file bytes");
  s.per_document = true;
  return s;
}

// A whitespace tokenizer that counts its calls and marks the first document with id 1 (a "BOS").
struct CountingTokenizer {
  int calls = 0;
  std::vector<bool> first_flags;
  TokenizeFn fn() {
    return [this](std::string_view text, bool first) {
      ++calls;
      first_flags.push_back(first);
      std::vector<std::int32_t> ids;
      if (first) ids.push_back(1);
      for (char c : text) ids.push_back(c == ' ' ? 2 : 100 + c);
      return ids;
    };
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(key_depends_on_every_field) {
  const TokenCacheKey base{"tok-A", "bos-first", SourceKind::text, std::string(64, '0')};
  const std::string k = base.digest();
  BOOST_TEST(k.size() == 64u);
  BOOST_TEST(k == TokenCacheKey(base).digest());
  std::set<std::string> keys{k};
  TokenCacheKey v = base;
  v.tokenizer_id = "tok-B";
  keys.insert(v.digest());
  v = base;
  v.bos_policy = "bos-every";
  keys.insert(v.digest());
  v = base;
  v.source_kind = SourceKind::wikitext;
  keys.insert(v.digest());
  v = base;
  v.source_sha256 = std::string(64, '1');
  keys.insert(v.digest());
  // Field boundaries are length-prefixed: moving bytes between fields changes the key.
  v = base;
  v.tokenizer_id = "tok-Abos";
  v.bos_policy = "-first";
  keys.insert(v.digest());
  BOOST_TEST(keys.size() == 6u);
}

BOOST_AUTO_TEST_CASE(file_layout_and_round_trip) {
  const TokenStream s = sample_stream();
  const std::string bytes = encode_token_file(kKey, s);
  // "RBTOK1", version 1 (u32 LE), key, 3 documents (u64 LE), lengths, 7 ids, 32-byte checksum.
  BOOST_TEST(bytes.size() == 6u + 4u + 64u + 8u + 3u * 8u + 7u * 4u + 32u);
  BOOST_TEST(bytes.substr(0, 6) == "RBTOK1");
  BOOST_TEST(bytes.substr(6, 4) == std::string("\x01\x00\x00\x00", 4));
  BOOST_TEST(bytes.substr(10, 64) == kKey);
  BOOST_TEST(bytes.substr(74, 8) == std::string("\x03\0\0\0\0\0\0\0", 8));
  BOOST_TEST(bytes.substr(82, 8) == std::string("\x03\0\0\0\0\0\0\0", 8));
  BOOST_TEST(bytes.substr(106, 4) == std::string("\x01\0\0\0", 4));              // id 1
  BOOST_TEST(bytes.substr(118, 4) == std::string("\xFF\xFF\xFF\xFF", 4));        // id -1
  const auto decoded = decode_token_file(bytes, kKey);
  BOOST_REQUIRE(decoded.has_value());
  BOOST_TEST(decoded->documents == s.documents);

  TokenStream empty;
  const auto none = decode_token_file(encode_token_file(kKey, empty), kKey);
  BOOST_REQUIRE(none.has_value());
  BOOST_TEST(none->documents.empty());
}

BOOST_AUTO_TEST_CASE(damaged_files_are_misses) {
  const std::string good = encode_token_file(kKey, sample_stream());
  std::string problem;
  // Every truncation.
  for (std::size_t n = 0; n < good.size(); ++n) {
    BOOST_TEST(!decode_token_file(good.substr(0, n), kKey, &problem).has_value(), "prefix " << n);
  }
  std::string bad = good;
  bad[0] = 'X';
  BOOST_TEST(!decode_token_file(bad, kKey, &problem).has_value());
  BOOST_TEST(problem.find("bad magic") != std::string::npos);
  bad = good;
  bad[6] = 2;
  BOOST_TEST(!decode_token_file(bad, kKey, &problem).has_value());
  BOOST_TEST(problem.find("version") != std::string::npos);
  BOOST_TEST(!decode_token_file(good, std::string(64, 'b'), &problem).has_value());
  BOOST_TEST(problem.find("another key") != std::string::npos);
  BOOST_TEST(!decode_token_file(good + "x", kKey, &problem).has_value());
  // A flipped bit in every payload byte is caught (the checksum), never returned as ids.
  for (std::size_t i = 74; i < good.size(); ++i) {
    bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    BOOST_TEST(!decode_token_file(bad, kKey, &problem).has_value(), "byte " << i);
  }
  // A huge document count does not allocate or read out of bounds.
  bad = good;
  for (int i = 0; i < 8; ++i) bad[74 + i] = '\xFF';
  BOOST_TEST(!decode_token_file(bad, kKey, &problem).has_value());
  BOOST_TEST(problem.find("truncated") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(get_or_tokenize_hits_after_first_miss) {
  TempDir tmp;
  const Source src = sample_source();
  CountingTokenizer tok;
  std::vector<std::string> warnings;
  const WarnFn warn = [&](const std::string& m) { warnings.push_back(m); };

  const CachedTokens first = get_or_tokenize(src, "tok-A", "bos-first", tok.fn(), tmp.path, warn);
  BOOST_TEST(!first.from_cache);
  BOOST_TEST(tok.calls == 2);
  BOOST_TEST(tok.first_flags == (std::vector<bool>{true, false}));
  BOOST_TEST(first.stream.documents.at(0).front() == 1);
  BOOST_TEST(first.stream.documents.at(1).size() == 5u);
  BOOST_TEST(first.file == tmp.path / (first.key + ".tokens"));
  BOOST_TEST(fs::exists(first.file));
  BOOST_TEST(first.key == TokenCacheKey({"tok-A", "bos-first", SourceKind::jsonl, src.content_sha256}).digest());

  const CachedTokens second = get_or_tokenize(src, "tok-A", "bos-first", tok.fn(), tmp.path, warn);
  BOOST_TEST(second.from_cache);
  BOOST_TEST(tok.calls == 2);
  BOOST_TEST(second.stream.documents == first.stream.documents);
  BOOST_TEST(warnings.empty());

  // Another tokenizer id is another file.
  const CachedTokens other = get_or_tokenize(src, "tok-B", "bos-first", tok.fn(), tmp.path, warn);
  BOOST_TEST(!other.from_cache);
  BOOST_TEST(other.file != first.file);
  // No temporary files are left behind.
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(tmp.path)) {
    ++files;
    BOOST_TEST(e.path().extension() == ".tokens");
  }
  BOOST_TEST(files == 2u);
}

BOOST_AUTO_TEST_CASE(damaged_cache_is_rewritten_with_a_warning) {
  TempDir tmp;
  const Source src = sample_source();
  CountingTokenizer tok;
  std::vector<std::string> warnings;
  const WarnFn warn = [&](const std::string& m) { warnings.push_back(m); };
  const CachedTokens first = get_or_tokenize(src, "tok-A", "bos-first", tok.fn(), tmp.path, warn);
  const std::string good = read_all(first.file);
  std::ofstream(first.file, std::ios::binary | std::ios::trunc) << good.substr(0, good.size() - 9);

  const CachedTokens again = get_or_tokenize(src, "tok-A", "bos-first", tok.fn(), tmp.path, warn);
  BOOST_TEST(!again.from_cache);
  BOOST_TEST(again.stream.documents == first.stream.documents);
  BOOST_TEST(warnings.size() == 1u);
  BOOST_TEST(warnings.at(0).find("tokenizing again") != std::string::npos);
  BOOST_TEST(read_all(first.file) == good);  // rewritten whole
}

BOOST_AUTO_TEST_CASE(no_cache_dir_and_unwritable_cache) {
  TempDir tmp;
  const Source src = sample_source();
  CountingTokenizer tok;
  const CachedTokens plain = get_or_tokenize(src, "tok-A", "bos", tok.fn(), {});
  BOOST_TEST(plain.file.empty());
  BOOST_TEST(!plain.from_cache);
  BOOST_TEST(plain.stream.documents.size() == 2u);

  // The "cache dir" lies under a regular file: cannot be created. Tokens still come back.
  std::ofstream(tmp.path / "file") << "x";
  std::vector<std::string> warnings;
  const CachedTokens result = get_or_tokenize(src, "tok-A", "bos", tok.fn(), tmp.path / "file" / "cache",
                                              [&](const std::string& m) { warnings.push_back(m); });
  BOOST_TEST(result.stream.documents == plain.stream.documents);
  BOOST_TEST(warnings.size() == 1u);
  BOOST_TEST(warnings.at(0).find("cannot write token cache") != std::string::npos);
}
