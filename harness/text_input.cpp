#include "harness/text_input.hpp"

#include <cstdlib>

#include "datasets/source.hpp"

namespace rb {

namespace {
std::filesystem::path default_cache_dir() {
  if (const char* dir = std::getenv("ROPEBATCH_CACHE")) return dir;
  if (const char* home = std::getenv("HOME")) return std::filesystem::path(home) / ".cache" / "ropebatch";
  return {};
}
}  // namespace

TokenizedText tokenize_source(const std::string& spec, const Tokenizer& tokenizer, BosPolicy policy) {
  data::SourceOptions options;
  options.cache_dir = default_cache_dir();
  const data::Source source = data::load_source(spec, options);
  TokenizedText stream{source.id, source.content_sha256, {}};
  for (const auto& doc : source.documents) {
    const auto ids = tokenizer.encode_with_policy(doc, policy);
    stream.tokens.insert(stream.tokens.end(), ids.begin(), ids.end());
  }
  return stream;
}

}  // namespace rb
