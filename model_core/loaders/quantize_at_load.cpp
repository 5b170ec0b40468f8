#include "model_core/loaders/quantize_at_load.hpp"

#include <memory>
#include <string>

#include "common/error.hpp"
#include "model_core/model_def/tensor_table.hpp"
#include "quant/quantizers.hpp"

namespace rb {

std::vector<std::string> projection_names(const ModelConfig& c, int64_t layer) {
  std::vector<std::string> names;
  for (const TensorSpec& s : family_for(c).tensors)
    if (s.may_be_4bit) names.push_back(tensor_name(s, layer));
  return names;
}

void quantize_projections(ModelWeights& w, const ModelConfig& c, const quant::QuantOptions& q,
                          const std::function<bool(const std::string&)>& only) {
  if (!q.enabled()) return;
  const quant::Scheme scheme = q.scheme();
  for (int64_t layer = 0; layer < c.num_layers; ++layer) {
    for (const std::string& name : projection_names(c, layer)) {
      if (only && !only(name)) continue;
      const auto it = w.tensors.find(name);
      if (it == w.tensors.end()) throw InputError(w.source, name, "tensor is missing");
      HostTensor& t = it->second;
      if (t.is_packed())
        throw InputError(w.source, name, "is already 4-bit (" + std::string(quant::scheme_name(t.packed->scheme)) +
                                             "); --quant " + q.name + " applies to full-precision weights");
      if (t.shape.size() != 2) throw InputError(w.source, name, "expected a 2-D weight");
      const std::string where = w.source + ": " + name;
      const std::vector<float> values = to_f32(t);  // one tensor at a time
      quant::QuantizedMatrix m =
          (scheme == quant::Scheme::NF4 || scheme == quant::Scheme::NF4_DQ)
              ? quant::quantize_nf4(values.data(), t.shape[0], t.shape[1], scheme == quant::Scheme::NF4_DQ, where)
              : quant::quantize_int4(values.data(), t.shape[0], t.shape[1], q.effective_group_size(),
                                     scheme == quant::Scheme::INT4, where);
      t.packed = std::make_shared<const quant::QuantizedMatrix>(std::move(m));
      std::vector<float>().swap(t.data);
      t.stored.reset();
    }
  }
}

}  // namespace rb
