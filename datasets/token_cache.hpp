#pragma once
// On-disk cache of tokenized sources, so a sweep over RoPE methods and lengths tokenizes each
// corpus once per tokenizer. The file format and key are in docs/DATASETS.md, "Token cache".
#include <filesystem>
#include <optional>
#include <string>

#include "datasets/source.hpp"
#include "datasets/token_stream.hpp"

namespace rb::data {

// Everything that decides the token ids: the tokenizer (its identity string, for example the hash
// of tokenizer.json plus the ropebatch tokenizer version), the BOS policy the TokenizeFn applies,
// and the documents (source kind and content hash).
struct TokenCacheKey {
  std::string tokenizer_id;
  std::string bos_policy;
  SourceKind source_kind = SourceKind::text;
  std::string source_sha256;

  // Lower-case hex SHA-256 over the fields above (see docs/DATASETS.md for the exact bytes).
  std::string digest() const;
};

struct CachedTokens {
  TokenStream stream;
  std::string key;              // TokenCacheKey::digest()
  std::filesystem::path file;   // <cache_dir>/<key>.tokens (empty when no cache_dir)
  bool from_cache = false;
};

// Serialized form of a token stream under a key (the .tokens file bytes).
std::string encode_token_file(const std::string& key, const TokenStream& stream);

// Parses a .tokens file; nullopt (with the reason in *problem) for a bad magic, other version,
// other key, truncation, trailing bytes or a payload checksum mismatch. Never returns wrong ids.
std::optional<TokenStream> decode_token_file(std::string_view bytes, const std::string& expected_key,
                                             std::string* problem = nullptr);

// The token stream of `source`: read from `<cache_dir>/<key>.tokens` when that file is valid, else
// tokenized (document i with first_document == (i == 0)) and written there atomically. A damaged
// cache file is a miss with a warning; an unwritable cache a warning. Empty cache_dir: no cache.
CachedTokens get_or_tokenize(const Source& source, const std::string& tokenizer_id, const std::string& bos_policy,
                             const TokenizeFn& tokenize, const std::filesystem::path& cache_dir,
                             const WarnFn& warn = {});

}  // namespace rb::data
