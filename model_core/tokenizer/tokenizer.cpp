#include "model_core/tokenizer/tokenizer.hpp"

#include "common/error.hpp"
#include "model_core/tokenizer/hf_tokenizer.hpp"
#include "model_core/tokenizer/sentencepiece_tokenizer.hpp"

namespace rb {

std::vector<int32_t> Tokenizer::encode_with_policy(std::string_view text, BosPolicy policy) const {
  std::vector<int32_t> ids = encode(text, true);
  if (policy == BosPolicy::Auto) return ids;
  const std::optional<int32_t> bos = bos_id();
  if (policy == BosPolicy::Always) {
    if (!bos) throw Error("tokenizer (" + kind() + ") has no BOS token, so a BOS cannot be forced");
    if (ids.empty() || ids.front() != *bos) ids.insert(ids.begin(), *bos);
    return ids;
  }
  if (bos && !ids.empty() && ids.front() == *bos) ids.erase(ids.begin());
  return ids;
}

std::unique_ptr<Tokenizer> load_tokenizer_from_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw InputError(dir.string(), "", "not a directory");
  const auto json = dir / "tokenizer.json";
  const auto sp_model = dir / "tokenizer.model";
  const auto config = dir / "tokenizer_config.json";
  if (std::filesystem::exists(json, ec)) return tok::load_tokenizer_json(json, config);
  if (std::filesystem::exists(sp_model, ec)) return tok::load_sentencepiece(sp_model, config);
  throw InputError(dir.string(), "", "no tokenizer found: neither tokenizer.json nor tokenizer.model exists");
}

}  // namespace rb
