// Token cache files (docs/DATASETS.md, "Token cache"):
//   "RBTOK1" | version u32 | key (64 hex chars) | document count u64 | length u64 per document |
//   token ids int32 | SHA-256 (32 bytes) of everything before it.
// Integers are little-endian. Readers check every field and the checksum, so a damaged or foreign
// file is a cache miss, never wrong ids.
#include "datasets/token_cache.hpp"

#include <cstring>
#include <iostream>

#include "common/error.hpp"
#include "datasets/file_io.hpp"
#include "datasets/sha256.hpp"

namespace rb::data {
namespace {

constexpr std::string_view kMagic = "RBTOK1";
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kKeyChars = 64;
constexpr std::size_t kChecksumBytes = 32;

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint64_t get_le(std::string_view bytes, std::size_t pos, int width) {
  std::uint64_t v = 0;
  for (int i = 0; i < width; ++i) v |= std::uint64_t(static_cast<std::uint8_t>(bytes[pos + i])) << (8 * i);
  return v;
}

void length_prefixed(Sha256& h, std::string_view field) {
  std::string length;
  put_u64(length, field.size());
  h.update(length);
  h.update(field);
}

void emit(const WarnFn& warn, const std::string& message) {
  if (warn) {
    warn(message);
  } else {
    std::cerr << "ropebatch: warning: " << message << "\n";
  }
}

}  // namespace

std::string TokenCacheKey::digest() const {
  Sha256 h;
  h.update("rb-token-cache-key-v1\n");
  length_prefixed(h, tokenizer_id);
  length_prefixed(h, bos_policy);
  length_prefixed(h, kind_name(source_kind));
  length_prefixed(h, source_sha256);
  return h.hex_digest();
}

std::string encode_token_file(const std::string& key, const TokenStream& stream) {
  if (key.size() != kKeyChars) throw std::invalid_argument("token cache key must be 64 hex characters");
  std::string out;
  out.reserve(kMagic.size() + 4 + kKeyChars + 8 * (1 + stream.documents.size()) + 4 * stream.total_tokens() +
              kChecksumBytes);
  out += kMagic;
  put_u32(out, kVersion);
  out += key;
  put_u64(out, stream.documents.size());
  for (const auto& doc : stream.documents) put_u64(out, doc.size());
  for (const auto& doc : stream.documents) {
    for (const std::int32_t id : doc) put_u32(out, static_cast<std::uint32_t>(id));
  }
  Sha256 h;
  h.update(out);
  const auto checksum = h.digest();
  out.append(reinterpret_cast<const char*>(checksum.data()), checksum.size());
  return out;
}

std::optional<TokenStream> decode_token_file(std::string_view bytes, const std::string& expected_key,
                                             std::string* problem) {
  const auto fail = [&](const std::string& why) -> std::optional<TokenStream> {
    if (problem) *problem = why;
    return std::nullopt;
  };
  const std::size_t header = kMagic.size() + 4 + kKeyChars + 8;
  if (bytes.size() < header + kChecksumBytes) return fail("truncated header");
  if (bytes.substr(0, kMagic.size()) != kMagic) return fail("bad magic (not an RBTOK1 file)");
  const std::uint64_t version = get_le(bytes, kMagic.size(), 4);
  if (version != kVersion) return fail("unsupported version " + std::to_string(version));
  if (bytes.substr(kMagic.size() + 4, kKeyChars) != expected_key) return fail("written for another key");
  const std::uint64_t count = get_le(bytes, kMagic.size() + 4 + kKeyChars, 8);
  const std::size_t after_header = bytes.size() - header - kChecksumBytes;
  if (count > after_header / 8) return fail("truncated document lengths");
  std::size_t pos = header;
  std::uint64_t total = 0;
  std::vector<std::uint64_t> lengths(count);
  for (std::uint64_t i = 0; i < count; ++i, pos += 8) {
    lengths[i] = get_le(bytes, pos, 8);
    if (lengths[i] > after_header / 4 || total + lengths[i] > after_header / 4) return fail("truncated token ids");
    total += lengths[i];
  }
  const std::size_t payload_end = bytes.size() - kChecksumBytes;
  if (payload_end - pos != 4 * total) {
    return fail(payload_end - pos < 4 * total ? "truncated token ids" : "unexpected trailing bytes");
  }
  Sha256 h;
  h.update(bytes.substr(0, payload_end));
  const auto checksum = h.digest();
  if (std::memcmp(checksum.data(), bytes.data() + payload_end, kChecksumBytes) != 0) {
    return fail("checksum mismatch (damaged file)");
  }
  TokenStream stream;
  stream.documents.resize(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    auto& doc = stream.documents[i];
    doc.resize(lengths[i]);
    for (auto& id : doc) {
      id = static_cast<std::int32_t>(static_cast<std::uint32_t>(get_le(bytes, pos, 4)));
      pos += 4;
    }
  }
  return stream;
}

CachedTokens get_or_tokenize(const Source& source, const std::string& tokenizer_id, const std::string& bos_policy,
                             const TokenizeFn& tokenize, const std::filesystem::path& cache_dir,
                             const WarnFn& warn) {
  CachedTokens result;
  result.key = TokenCacheKey{tokenizer_id, bos_policy, source.kind, source.content_sha256}.digest();
  if (!cache_dir.empty()) {
    result.file = cache_dir / (result.key + ".tokens");
    std::error_code ec;
    if (std::filesystem::exists(result.file, ec)) {
      std::string problem;
      std::optional<TokenStream> cached;
      try {
        cached = decode_token_file(read_file_bytes(result.file), result.key, &problem);
      } catch (const InputError& e) {
        problem = e.what();
      }
      if (cached && cached->documents.size() == source.documents.size()) {
        result.stream = std::move(*cached);
        result.from_cache = true;
        return result;
      }
      if (cached) problem = "holds " + std::to_string(cached->documents.size()) + " documents, the source has " +
                            std::to_string(source.documents.size());
      emit(warn, "token cache " + result.file.string() + ": " + problem + "; tokenizing again");
    }
  }
  if (!tokenize) throw std::invalid_argument("get_or_tokenize: no tokenizer function");
  result.stream.documents.reserve(source.documents.size());
  for (std::size_t i = 0; i < source.documents.size(); ++i) {
    result.stream.documents.push_back(tokenize(source.documents[i], i == 0));
  }
  if (!cache_dir.empty()) {
    const std::string problem = write_file_atomically(result.file, encode_token_file(result.key, result.stream));
    if (!problem.empty()) emit(warn, "cannot write token cache: " + problem);
  }
  return result;
}

}  // namespace rb::data
