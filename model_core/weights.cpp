// Lookup of weights under Hugging Face's canonical names; the names and shapes come from the
// family's tensor table (model_def/tensor_table.hpp), which is also what validate_against checks.
#include "model_core/weights.hpp"

#include <stdexcept>

#include "common/error.hpp"
#include "model_core/model_def/model_def.hpp"

namespace rb {

const HostTensor* ModelWeights::find(const std::string& name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

const HostTensor& ModelWeights::get(const std::string& name) const {
  if (const HostTensor* t = find(name)) return *t;
  throw InputError(source, name, "tensor not found");
}

const HostTensor& ModelWeights::lm_head(const ModelConfig& c) const {
  // tie_word_embeddings: transformers shares the embedding matrix and ignores any lm_head.weight.
  return c.tie_word_embeddings ? embed_tokens() : get("lm_head.weight");
}

LayerWeights ModelWeights::layer(const ModelConfig& c, int64_t i) const {
  if (i < 0 || i >= c.num_layers)
    throw std::out_of_range("layer " + std::to_string(i) + " of a model with " + std::to_string(c.num_layers));
  const FamilyDef& f = family_for(c);
  auto at = [&](TensorRole role, bool required) -> const HostTensor* {
    const TensorSpec* s = find_spec(f, role);
    if (!s || s->presence(c) == Presence::Absent) return nullptr;
    const std::string name = tensor_name(*s, i);
    return required ? &get(name) : find(name);
  };
  LayerWeights w{};
  w.input_norm = at(TensorRole::AttnNorm, true);
  w.q_proj = at(TensorRole::Q, true);
  w.k_proj = at(TensorRole::K, true);
  w.v_proj = at(TensorRole::V, true);
  w.o_proj = at(TensorRole::O, true);
  w.q_bias = at(TensorRole::QBias, true);
  w.k_bias = at(TensorRole::KBias, true);
  w.v_bias = at(TensorRole::VBias, true);
  w.post_norm = at(TensorRole::MlpNorm, true);
  w.gate_proj = at(TensorRole::Gate, true);
  w.up_proj = at(TensorRole::Up, true);
  w.down_proj = at(TensorRole::Down, true);
  return w;
}

void ModelWeights::validate_against(const ModelConfig& c) const { validate_model_tensors(c, *this); }

}  // namespace rb
