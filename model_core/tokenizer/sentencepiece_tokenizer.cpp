#include "model_core/tokenizer/sentencepiece_tokenizer.hpp"

#include <sentencepiece_processor.h>

#include <fstream>
#include <iterator>

#include "common/error.hpp"
#include "model_core/tokenizer/json_file.hpp"
#include "common/utf8.hpp"
#include "model_core/tokenizer/sentencepiece_proto.hpp"

namespace rb::tok {

SentencePieceTokenizer::SentencePieceTokenizer(const std::filesystem::path& model_file, bool add_bos, bool add_eos)
    : sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()),
      file_(model_file.string()),
      add_bos_(add_bos),
      add_eos_(add_eos) {
  if (!std::filesystem::is_regular_file(model_file)) throw InputError(file_, "", "no such file");
  std::ifstream in(model_file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw InputError(file_, "", "cannot read it");
  if (const auto bad = unloadable_piece(bytes)) throw InputError(file_, bad->field, bad->problem);
  const auto status = sp_->LoadFromSerializedProto(bytes);
  if (!status.ok()) throw InputError(file_, "", std::string("sentencepiece cannot load it: ") + status.ToString());
  by_words_ = words_are_independent();
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

namespace {

constexpr size_t kMaxCachedWordBytes = 256;
constexpr size_t kCacheCapacity = 1 << 18;
constexpr std::string_view kMetaSpace = "\xE2\x96\x81";  // U+2581, sentencepiece's escaped space

bool printable_ascii(char c) { return c > 0x20 && c < 0x7F; }

}  // namespace

std::vector<int> SentencePieceTokenizer::encode_whole(std::string_view text) const {
  std::vector<int> pieces;
  const auto status = sp_->Encode(std::string(text), &pieces);
  if (!status.ok()) throw Error(file_ + ": sentencepiece cannot encode the text: " + status.ToString());
  return pieces;
}

// Splitting "A B" into "A" and "B" (one space between two printable ASCII characters) gives
// the same ids when
//  - no piece has U+2581 right after another character: then no merge (BPE) or piece (unigram)
//    can span the boundary in front of B's U+2581, and the rest of the encoding is local;
//  - the space becomes B's dummy-prefix U+2581, as it would have in the whole text. This is
//    checked on sample pairs (add_dummy_prefix on, whitespace not a suffix).
// Otherwise (e.g. treat_whitespace_as_suffix, user-defined pieces with spaces) the whole text
// goes to sentencepiece in one call.
bool SentencePieceTokenizer::words_are_independent() const {
  const int n = sp_->GetPieceSize();
  for (int id = 0; id < n; ++id) {
    const std::string& piece = sp_->IdToPiece(id);
    for (size_t at = piece.find(kMetaSpace); at != std::string::npos; at = piece.find(kMetaSpace, at + 1)) {
      const bool after_meta = at >= kMetaSpace.size() && piece.compare(at - kMetaSpace.size(), kMetaSpace.size(),
                                                                     kMetaSpace) == 0;
      if (at != 0 && !after_meta) return false;
    }
  }
  static const std::pair<const char*, const char*> kSamples[] = {
      {"Hello", "world"}, {"a", "b"}, {"x.", "Y"}, {"1", "2"}, {"it's", "ok!"}, {"in\nthe", "end"}};
  for (const auto& [a, b] : kSamples) {
    std::vector<int> joined = encode_whole(std::string(a) + " " + b);
    std::vector<int> left = encode_whole(a);
    const std::vector<int> right = encode_whole(b);
    left.insert(left.end(), right.begin(), right.end());
    if (joined != left) return false;
  }
  return true;
}

void SentencePieceTokenizer::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  const bool cacheable = word.size() <= kMaxCachedWordBytes;
  std::string key;
  if (cacheable) {
    key.assign(word);
    std::shared_lock lock(cache_mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const std::vector<int> pieces = encode_whole(word);
  out.insert(out.end(), pieces.begin(), pieces.end());
  if (cacheable) {
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() >= kCacheCapacity) cache_.clear();
    cache_.emplace(std::move(key), std::vector<int32_t>(pieces.begin(), pieces.end()));
  }
}

std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view text, bool add_special) const {
  require_utf8(text, "text to encode");
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 2);
  if (add_special && add_bos_ && sp_->bos_id() >= 0) ids.push_back(sp_->bos_id());
  if (by_words_) {
    size_t word_begin = 0;
    for (size_t k = 1; k + 1 < text.size(); ++k) {
      if (text[k] == ' ' && printable_ascii(text[k - 1]) && printable_ascii(text[k + 1])) {
        encode_word(text.substr(word_begin, k - word_begin), ids);
        word_begin = k + 1;
      }
    }
    if (word_begin < text.size() || text.empty()) encode_word(text.substr(word_begin), ids);
  } else {
    const std::vector<int> pieces = encode_whole(text);
    ids.insert(ids.end(), pieces.begin(), pieces.end());
  }
  if (add_special && add_eos_ && sp_->eos_id() >= 0) ids.push_back(sp_->eos_id());
  return ids;
}

int64_t SentencePieceTokenizer::vocab_size() const { return sp_->GetPieceSize(); }

std::optional<int32_t> SentencePieceTokenizer::bos_id() const {
  return sp_->bos_id() >= 0 ? std::optional<int32_t>(sp_->bos_id()) : std::nullopt;
}

std::optional<int32_t> SentencePieceTokenizer::eos_id() const {
  return sp_->eos_id() >= 0 ? std::optional<int32_t>(sp_->eos_id()) : std::nullopt;
}

std::string SentencePieceTokenizer::token_text(int32_t id) const {
  if (id < 0 || id >= sp_->GetPieceSize()) return "<id " + std::to_string(id) + " not in the vocabulary>";
  return sp_->IdToPiece(id);
}

std::unique_ptr<Tokenizer> load_sentencepiece(const std::filesystem::path& model_file,
                                              const std::filesystem::path& config) {
  bool add_bos = true, add_eos = false;
  if (!config.empty() && std::filesystem::exists(config)) {
    const nlohmann::json cfg = read_json_file(config);
    auto flag = [&](const char* key, bool& value) {
      if (!cfg.is_object() || !cfg.contains(key) || cfg[key].is_null()) return;
      if (!cfg[key].is_boolean()) throw InputError(config.string(), key, "expected true or false");
      value = cfg[key].get<bool>();
    };
    flag("add_bos_token", add_bos);
    flag("add_eos_token", add_eos);
  }
  return std::make_unique<SentencePieceTokenizer>(model_file, add_bos, add_eos);
}

}  // namespace rb::tok
