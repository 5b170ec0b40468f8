#pragma once
// Model weights under Hugging Face's canonical names ("model.layers.3.self_attn.q_proj.weight"),
// each held as fp32 values, as the checkpoint's stored bytes (a view into the mapped file) or
// 4-bit (tensor.hpp). Loaders (safetensors, GGUF) fill this; backends read it through a ModelDef
// (model_def/model_def.hpp), which resolves the family's tensor table against it.
#include <map>
#include <string>
#include <vector>

#include "model_core/config.hpp"
#include "model_core/tensor.hpp"
#include "quant/checkpoint_formats.hpp"

namespace rb {

struct LayerWeights {
  const HostTensor* input_norm;      // [hidden]
  const HostTensor* q_proj;          // [heads*head_dim, hidden]
  const HostTensor* k_proj;          // [kv_heads*head_dim, hidden]
  const HostTensor* v_proj;          // [kv_heads*head_dim, hidden]
  const HostTensor* o_proj;          // [hidden, heads*head_dim]
  const HostTensor* q_bias;          // nullptr unless attention_bias
  const HostTensor* k_bias;
  const HostTensor* v_bias;
  const HostTensor* post_norm;       // [hidden]
  const HostTensor* gate_proj;       // [intermediate, hidden]
  const HostTensor* up_proj;         // [intermediate, hidden]
  const HostTensor* down_proj;       // [hidden, intermediate]
};

class ModelWeights {
 public:
  std::map<std::string, HostTensor> tensors;
  // Integer tensors of a pre-quantized checkpoint (GPTQ/AWQ qweight, qzeros, g_idx) until
  // loaders/prequantized.hpp turns them, with their `.scales`, into 4-bit `tensors`.
  std::map<std::string, quant::Int32Tensor> int32_tensors;
  // Tensors the checkpoint holds that the loader did not read (outside model.* and lm_head.weight):
  // validation refuses them unless the family lists them as ignorable.
  std::vector<std::string> unread;
  std::string source;  // file or directory, for messages

  const HostTensor& get(const std::string& name) const;           // throws InputError if absent
  const HostTensor* find(const std::string& name) const;          // nullptr if absent
  const HostTensor& embed_tokens() const { return get("model.embed_tokens.weight"); }
  const HostTensor& final_norm() const { return get("model.norm.weight"); }
  // lm_head.weight, or the embedding when the config ties them.
  const HostTensor& lm_head(const ModelConfig& c) const;
  LayerWeights layer(const ModelConfig& c, int64_t i) const;

  // validate_model_tensors (model_def/model_def.hpp): every tensor the config implies is present
  // with the shape the config implies, and every tensor present is used; throws InputError naming
  // the tensor, the expected and the found shape.
  void validate_against(const ModelConfig& c) const;
};

}  // namespace rb
