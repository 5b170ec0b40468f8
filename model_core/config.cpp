// Hugging Face config.json -> ModelConfig, for the decoders ropebatch runs (Llama, Mistral, Qwen2,
// Qwen3, Phi-3, Gemma-3). Field names and defaults follow transformers' configuration classes of
// each (LlamaConfig, MistralConfig, Qwen2Config, Qwen3Config, Phi3Config, Gemma3TextConfig); the
// RoPE fields follow transformers' modeling_rope_utils (RotaryEmbeddingConfigMixin), which reads
// both transformers 4's `rope_theta` + `rope_scaling` and transformers 5's `rope_parameters`.
#include "model_core/config.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "common/json_input.hpp"

namespace rb {
namespace {

using nlohmann::json;

struct Architecture {
  const char* name;
  const char* model_type;
};
constexpr std::array<Architecture, 7> kArchitectures{{
    {"LlamaForCausalLM", "llama"},
    {"MistralForCausalLM", "mistral"},
    {"Qwen2ForCausalLM", "qwen2"},
    {"Qwen3ForCausalLM", "qwen3"},
    {"Phi3ForCausalLM", "phi3"},
    {"Gemma3ForCausalLM", "gemma3_text"},
    // Its text part (text_config, the language_model.* tensors); the vision tower is not read.
    {"Gemma3ForConditionalGeneration", "gemma3"},
}};

// Gemma3TextConfig's defaults (configuration_gemma3.py): released multimodal checkpoints give
// only what differs from them in text_config (gemma-3-4b: hidden_size, intermediate_size,
// num_hidden_layers, rope_scaling, sliding_window).
const nlohmann::json& gemma3_text_defaults() {
  static const nlohmann::json d = {
      {"vocab_size", 262208},       {"hidden_size", 2304},          {"intermediate_size", 9216},
      {"num_hidden_layers", 26},    {"num_attention_heads", 8},     {"num_key_value_heads", 4},
      {"head_dim", 256},            {"hidden_activation", "gelu_pytorch_tanh"},
      {"max_position_embeddings", 131072},                         {"rms_norm_eps", 1e-6},
      {"tie_word_embeddings", true}, {"attention_bias", false},     {"query_pre_attn_scalar", 256},
      {"sliding_window", 4096},     {"bos_token_id", 2},            {"eos_token_id", 1}};
  return d;
}

std::string supported_list() {
  std::string s;
  for (const auto& a : kArchitectures) s += (s.empty() ? "" : ", ") + std::string(a.name) + " (" + a.model_type + ")";
  return s;
}

// A bound on num_hidden_layers for configs that list per-layer settings (no released model has
// more than a few hundred layers; a huge count is an error, not an allocation).

std::string type_name(const json& v) { return v.is_number_float() ? "a float" : std::string("a ") + v.type_name(); }

// Typed access to one JSON object; every problem names `source` and the field's path.
class Fields {
 public:
  Fields(const json& obj, std::string source, std::string prefix = "")
      : obj_(obj), source_(std::move(source)), prefix_(std::move(prefix)) {}

  // A key that is absent or null counts as absent (configs write `"head_dim": null`).
  bool has(const char* key) const { return obj_.contains(key) && !obj_.at(key).is_null(); }
  const json& raw(const char* key) const { return obj_.at(key); }
  std::string path(const char* key) const { return prefix_ + key; }

  int64_t required_int(const char* key) const {
    if (!has(key)) throw InputError(source_, path(key), "required field is missing");
    return to_int(key);
  }
  int64_t int_or(const char* key, int64_t fallback) const { return has(key) ? to_int(key) : fallback; }
  std::optional<int64_t> optional_int(const char* key) const {
    return has(key) ? std::optional<int64_t>(to_int(key)) : std::nullopt;
  }
  double number_or(const char* key, double fallback) const {
    if (!has(key)) return fallback;
    const json& v = raw(key);
    if (!v.is_number()) throw InputError(source_, path(key), "expected a number but found " + type_name(v));
    return v.get<double>();
  }
  bool bool_or(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    const json& v = raw(key);
    if (!v.is_boolean()) throw InputError(source_, path(key), "expected true or false but found " + type_name(v));
    return v.get<bool>();
  }
  std::optional<std::string> optional_string(const char* key) const {
    if (!has(key)) return std::nullopt;
    const json& v = raw(key);
    if (!v.is_string()) throw InputError(source_, path(key), "expected a string but found " + type_name(v));
    return v.get<std::string>();
  }

 private:
  int64_t to_int(const char* key) const {
    const json& v = raw(key);
    if (v.is_number_integer()) {
      if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
        throw InputError(source_, path(key), "integer " + v.dump() + " is out of range");
      return v.get<int64_t>();
    }
    throw InputError(source_, path(key), "expected an integer but found " + type_name(v) + " (" + v.dump() + ")");
  }

  const json& obj_;
  std::string source_;
  std::string prefix_;
};

// architectures[0] names the class; model_type is the fallback when `architectures` is absent.
void read_architecture(const Fields& f, const json& j, const std::string& source, ModelConfig& c) {
  if (f.has("architectures")) {
    const json& a = j.at("architectures");
    if (!a.is_array() || a.empty() || !a.front().is_string())
      throw InputError(source, "architectures", "expected a non-empty list of strings but found " + a.dump());
    const std::string name = a.front().get<std::string>();
    for (const auto& arch : kArchitectures) {
      if (name == arch.name) {
        c.architecture = arch.name;
        c.model_type = arch.model_type;
        return;
      }
    }
    throw InputError(source, "architectures", "unsupported architecture '" + name + "'; supported: " + supported_list());
  }
  const auto model_type = f.optional_string("model_type");
  if (!model_type)
    throw InputError(source, "architectures", "neither 'architectures' nor 'model_type' is present; supported: " +
                                                  supported_list());
  for (const auto& arch : kArchitectures) {
    if (*model_type == arch.model_type) {
      c.architecture = arch.name;
      c.model_type = arch.model_type;
      return;
    }
  }
  throw InputError(source, "model_type", "unsupported model type '" + *model_type + "'; supported: " + supported_list());
}

// One RoPE object in Hugging Face's spelling -> (rope_theta, partial_rotary_factor, the scaling
// method or null). Values inside it win over `theta` / `partial` (the top-level fields), as in
// RotaryEmbeddingConfigMixin.convert_rope_params_to_dict; `key` names it in messages.
struct RopeFields {
  double theta = 10000.0, partial = 1.0;
  json scaling;
};
RopeFields parse_rope_object(json params, const std::string& key, const Fields& top, const std::string& source,
                             const ModelConfig& c, double theta, double partial) {
  if (params.is_null()) params = json::object();
  if (!params.is_object()) throw InputError(source, key, "expected an object or null but found " + params.dump());
  const Fields p(params, source, key + ".");
  RopeFields out;
  out.theta = p.has("rope_theta") ? p.number_or("rope_theta", 0) : theta;
  out.partial = p.has("partial_rotary_factor") ? p.number_or("partial_rotary_factor", 0) : partial;
  params.erase("rope_theta");
  params.erase("partial_rotary_factor");

  // transformers 4 wrote "type"; "rope_type" wins when both are there.
  std::string rope_type = "default";
  if (auto t = p.optional_string("type")) rope_type = *t;
  if (auto t = p.optional_string("rope_type")) rope_type = *t;
  params.erase("type");
  // Phi3Config.convert_rope_params_to_dict: the older "su" and "yarn" names mean longrope there.
  if (c.model_type == "phi3" && (rope_type == "su" || rope_type == "yarn")) rope_type = "longrope";

  params.erase("rope_type");
  if (rope_type == "default" && params.empty()) return out;
  params["rope_type"] = rope_type;
  // standardize_rope_params: these methods need the pre-training length; absent, transformers
  // takes a top-level original_max_position_embeddings, else max_position_embeddings.
  if ((rope_type == "llama3" || rope_type == "yarn" || rope_type == "longrope") &&
      !params.contains("original_max_position_embeddings")) {
    params["original_max_position_embeddings"] = top.int_or("original_max_position_embeddings", c.max_position_embeddings);
  }
  out.scaling = std::move(params);
  return out;
}

// Both spellings end in one object: `rope_parameters` (transformers 5) wins over `rope_scaling`
// (transformers 4); rope_theta and partial_rotary_factor move into their own fields, what stays is
// the scaling method.
void read_rope(const Fields& f, const json& j, const std::string& source, ModelConfig& c) {
  const char* key = f.has("rope_parameters") ? "rope_parameters" : "rope_scaling";
  const RopeFields r = parse_rope_object(f.has(key) ? j.at(key) : json(), key, f, source, c,
                                         f.number_or("rope_theta", 10000.0), f.number_or("partial_rotary_factor", 1.0));
  c.rope_theta = r.theta;
  c.partial_rotary_factor = r.partial;
  c.rope_scaling = r.scaling;
}

// Gemma-3's two RoPEs (Gemma3TextConfig.convert_rope_params_to_dict): transformers 5's
// rope_parameters keyed by layer type, or transformers 4's rope_scaling (the full-attention
// layers') with rope_theta (default 1e6) and rope_local_base_freq (the sliding layers', default
// 1e4). A rope_parameters object that is not keyed by layer type counts as the full layers'.
void read_gemma3_rope(const Fields& f, const json& j, const std::string& source, ModelConfig& c) {
  const double global_theta = f.number_or("rope_theta", 1e6), local_theta = f.number_or("rope_local_base_freq", 1e4);
  json full, sliding;
  std::string full_key = "rope_scaling", sliding_key = "rope_parameters.sliding_attention";
  if (f.has("rope_parameters")) {
    const json& rp = j.at("rope_parameters");
    if (!rp.is_object()) throw InputError(source, "rope_parameters", "expected an object but found " + rp.dump());
    const bool keyed = rp.contains("full_attention") || rp.contains("sliding_attention");
    if (keyed) {
      for (const auto& [k, v] : rp.items())
        if (k != "full_attention" && k != "sliding_attention")
          throw InputError(source, "rope_parameters." + k,
                           "is not a layer type; rope_parameters keyed by layer type takes \"full_attention\" and \"sliding_attention\"");
      full = rp.value("full_attention", json());
      sliding = rp.value("sliding_attention", json());
      full_key = "rope_parameters.full_attention";
    } else {
      full = rp;
      full_key = "rope_parameters";
    }
  } else if (f.has("rope_scaling")) {
    full = j.at("rope_scaling");
  }
  const double partial = f.number_or("partial_rotary_factor", 1.0);
  const RopeFields g = parse_rope_object(full, full_key, f, source, c, global_theta, partial);
  const RopeFields l = parse_rope_object(sliding, sliding_key, f, source, c, local_theta, partial);
  if (g.partial != 1.0 || l.partial != 1.0)
    throw InputError(source, "partial_rotary_factor", "Gemma-3 rotates the whole head; a partial_rotary_factor is not read by Gemma3RotaryEmbedding");
  c.rope_theta = g.theta;
  c.rope_scaling = g.scaling;
  c.rope_by_layer_type = {{"full_attention", g.theta, g.scaling}, {"sliding_attention", l.theta, l.scaling}};
}

// Which layers attend through a sliding window, as transformers decides:
//  - MistralModel masks every layer to config.sliding_window whenever it is not None
//    (MistralConfig's default 4096 when the key is absent; null: full attention);
//  - Qwen2/Qwen3: sliding_window counts only with use_sliding_window; layer_types, else layers
//    i >= max_window_layers (default 28), are "sliding_attention" (Qwen2Config.__post_init__);
//  - Phi3Model, as Mistral, masks every layer when sliding_window is set (default None);
//  - Gemma-3: layer_types, else every sliding_window_pattern-th layer (default 6) full and the
//    others sliding (Gemma3TextConfig.__post_init__), sliding_window default 4096;
//  - Llama has no sliding-window attention: any layer type but "full_attention" is refused.
void read_attention_layers(const Fields& f, const json& j, const std::string& source, ModelConfig& c) {
  std::optional<int64_t> window;
  const bool qwen = c.model_type == "qwen2" || c.model_type == "qwen3";
  const bool gemma = c.model_type == "gemma3_text";
  if (c.model_type == "mistral" || gemma) {
    window = j.contains("sliding_window") ? f.optional_int("sliding_window") : std::optional<int64_t>(4096);
  } else if (c.model_type == "phi3") {
    window = f.optional_int("sliding_window");  // Phi3Model slides every layer when set (default None)
  } else if (qwen && f.bool_or("use_sliding_window", false)) {
    window = j.contains("sliding_window") ? f.optional_int("sliding_window") : std::optional<int64_t>(4096);
  }
  if (window && *window < 1)
    throw InputError(source, "sliding_window", "must be a positive number of tokens but is " + std::to_string(*window));
  if (f.has("layer_types")) {
    const json& types = j.at("layer_types");
    if (!types.is_array()) throw InputError(source, "layer_types", "expected a list but found " + types.dump());
    if (static_cast<int64_t>(types.size()) != c.num_layers)
      throw InputError(source, "layer_types", "has " + std::to_string(types.size()) + " entries for num_hidden_layers " +
                                                  std::to_string(c.num_layers));
    std::vector<bool> sliding(types.size(), false);
    for (size_t i = 0; i < types.size(); ++i) {
      const std::string field = "layer_types[" + std::to_string(i) + "]";
      if (types[i] == "full_attention") continue;
      if (types[i] != "sliding_attention")
        throw InputError(source, field, types[i].dump() + " is not a layer type; known: \"full_attention\", \"sliding_attention\"");
      if (c.model_type == "llama")
        throw InputError(source, field, "\"sliding_attention\": LlamaForCausalLM has no sliding-window attention");
      if (!window)
        throw InputError(source, field, std::string("\"sliding_attention\" needs a window, but sliding_window is ") +
                                            (qwen && !f.bool_or("use_sliding_window", false) ? "off (use_sliding_window is false)" : "null"));
      sliding[i] = true;
    }
    if (c.model_type != "mistral" && c.model_type != "phi3")
      c.sliding_layers = std::move(sliding);  // MistralModel and Phi3Model slide every layer
  } else if (window && qwen) {
    c.sliding_from_layer = f.int_or("max_window_layers", 28);
  } else if (gemma) {
    const int64_t pattern = f.int_or("sliding_window_pattern", 6);
    if (pattern < 1) throw InputError(source, "sliding_window_pattern", "must be at least 1 but is " + std::to_string(pattern));
    if (c.num_layers < 1 || c.num_layers > kMaxLayers)
      throw InputError(source, "num_hidden_layers", "must be between 1 and " + std::to_string(kMaxLayers) + " but is " +
                                                        std::to_string(c.num_layers));
    c.sliding_layers.resize(static_cast<size_t>(c.num_layers));
    for (int64_t i = 0; i < c.num_layers; ++i) c.sliding_layers[static_cast<size_t>(i)] = (i + 1) % pattern != 0;
    if (!window && std::find(c.sliding_layers.begin(), c.sliding_layers.end(), true) != c.sliding_layers.end())
      throw InputError(source, "sliding_window", "is null, but sliding_window_pattern " + std::to_string(pattern) +
                                                     " makes layers sliding; give a window");
  }
  if (window) c.sliding_window = *window;
}


// The decoder's fields, once the architecture is known.
ModelConfig parse_decoder(const json& j, const std::string& source, ModelConfig c) {
  const Fields f(j, source);
  const bool gemma = c.model_type == "gemma3_text";

  c.hidden_size = f.required_int("hidden_size");
  c.num_heads = f.required_int("num_attention_heads");
  c.num_layers = f.required_int("num_hidden_layers");
  c.intermediate_size = f.required_int("intermediate_size");
  c.vocab_size = f.required_int("vocab_size");
  c.num_kv_heads = f.int_or("num_key_value_heads", c.num_heads);
  if (f.has("head_dim")) {
    c.head_dim = f.required_int("head_dim");
  } else if (c.model_type == "qwen3") {
    c.head_dim = 128;  // Qwen3Config's default (not hidden_size / heads)
  } else {
    if (c.num_heads > 0 && c.hidden_size % c.num_heads != 0)
      throw InputError(source, "num_attention_heads",
                       std::to_string(c.num_heads) + " does not divide hidden_size " + std::to_string(c.hidden_size) +
                           " and head_dim is not given");
    c.head_dim = c.num_heads > 0 ? c.hidden_size / c.num_heads : 0;
  }
  c.rms_norm_eps = f.number_or("rms_norm_eps", c.model_type == "phi3" ? 1e-5 : 1e-6);  // Phi3Config: 1e-5
  if (j.contains("quantization_config") && !j.at("quantization_config").is_null()) {
    if (!j.at("quantization_config").is_object())
      throw InputError(source, "quantization_config", "expected an object");
    c.quantization_config = j.at("quantization_config");
  }
  c.max_position_embeddings = f.int_or("max_position_embeddings", 2048);

  // The MLP's activation; another would give silently wrong numbers.
  if (gemma) {
    if (auto act = f.optional_string("hidden_activation"); act && *act != "gelu_pytorch_tanh")
      throw InputError(source, "hidden_activation", "'" + *act + "' is not supported; Gemma-3 uses 'gelu_pytorch_tanh'");
    c.hidden_act = Activation::GeluTanh;
  } else if (auto act = f.optional_string("hidden_act"); act && *act != "silu") {
    throw InputError(source, "hidden_act", "'" + *act + "' is not supported; only 'silu' is");
  }

  if (c.model_type == "qwen2") {
    // Qwen2Attention always has a bias on q/k/v (and none on o_proj or the MLP).
    c.attention_bias = true;
    c.mlp_bias = false;
    c.tie_word_embeddings = f.bool_or("tie_word_embeddings", false);
  } else if (c.model_type == "qwen3") {
    // Qwen3Attention: q/k/v/o biases with attention_bias, q_norm and k_norm always; no MLP bias.
    c.attention_bias = f.bool_or("attention_bias", false);
    c.mlp_bias = false;
    c.qk_norm = true;
    c.tie_word_embeddings = f.bool_or("tie_word_embeddings", false);
  } else if (c.model_type == "phi3") {
    // Phi3Attention / Phi3MLP: fused qkv_proj and gate_up_proj, no biases (tensor_table.cpp).
    c.attention_bias = false;
    c.mlp_bias = false;
    c.tie_word_embeddings = f.bool_or("tie_word_embeddings", false);
  } else if (gemma) {
    // Gemma3Attention / Gemma3DecoderLayer / Gemma3TextModel (modeling_gemma3.py).
    c.attention_bias = f.bool_or("attention_bias", false);
    c.mlp_bias = false;
    c.qk_norm = true;
    c.tie_word_embeddings = f.bool_or("tie_word_embeddings", true);
    c.embedding_scale = std::sqrt(static_cast<double>(c.hidden_size));
    c.norm_weight_offset = 1.0f;
    c.sandwich_norms = true;
    c.query_pre_attn_scalar = f.number_or("query_pre_attn_scalar", 256);
    if (!(c.query_pre_attn_scalar > 0))
      throw InputError(source, "query_pre_attn_scalar", "must be positive but is " + std::to_string(c.query_pre_attn_scalar));
    // What Gemma-3 checkpoints leave off and ropebatch does not compute: refused, never ignored.
    for (const char* cap : {"attn_logit_softcapping", "final_logit_softcapping"})
      if (f.has(cap)) throw InputError(source, cap, "logit soft-capping (Gemma-2) is not supported; Gemma-3 sets it to null");
    if (f.bool_or("use_bidirectional_attention", false))
      throw InputError(source, "use_bidirectional_attention", "bidirectional attention is not a causal language model's; not supported");
  } else {
    c.attention_bias = f.bool_or("attention_bias", false);
    c.mlp_bias = f.bool_or("mlp_bias", false);
    c.tie_word_embeddings = f.bool_or("tie_word_embeddings", false);
  }
  read_attention_layers(f, j, source, c);

  c.bos_token_id = f.optional_int("bos_token_id");
  if (f.has("eos_token_id") && j.at("eos_token_id").is_array()) {
    const json& list = j.at("eos_token_id");
    if (!list.empty()) {  // several end tokens: the first one is the model's own
      const json first = {{"eos_token_id[0]", list.front()}};
      c.eos_token_id = Fields(first, source).optional_int("eos_token_id[0]");
    }
  } else {
    c.eos_token_id = f.optional_int("eos_token_id");
  }

  if (gemma)
    read_gemma3_rope(f, j, source, c);
  else
    read_rope(f, j, source, c);
  validate_config(c);
  return c;
}

// Gemma3TextConfig: its defaults under what the file gives.
json with_gemma3_defaults(const json& text) {
  json merged = gemma3_text_defaults();
  for (const auto& [k, v] : text.items()) merged[k] = v;
  return merged;
}

}  // namespace

ModelConfig parse_hf_config(const json& j, const std::string& source) {
  if (!j.is_object()) throw InputError(source, "", "expected a JSON object at the top level but found " + j.dump());
  const Fields f(j, source);
  ModelConfig c;
  c.source = source;
  read_architecture(f, j, source, c);
  if (c.model_type == "gemma3_text") return parse_decoder(with_gemma3_defaults(j), source, c);
  if (c.model_type != "gemma3") return parse_decoder(j, source, c);
  // Gemma3ForConditionalGeneration: the text model is text_config; errors name its fields.
  if (!f.has("text_config") || !j.at("text_config").is_object())
    throw InputError(source, "text_config", "a Gemma3ForConditionalGeneration config needs its text model's config here");
  json text = with_gemma3_defaults(j.at("text_config"));
  if (j.contains("quantization_config") && !text.contains("quantization_config")) text["quantization_config"] = j.at("quantization_config");
  c.model_type = "gemma3_text";
  try {
    return parse_decoder(text, source, c);
  } catch (const InputError& e) {
    if (e.file() != source) throw;
    throw InputError(source, e.field().empty() ? "text_config" : "text_config." + e.field(), e.problem());
  }
}



ModelConfig load_hf_config(const std::filesystem::path& config_json) {
  const std::string source = config_json.string();
  std::error_code ec;
  if (!std::filesystem::exists(config_json, ec)) throw InputError(source, "", "file not found");
  if (std::filesystem::is_directory(config_json, ec)) throw InputError(source, "", "is a directory, not a config.json");
  std::ifstream in(config_json, std::ios::binary);
  if (!in) throw InputError(source, "", "cannot open for reading");
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(source, "", "read error");
  return parse_hf_config(parse_json_input(text.str(), source), source);
}

double ModelConfig::attention_scale() const {
  return 1.0 / std::sqrt(query_pre_attn_scalar > 0 ? query_pre_attn_scalar : static_cast<double>(head_dim));
}

int64_t ModelConfig::rope_index(int64_t layer) const {
  if (rope_schedule_per_layer) return layer;
  if (rope_by_layer_type.empty()) return 0;
  const std::string type = layer_type(layer);
  for (size_t i = 0; i < rope_by_layer_type.size(); ++i)
    if (rope_by_layer_type[i].layer_type == type) return static_cast<int64_t>(i);
  throw Error(source + ": layer " + std::to_string(layer) + " is " + type + ", which has no RoPE of its own");
}

void validate_config(const ModelConfig& c) {
  const std::string& s = c.source;
  const auto positive = [&](const char* field, int64_t v) {
    if (v <= 0) throw InputError(s, field, "must be positive but is " + std::to_string(v));
  };
  positive("hidden_size", c.hidden_size);
  positive("num_attention_heads", c.num_heads);
  positive("num_hidden_layers", c.num_layers);
  positive("intermediate_size", c.intermediate_size);
  positive("vocab_size", c.vocab_size);
  positive("num_key_value_heads", c.num_kv_heads);
  positive("head_dim", c.head_dim);
  positive("max_position_embeddings", c.max_position_embeddings);
  if (c.num_heads % c.num_kv_heads != 0)
    throw InputError(s, "num_key_value_heads",
                     std::to_string(c.num_kv_heads) + " does not divide num_attention_heads " +
                         std::to_string(c.num_heads));
  if (!(c.rms_norm_eps > 0)) throw InputError(s, "rms_norm_eps", "must be positive");
  if (!(c.rope_theta > 0)) throw InputError(s, "rope_theta", "must be positive");
  for (const LayerTypeRope& r : c.rope_by_layer_type)
    if (!(r.rope_theta > 0)) throw InputError(s, "rope_parameters." + r.layer_type + ".rope_theta", "must be positive");
  if (!(c.partial_rotary_factor > 0 && c.partial_rotary_factor <= 1))
    throw InputError(s, "partial_rotary_factor", "must be in (0, 1] but is " + std::to_string(c.partial_rotary_factor));
  const int64_t rot = c.rotary_dim();
  if (rot <= 0 || rot % 2 != 0)
    throw InputError(s, "partial_rotary_factor",
                     "rotary dimension head_dim * partial_rotary_factor = " + std::to_string(rot) +
                         " must be a positive even number");
  if (!c.rope_scaling.is_null() && !c.rope_scaling.is_object())
    throw InputError(s, "rope_scaling", "expected an object or null");
}

}  // namespace rb
