// make_rope_method: Hugging Face style RoPE JSON -> a validated RopeMethod.
//
// Accepted spellings (as transformers 4 and 5 write them):
//   null or {}                       -> default
//   {"rope_type": "yarn", ...}       transformers 5 rope_parameters / transformers 4 rope_scaling
//   {"type": "linear", ...}          the older key (both keys may appear if they agree)
//   {"rope_theta": 1e6, ...}         the base inside the parameters wins over RopeModelInfo::rope_theta
//   {"partial_rotary_factor": 0.5}   likewise over RopeModelInfo::partial_rotary_factor
// Everything is validated before a method is built: the method name, unknown keys (with the
// nearest known key as a suggestion), required parameters, types and ranges.
#include <cmath>

#include "common/error.hpp"
#include "rope_methods/method_common.hpp"

namespace rb::rope {
namespace detail {
namespace {

struct Entry {
  const char* name;
  Factory make;
  std::vector<std::string> keys;  // besides rope_type/type/rope_theta/partial_rotary_factor
};

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = {
      {"default", make_default, {"original_max_position_embeddings"}},
      {"linear", make_linear, {"factor", "original_max_position_embeddings"}},
      {"dynamic", make_dynamic, {"factor", "original_max_position_embeddings"}},
      {"yarn",
       make_yarn,
       {"factor", "original_max_position_embeddings", "attention_factor", "beta_fast", "beta_slow", "mscale",
        "mscale_all_dim", "truncate"}},
      {"longrope",
       make_longrope,
       {"short_factor", "long_factor", "factor", "attention_factor", "original_max_position_embeddings"}},
      {"llama3", make_llama3, {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}},
      {"ntk", make_ntk, {"factor"}},
      {"geometric", make_geometric, {}},
      {"geo_100k", make_geo_100k, {}},
      {"sigmoid", make_sigmoid, {"k", "m", "omf"}},
      {"hybrid", make_hybrid, {"k", "m", "omf", "alpha", "p"}},
      {"random", make_random, {"seed"}},
      {"compress", make_compress, {"compression_factor", "cf", "original_max_position_embeddings", "base"}},
      {"qwen1", make_qwen1, {"seq_length", "use_dynamic_ntk", "use_logn_attn"}},
  };
  return entries;
}

// RoPE variants transformers (or checkpoints) know that ropebatch does not evaluate.
const char* unsupported_reason(const std::string& type) {
  if (type == "mrope" || type == "3d") return "multimodal RoPE (M-RoPE) is not supported";
  if (type == "proportional") return "proportional RoPE (per-layer partial rotation) is not supported";
  if (type == "axial") return "axial (2-D vision) RoPE is not supported";
  if (type == "xdrope") return "XD-RoPE is not supported";
  if (type == "su") return "\"su\" is Phi-3's legacy name: write \"longrope\"";
  return nullptr;
}

std::string field_of(const std::string& prefix) { return prefix.substr(0, prefix.size() - 1); }

std::string names_list() {
  std::string s;
  for (const auto& e : registry()) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}

}  // namespace

std::unique_ptr<RopeMethod> build_method(const nlohmann::json& rope, const RopeModelInfo& model,
                                         const std::string& source, const std::string& prefix) {
  const std::string field = field_of(prefix);
  if (!rope.is_null() && !rope.is_object())
    throw rb::InputError(source, field,
                         "must be an object such as {\"rope_type\": \"yarn\", \"factor\": 4} or null, got " + rope.dump());
  const nlohmann::json object = rope.is_null() ? nlohmann::json::object() : rope;

  // Per-layer-type parameters (transformers 5, e.g. {"full_attention": {...}, "sliding_attention": {...}}).
  for (const char* layer : {"full_attention", "sliding_attention", "chunked_attention", "linear_attention"})
    if (object.contains(layer))
      throw rb::InputError(source, prefix + layer,
                           "per-layer-type RoPE parameters are not supported; allowed: one parameter object for all layers");

  // Method name: "rope_type", or the older "type".
  std::string type = "default";
  for (const char* key : {"type", "rope_type"}) {
    if (!object.contains(key) || object.at(key).is_null()) continue;
    if (!object.at(key).is_string())
      throw rb::InputError(source, prefix + key, "must be a method name, got " + object.at(key).dump() +
                                                     "; allowed: " + names_list());
    type = object.at(key).get<std::string>();
  }
  if (object.contains("type") && object.contains("rope_type") && object.at("type").is_string() &&
      object.at("type") != object.at("rope_type"))
    throw rb::InputError(source, prefix + "type",
                         "\"" + object.at("type").get<std::string>() + "\" disagrees with rope_type \"" +
                             object.at("rope_type").get<std::string>() + "\"; allowed: the same name, or only one of the two keys");

  const Entry* entry = nullptr;
  for (const auto& e : registry())
    if (type == e.name) entry = &e;
  if (!entry) {
    const std::string key = object.contains("rope_type") ? "rope_type" : "type";
    if (const char* why = unsupported_reason(type))
      throw rb::InputError(source, prefix + key, std::string(why) + "; allowed: " + names_list());
    std::string suggestion = nearest(type, method_names());
    throw rb::InputError(source, prefix + key,
                         "unknown method \"" + type + "\"" +
                             (suggestion.empty() ? "" : " (did you mean \"" + suggestion + "\"?)") +
                             "; allowed: " + names_list());
  }

  Params params(object, type, source, prefix);
  params.declare(entry->keys);
  params.check_unknown_keys();

  // The model's rotary settings, overridden by the parameters' own rope_theta / partial_rotary_factor.
  MethodContext ctx;
  ctx.info = model;
  ctx.source = source;
  if (auto theta = params.number("rope_theta", "a number > 1")) {
    require_above(params, "rope_theta", *theta, 1.0);
    ctx.info.rope_theta = *theta;
  } else if (!std::isfinite(model.rope_theta) || !(model.rope_theta > 1.0)) {
    params.fail("rope_theta", "missing: neither the RoPE parameters nor the model give a usable base (model rope_theta = " +
                                  num(model.rope_theta) + "); allowed: a number > 1, in the RoPE parameters or the model config");
  }
  if (auto partial = params.number("partial_rotary_factor", "a number in (0, 1]")) {
    if (!(*partial > 0.0 && *partial <= 1.0))
      params.fail("partial_rotary_factor", num(*partial) + " is outside (0, 1]; allowed: a number in (0, 1]");
    ctx.info.partial_rotary_factor = *partial;
  }
  if (ctx.info.head_dim <= 0)
    throw rb::InputError(source, "head_dim", "must be positive, got " + std::to_string(ctx.info.head_dim));
  if (ctx.info.max_position_embeddings <= 0)
    throw rb::InputError(source, "max_position_embeddings",
                         "must be positive, got " + std::to_string(ctx.info.max_position_embeddings));
  // transformers: dim = int(head_dim * partial_rotary_factor)
  ctx.rotary_dim = static_cast<int64_t>(static_cast<double>(ctx.info.head_dim) * ctx.info.partial_rotary_factor);
  if (ctx.rotary_dim < 2 || ctx.rotary_dim % 2 != 0)
    params.fail("partial_rotary_factor", "gives rotary_dim = int(" + std::to_string(ctx.info.head_dim) + " * " +
                                             num(ctx.info.partial_rotary_factor) + ") = " + std::to_string(ctx.rotary_dim) +
                                             "; allowed: a factor giving an even rotary_dim >= 2");
  return entry->make(params, ctx);
}

}  // namespace detail

std::unique_ptr<RopeMethod> make_rope_method(const nlohmann::json& rope, const RopeModelInfo& info,
                                             const std::string& source) {
  return detail::build_method(rope, info, source, "rope.");
}

std::vector<std::string> method_names() {
  std::vector<std::string> names;
  for (const auto& e : detail::registry()) names.emplace_back(e.name);
  return names;
}

}  // namespace rb::rope
