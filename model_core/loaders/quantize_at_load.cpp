#include "model_core/loaders/quantize_at_load.hpp"

#include <memory>
#include <string>

#include "common/error.hpp"
#include "quant/quantizers.hpp"

namespace rb {

std::vector<std::string> projection_names(int64_t layer) {
  const std::string p = "model.layers." + std::to_string(layer) + ".";
  return {p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight",
          p + "self_attn.o_proj.weight", p + "mlp.gate_proj.weight",    p + "mlp.up_proj.weight",
          p + "mlp.down_proj.weight"};
}

void quantize_projections(ModelWeights& w, const ModelConfig& c, const quant::QuantOptions& q) {
  if (!q.enabled()) return;
  const quant::Scheme scheme = q.scheme();
  for (int64_t layer = 0; layer < c.num_layers; ++layer) {
    for (const std::string& name : projection_names(layer)) {
      const auto it = w.tensors.find(name);
      if (it == w.tensors.end()) throw InputError(w.source, name, "tensor is missing");
      HostTensor& t = it->second;
      if (t.is_packed())
        throw InputError(w.source, name, "is already 4-bit (" + std::string(quant::scheme_name(t.packed->scheme)) +
                                             "); --quant " + q.name + " applies to full-precision weights");
      if (t.shape.size() != 2) throw InputError(w.source, name, "expected a 2-D weight");
      const std::string where = w.source + ": " + name;
      quant::QuantizedMatrix m =
          (scheme == quant::Scheme::NF4 || scheme == quant::Scheme::NF4_DQ)
              ? quant::quantize_nf4(t.data.data(), t.shape[0], t.shape[1], scheme == quant::Scheme::NF4_DQ, where)
              : quant::quantize_int4(t.data.data(), t.shape[0], t.shape[1], q.effective_group_size(),
                                     scheme == quant::Scheme::INT4, where);
      t.packed = std::make_shared<const quant::QuantizedMatrix>(std::move(m));
      std::vector<float>().swap(t.data);
    }
  }
}

}  // namespace rb
