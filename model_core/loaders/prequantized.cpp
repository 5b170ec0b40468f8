#include "model_core/loaders/prequantized.hpp"

#include <memory>

#include "common/error.hpp"
#include "model_core/loaders/quantize_at_load.hpp"

namespace rb {
namespace {

using nlohmann::json;

int64_t int_field(const json& q, const char* key, int64_t fallback, const std::string& src) {
  if (!q.contains(key) || q.at(key).is_null()) return fallback;
  if (!q.at(key).is_number_integer())
    throw InputError(src, std::string("quantization_config.") + key, "expected an integer but found " + q.at(key).dump());
  return q.at(key).get<int64_t>();
}

bool bool_field(const json& q, const char* key, bool fallback, const std::string& src) {
  if (!q.contains(key) || q.at(key).is_null()) return fallback;
  if (!q.at(key).is_boolean())
    throw InputError(src, std::string("quantization_config.") + key, "expected true or false but found " + q.at(key).dump());
  return q.at(key).get<bool>();
}

std::string string_field(const json& q, const char* key, const std::string& fallback, const std::string& src) {
  if (!q.contains(key) || q.at(key).is_null()) return fallback;
  if (!q.at(key).is_string())
    throw InputError(src, std::string("quantization_config.") + key, "expected a string but found " + q.at(key).dump());
  return q.at(key).get<std::string>();
}

quant::FloatTensor take_scales(ModelWeights& w, const std::string& name) {
  const auto it = w.tensors.find(name);
  if (it == w.tensors.end()) throw InputError(w.source, name, "tensor is missing");
  quant::FloatTensor t{it->second.shape, to_f32(it->second)};
  w.tensors.erase(it);
  return t;
}

quant::Int32Tensor take_int32(ModelWeights& w, const std::string& name) {
  const auto it = w.int32_tensors.find(name);
  if (it == w.int32_tensors.end()) throw InputError(w.source, name, "tensor is missing (I32)");
  quant::Int32Tensor t = std::move(it->second);
  w.int32_tensors.erase(it);
  return t;
}

}  // namespace

std::string PrequantizedFormat::label() const {
  std::string s = method;
  if (method == "gptq" && !zeros_minus_one) s += "-v2";
  s += group_size > 0 ? "-g" + std::to_string(group_size) : "-row";
  if (act_order) s += "-act";
  return s;
}

std::optional<PrequantizedFormat> prequantized_format(const ModelConfig& c) {
  const json& q = c.quantization_config;
  if (q.is_null()) return std::nullopt;
  const std::string& src = c.source;
  const std::string method = string_field(q, "quant_method", "", src);
  PrequantizedFormat f;
  f.method = method;
  const int64_t bits = int_field(q, "bits", method == "awq" ? int_field(q, "w_bit", 0, src) : 0, src);
  if (method != "gptq" && method != "awq")
    throw InputError(src, "quantization_config.quant_method",
                     "'" + method + "' is not supported; ropebatch reads gptq and awq checkpoints (or use --quant "
                     "on a full-precision checkpoint)");
  if (bits != 4)
    throw InputError(src, "quantization_config.bits", std::to_string(bits) + "-bit weights are not supported; only 4-bit");
  const int64_t group = int_field(q, "group_size", method == "awq" ? int_field(q, "q_group_size", 128, src) : 128, src);
  if (group == 0 || group < -1)
    throw InputError(src, "quantization_config.group_size", std::to_string(group) + " is not a group size (-1 or > 0)");
  f.group_size = group == -1 ? 0 : group;
  if (method == "gptq") {
    f.act_order = bool_field(q, "desc_act", false, src);
    const std::string format = string_field(q, "checkpoint_format", "gptq", src);
    if (format != "gptq" && format != "gptq_v2")
      throw InputError(src, "quantization_config.checkpoint_format",
                       "'" + format + "' is not supported; gptq (v1) and gptq_v2 are");
    f.zeros_minus_one = format == "gptq";
  } else {
    const std::string version = string_field(q, "version", "gemm", src);
    if (version != "gemm" && version != "GEMM")
      throw InputError(src, "quantization_config.version",
                       "AWQ '" + version + "' packing is not supported; only 'gemm' (AutoAWQ's default)");
    if (!bool_field(q, "zero_point", true, src))
      throw InputError(src, "quantization_config.zero_point", "AWQ without zero points is not supported");
    if (f.group_size == 0) throw InputError(src, "quantization_config.group_size", "AWQ needs a positive group size");
  }
  return f;
}

void assemble_prequantized(ModelWeights& w, const ModelConfig& c, const PrequantizedFormat& f) {
  for (int64_t layer = 0; layer < c.num_layers; ++layer) {
    for (const std::string& weight_name : projection_names(c, layer)) {
      const std::string base = weight_name.substr(0, weight_name.size() - std::string(".weight").size());
      if (!w.int32_tensors.count(base + ".qweight")) continue;  // left unquantized (or missing: validated later)
      if (w.tensors.count(weight_name))
        throw InputError(w.source, weight_name, "present beside " + base + ".qweight; a projection is stored once");
      const std::string where = w.source + ": " + base;
      const quant::Int32Tensor qweight = take_int32(w, base + ".qweight");
      const quant::Int32Tensor qzeros = take_int32(w, base + ".qzeros");
      const quant::FloatTensor scales = take_scales(w, base + ".scales");
      quant::QuantizedMatrix m;
      if (f.method == "gptq") {
        std::optional<quant::Int32Tensor> g_idx;
        if (w.int32_tensors.count(base + ".g_idx")) g_idx = take_int32(w, base + ".g_idx");
        if (f.act_order && !g_idx) throw InputError(w.source, base + ".g_idx", "missing, and desc_act is true");
        // group_size -1: one group spans the whole input row.
        const int64_t in = qweight.shape.size() == 2 ? qweight.shape[0] * 8 : 0;
        const int64_t group = f.group_size > 0 ? f.group_size : in;
        m = quant::unpack_gptq(qweight, qzeros, scales, g_idx ? &*g_idx : nullptr, group,
                               f.zeros_minus_one ? quant::GptqZeros::V1StoredMinusOne : quant::GptqZeros::V2Exact,
                               where);
      } else {
        m = quant::unpack_awq(qweight, qzeros, scales, f.group_size, where);
      }
      HostTensor t;
      t.shape = {m.rows, m.cols};
      t.source_dtype = DType::I32;
      t.packed = std::make_shared<const quant::QuantizedMatrix>(std::move(m));
      w.tensors.emplace(weight_name, std::move(t));
    }
  }
  // Integer tensors that belong to nothing ropebatch reads (e.g. a quantized lm_head, which
  // transformers also keeps unquantized by default) are refused rather than silently dropped.
  if (!w.int32_tensors.empty())
    throw InputError(w.source, w.int32_tensors.begin()->first,
                     "integer tensor outside the attention and MLP projections; not supported");
}

}  // namespace rb
