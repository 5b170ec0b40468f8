#include "model_core/cpu/host_weights.hpp"

#include "common/error.hpp"

namespace rb::cpu {

HostWeights::HostWeights(const ModelDef& def) : layers_(static_cast<size_t>(def.num_layers())) {
  for (int r = 0; r < kTensorRoles; ++r) {
    const auto role = static_cast<TensorRole>(r);
    if (is_global(role)) {
      globals_[static_cast<size_t>(r)] = prepare(def.global(role));
    } else {
      for (int64_t i = 0; i < def.num_layers(); ++i) layers_[static_cast<size_t>(i)][static_cast<size_t>(r)] = prepare(def.layer(i, role));
    }
  }
}

const HostTensor* HostWeights::prepare(const HostTensor* t) {
  if (t == nullptr || !t->is_stored()) return t;
  if (auto it = by_source_.find(t); it != by_source_.end()) return it->second;  // a tied LM head: once
  HostTensor c;
  c.shape = t->shape;
  c.source_dtype = t->source_dtype;
  c.data = to_f32(*t);
  converted_.push_back(std::move(c));
  by_source_[t] = &converted_.back();
  return &converted_.back();
}

const float* HostWeights::values(int64_t layer, TensorRole r) const {
  const HostTensor* t = is_global(r) ? global(r) : at(layer, r);
  if (t == nullptr) throw Error(std::string("CPU backend: no ") + role_name(r) + " tensor");
  return t->data.data();
}

}  // namespace rb::cpu
