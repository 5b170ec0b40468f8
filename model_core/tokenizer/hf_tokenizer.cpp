#include "model_core/tokenizer/hf_tokenizer.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "model_core/tokenizer/json_file.hpp"
#include "common/utf8.hpp"

namespace rb::tok {

HfTokenizer::HfTokenizer(HfParts parts)
    : kind_(std::move(parts.kind)),
      source_(std::move(parts.source)),
      normalizer_(std::move(parts.normalizer)),
      pre_tokenizer_(std::move(parts.pre_tokenizer)),
      model_(std::move(parts.model)),
      added_(std::move(parts.added_tokens), normalizer_.get()),
      post_processor_(std::move(parts.post_processor)),
      bos_id_(parts.bos_id),
      eos_id_(parts.eos_id) {
  if (!model_) throw Error(source_ + ": tokenizer has no model");
  vocab_size_ = model_->max_id() + 1;
  for (const auto& t : added_.tokens()) vocab_size_ = std::max<int64_t>(vocab_size_, int64_t{t.id} + 1);
}

std::vector<int32_t> HfTokenizer::encode(std::string_view text, bool add_special) const {
  require_utf8(text, "text to encode");
  std::vector<Piece> pieces = added_.extract_and_normalize(text, normalizer_.get());
  if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(pieces);
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  for (const auto& piece : pieces) {
    if (piece.token_id >= 0) {
      ids.push_back(piece.token_id);
    } else {
      model_->tokenize(piece.text, ids);
    }
  }
  if (post_processor_) post_processor_->process(ids, add_special);
  return ids;
}

std::optional<int32_t> HfTokenizer::token_to_id(std::string_view token) const {
  if (const AddedToken* t = added_.find(token)) return t->id;
  return model_->token_to_id(token);
}

std::string HfTokenizer::token_text(int32_t id) const {
  if (const AddedToken* t = added_.find(id)) return t->content;
  if (const std::string* s = model_->id_to_token(id)) return *s;
  return "<id " + std::to_string(id) + " not in the vocabulary>";
}

namespace {

BpeModel::Vocab read_vocab(const JsonNode& vocab) {
  if (!vocab.value().is_object()) vocab.fail("expected an object {token: id} (a BPE vocabulary)");
  BpeModel::Vocab out;
  out.reserve(vocab.value().size());
  for (const auto& [token, id] : vocab.value().items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      throw InputError(vocab.file(), vocab.path_of(token), "expected a token id (integer >= 0)");
    }
    out[token] = static_cast<int32_t>(id.get<int64_t>());
  }
  return out;
}

BpeModel::Merges read_merges(const JsonNode& merges) {
  BpeModel::Merges out;
  const size_t n = merges.array_size();
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const auto& m = merges.value()[i];
    if (m.is_string()) {  // "a b" (models/bpe/serialization.rs, legacy form)
      const std::string line = m.get<std::string>();
      const size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
        merges.element(i).fail("expected \"left right\" with exactly one space, found \"" + line + "\"");
      }
      out.emplace_back(line.substr(0, space), line.substr(space + 1));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      out.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      merges.element(i).fail("expected \"left right\" or [\"left\", \"right\"]");
    }
  }
  return out;
}

std::unique_ptr<BpeModel> make_model(const JsonNode& model) {
  model.require_object();
  std::string type = model.string_or("type", "");
  if (type.empty()) {
    // Old files leave the model untagged; only BPE has merges.
    if (!model.has("merges")) model.fail_at("type", "missing, and the model has no merges (only BPE is supported)");
    type = "BPE";
  }
  if (type != "BPE") {
    model.fail_at("type", "unsupported model type \"" + type + "\" (supported: BPE)");
  }
  if (model.has("dropout")) {
    const auto& d = model.value()["dropout"];
    if (!d.is_number() || d.get<double>() != 0.0) model.fail_at("dropout", "BPE dropout is not supported");
  }
  BpeOptions options;
  if (model.has("unk_token")) options.unk_token = model.string("unk_token");
  options.fuse_unk = model.boolean_or("fuse_unk", false);
  options.byte_fallback = model.boolean_or("byte_fallback", false);
  options.ignore_merges = model.boolean_or("ignore_merges", false);
  options.continuing_subword_prefix = model.string_or("continuing_subword_prefix", "");
  options.end_of_word_suffix = model.string_or("end_of_word_suffix", "");
  const JsonNode merges_node = model.child("merges");
  return std::make_unique<BpeModel>(read_vocab(model.child("vocab")), read_merges(merges_node), std::move(options),
                                    model.file(), merges_node.path());
}

std::vector<AddedToken> read_added_tokens(const JsonNode& root) {
  std::vector<AddedToken> out;
  const auto list = root.optional_child("added_tokens");
  if (!list) return out;
  for (size_t i = 0; i < list->array_size(); ++i) {
    const JsonNode t = list->element(i);
    t.require_object();
    AddedToken token;
    const int64_t id = t.integer("id");
    if (id < 0 || id > INT32_MAX) t.fail_at("id", "token id out of range");
    token.id = static_cast<int32_t>(id);
    token.content = t.string("content");
    token.single_word = t.boolean_or("single_word", false);
    token.lstrip = t.boolean_or("lstrip", false);
    token.rstrip = t.boolean_or("rstrip", false);
    token.special = t.boolean_or("special", false);
    token.normalized = t.boolean_or("normalized", !token.special);
    out.push_back(std::move(token));
  }
  return out;
}

// tokenizer_config.json's "bos_token": a string, {"content": ...} (AddedToken form) or null.
// Returns nullopt when the key is absent, "" when it is null.
std::optional<std::string> config_token(const nlohmann::json& config, const std::string& key,
                                        const std::string& file) {
  if (!config.is_object() || !config.contains(key)) return std::nullopt;
  const auto& v = config[key];
  if (v.is_null()) return std::string();
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  throw InputError(file, key, "expected a token string, {\"content\": ...} or null");
}

}  // namespace

std::unique_ptr<HfTokenizer> load_tokenizer_json(const std::filesystem::path& json_file,
                                                 const std::filesystem::path& config) {
  const std::string file = json_file.string();
  const nlohmann::json doc = read_json_file(json_file);
  const JsonNode root(doc, file, "");
  root.require_object();

  HfParts parts;
  parts.kind = "hf-bpe";
  parts.source = file;
  parts.model = make_model(root.child("model"));
  if (auto n = root.optional_child("normalizer")) parts.normalizer = make_normalizer(*n);
  if (auto p = root.optional_child("pre_tokenizer")) parts.pre_tokenizer = make_pre_tokenizer(*p);
  if (auto p = root.optional_child("post_processor")) parts.post_processor = make_post_processor(*p);
  if (auto d = root.optional_child("decoder")) d->require_object();  // decoding is not needed
  parts.added_tokens = read_added_tokens(root);

  // BOS / EOS for messages and BosPolicy: the config names them; otherwise the template does.
  nlohmann::json cfg;
  const std::string cfg_file = config.string();
  if (!config.empty() && std::filesystem::exists(config)) cfg = read_json_file(config);
  auto resolve = [&](const std::string& key, std::optional<int32_t> from_template) -> std::optional<int32_t> {
    const auto name = config_token(cfg, key, cfg_file);
    if (!name) return from_template;
    if (name->empty()) return std::nullopt;
    for (const auto& t : parts.added_tokens) {
      if (t.content == *name) return t.id;
    }
    if (auto id = parts.model->token_to_id(*name)) return id;
    throw InputError(cfg_file, key, "token \"" + *name + "\" is not in " + file);
  };
  std::optional<int32_t> leading, trailing;
  if (parts.post_processor) {
    leading = parts.post_processor->leading_token();
    trailing = parts.post_processor->trailing_token();
  }
  parts.bos_id = resolve("bos_token", leading);
  parts.eos_id = resolve("eos_token", trailing);
  return std::make_unique<HfTokenizer>(std::move(parts));
}

}  // namespace rb::tok
