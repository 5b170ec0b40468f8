#include "harness/model_rope.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "harness/options.hpp"

namespace rb::cli {

using nlohmann::json;

const std::vector<std::string>& rope_layer_types() {
  static const std::vector<std::string> types = {"full_attention", "sliding_attention"};
  return types;
}

bool keyed_by_layer_type(const json& rope, const std::string& source) {
  if (!rope.is_object() || rope.empty()) return false;
  const auto& types = rope_layer_types();
  std::string type_key, other_key;
  for (const auto& [k, v] : rope.items()) {
    const bool is_type = std::find(types.begin(), types.end(), k) != types.end();
    (is_type ? type_key : other_key) = k;
  }
  if (type_key.empty()) return false;
  if (!other_key.empty())
    throw InputError(source, other_key,
                     "is beside the layer type \"" + type_key +
                         "\"; a RoPE keyed by layer type holds only \"full_attention\" and \"sliding_attention\" objects");
  for (const auto& [k, v] : rope.items())
    if (!v.is_object()) throw InputError(source, k, "expected a RoPE object for the layer type but found " + v.dump());
  return true;
}

std::string ModelRope::name() const {
  if (entries_.size() == 1) return entries_.front().method->name();
  std::string s;
  for (const Entry& e : entries_) s += (s.empty() ? "" : ", ") + e.layer_type + ": " + e.method->name();
  return s;
}

json ModelRope::config() const {
  if (entries_.size() == 1) return entries_.front().method->config();
  json c = json::object();
  for (const Entry& e : entries_) c[e.layer_type] = e.method->config();
  return c;
}

rope::RopeSchedules ModelRope::schedules(int64_t seq_len) const {
  std::vector<rope::RopeSchedule> all;
  all.reserve(entries_.size());
  for (const Entry& e : entries_) all.push_back(e.method->schedule(seq_len));
  return rope::RopeSchedules(std::move(all));
}

ModelRope model_rope(const ModelConfig& c, const json& rope_arg, const std::string& source) {
  const bool keyed = keyed_by_layer_type(rope_arg, source);
  std::vector<ModelRope::Entry> entries;
  if (c.rope_by_layer_type.empty()) {
    if (keyed)
      throw InputError(source, rope_arg.begin().key(),
                       c.architecture + " (" + c.source + ") applies one RoPE to every layer; give the method without a layer type");
    ModelRope::Entry e;
    e.info = rope_model_info(c);
    e.method = rope_arg.is_null() ? rope::make_rope_method(c.rope_scaling, e.info, c.source + ": rope_scaling")
                                  : rope::make_rope_method(rope_arg, e.info, source);
    entries.push_back(std::move(e));
    return ModelRope(std::move(entries));
  }
  if (keyed)
    for (const auto& item : rope_arg.items()) {
      const std::string type = item.key();
      if (std::none_of(c.rope_by_layer_type.begin(), c.rope_by_layer_type.end(),
                       [&](const LayerTypeRope& r) { return r.layer_type == type; }))
        throw InputError(source, type, "the model (" + c.source + ") has no layer of this type");
    }
  for (const LayerTypeRope& r : c.rope_by_layer_type) {
    ModelRope::Entry e;
    e.layer_type = r.layer_type;
    e.info = rope_model_info(c);
    e.info.rope_theta = r.rope_theta;
    // Which override applies to this type: its own entry when keyed, the whole override for the
    // full-attention layers when not, else the checkpoint's.
    const json* override = nullptr;
    if (keyed && rope_arg.contains(r.layer_type)) override = &rope_arg.at(r.layer_type);
    if (!keyed && !rope_arg.is_null() && r.layer_type == "full_attention") override = &rope_arg;
    if (!override) {
      e.method = rope::make_rope_method(r.rope_scaling, e.info, c.source + ": rope_parameters." + r.layer_type);
    } else {
      try {
        e.method = rope::make_rope_method(*override, e.info, source);
      } catch (const InputError& err) {  // keyed: the field under its layer type, "rope.full_attention.factor"
        if (!keyed || err.file() != source) throw;
        const std::string& f = err.field();
        const bool under_rope = f.rfind("rope.", 0) == 0;
        throw InputError(source, std::string(under_rope ? "rope." : "") + r.layer_type +
                                     (f.empty() ? "" : "." + (under_rope ? f.substr(5) : f)), err.problem());
      }
    }
    entries.push_back(std::move(e));
  }
  return ModelRope(std::move(entries));
}

}  // namespace rb::cli
