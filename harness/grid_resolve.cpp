#include "harness/grid_resolve.hpp"

#include <algorithm>
#include <cmath>

#include "common/error.hpp"
#include "harness/model_rope.hpp"

namespace rb::grid_detail {

using nlohmann::json;

namespace {

std::string method_of(const json& rope) {
  for (const char* key : {"rope_type", "type"})
    if (rope.contains(key) && rope.at(key).is_string()) return rope.at(key).get<std::string>();
  return "default";
}

bool is_generator(const json& v) { return v.is_object(); }

int64_t rotary_half(const json& rope, const rope::RopeModelInfo& info) {
  double partial = info.partial_rotary_factor;
  if (rope.contains("partial_rotary_factor") && rope.at("partial_rotary_factor").is_number())
    partial = rope.at("partial_rotary_factor").get<double>();
  return static_cast<int64_t>(static_cast<double>(info.head_dim) * partial) / 2;
}

double generator_number(const json& gen, const char* key, const std::string& file, const std::string& field) {
  const json& v = gen.at(key);
  if (!v.is_number()) throw InputError(file, field + "." + key, "must be a number, got " + v.dump());
  const double d = v.get<double>();
  if (!std::isfinite(d) || !(d > 0)) throw InputError(file, field + "." + key, "must be a number > 0, got " + v.dump());
  return d;
}

json generate_factors(const json& rope, const json& gen, const rope::RopeModelInfo& info, const std::string& file,
                      const std::string& field) {
  for (const auto& [key, value] : gen.items())
    if (key != "constant" && key != "ramp_to" && key != "exponent")
      throw InputError(file, field + "." + key,
                       "unknown generator key; allowed: constant, or ramp_to and exponent (docs/GRIDS.md)");
  const int64_t half = rotary_half(rope, info);
  if (half < 1) throw InputError(file, field, "the model's rotary_dim is below 2");
  json out = json::array();
  if (gen.contains("constant")) {
    if (gen.contains("ramp_to") || gen.contains("exponent"))
      throw InputError(file, field, "give either constant, or ramp_to and exponent");
    const double c = generator_number(gen, "constant", file, field);
    for (int64_t i = 0; i < half; ++i) out.push_back(c);
    return out;
  }
  double ramp_to = 0;
  if (gen.contains("ramp_to")) {
    ramp_to = generator_number(gen, "ramp_to", file, field);
  } else if (rope.contains("factor") && rope.at("factor").is_number()) {
    ramp_to = rope.at("factor").get<double>();
  } else {
    throw InputError(file, field + ".ramp_to", "missing, and the method has no factor to default to");
  }
  const double exponent = gen.contains("exponent") ? generator_number(gen, "exponent", file, field) : 1.0;
  for (int64_t i = 0; i < half; ++i) {
    const double r = half == 1 ? 1.0 : static_cast<double>(i) / static_cast<double>(half - 1);
    out.push_back(std::pow(ramp_to, std::pow(r, exponent)));
  }
  return out;
}

}  // namespace

// A rope keyed by layer type ({"full_attention": {...}}, harness/model_rope.hpp) resolves each
// entry; a mix of layer types and parameters is model_rope's error at validation.
static bool keyed(const json& rope) {
  if (!rope.is_object() || rope.empty()) return false;
  const auto& types = cli::rope_layer_types();
  for (const auto& [k, v] : rope.items())
    if (std::find(types.begin(), types.end(), k) == types.end()) return false;
  return true;
}

bool needs_model(const json& rope) {
  if (!rope.is_object()) return false;
  if (keyed(rope)) {
    for (const auto& [k, v] : rope.items())
      if (needs_model(v)) return true;
    return false;
  }
  const std::string method = method_of(rope);
  if (method == "llama3" && !rope.contains("original_max_position_embeddings")) return true;
  if (method == "longrope")
    for (const char* key : {"short_factor", "long_factor"})
      if (rope.contains(key) && is_generator(rope.at(key))) return true;
  return rope.contains("base") && needs_model(rope.at("base"));
}

json resolve_for_model(const json& rope, const rope::RopeModelInfo& info, const std::string& file,
                       const std::string& field_prefix) {
  if (!rope.is_object()) return rope;
  json out = rope;
  if (keyed(rope)) {
    for (const auto& [k, v] : rope.items()) out[k] = resolve_for_model(v, info, file, field_prefix + k + ".");
    return out;
  }
  const std::string method = method_of(rope);
  if (method == "llama3" && !rope.contains("original_max_position_embeddings"))
    out["original_max_position_embeddings"] = info.max_position_embeddings;
  if (method == "longrope")
    for (const char* key : {"short_factor", "long_factor"})
      if (rope.contains(key) && is_generator(rope.at(key)))
        out[key] = generate_factors(rope, rope.at(key), info, file, field_prefix + key);
  if (rope.contains("base")) {
    // The base inherits the outer rope_theta / partial_rotary_factor unless it sets its own.
    rope::RopeModelInfo base_info = info;
    if (rope.contains("partial_rotary_factor") && rope.at("partial_rotary_factor").is_number())
      base_info.partial_rotary_factor = rope.at("partial_rotary_factor").get<double>();
    out["base"] = resolve_for_model(rope.at("base"), base_info, file, field_prefix + "base.");
  }
  return out;
}

}  // namespace rb::grid_detail
