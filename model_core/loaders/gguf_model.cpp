// GGUF metadata -> ModelConfig and GGUF tensors -> Hugging Face names: the keys every
// architecture shares (llama.cpp's gguf-py/gguf/constants.py: Keys.LLM, Keys.Attention,
// Keys.Rope) here, each architecture's own in gguf_arch.cpp; the Q/K un-permutation inverts
// convert_hf_to_gguf.py's LlamaModel.permute (as transformers' modeling_gguf_pytorch_utils does).
#include "model_core/loaders/gguf_model.hpp"

#include <cstring>
#include <optional>
#include <regex>
#include <string>

#include "common/error.hpp"
#include "model_core/loaders/gguf_arch.hpp"
#include "model_core/loaders/gguf_dequant.hpp"
#include "quant/checkpoint_formats.hpp"

namespace rb {
namespace {

// GGUF row index of each Hugging Face row, inverting convert_hf_to_gguf.py LlamaModel.permute:
//   w.reshape(n_head, 2, rows // n_head // 2, *rest).swapaxes(1, 2).reshape(w.shape)
// Within each head of hd = rows / n_head rows, HF row j * hd/2 + i became GGUF row 2 * i + j.
std::vector<int64_t> gguf_row_of_hf_row(int64_t rows, int64_t n_head, const std::string& file, const std::string& name) {
  if (n_head <= 0 || rows % (2 * n_head) != 0)
    throw InputError(file, name, std::to_string(rows) + " rows cannot be split into " + std::to_string(n_head) +
                                     " heads of an even size");
  const int64_t half = rows / n_head / 2;
  std::vector<int64_t> source(static_cast<size_t>(rows));
  for (int64_t h = 0; h < n_head; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t j = 0; j < 2; ++j) source[h * 2 * half + j * half + i] = h * 2 * half + 2 * i + j;
  return source;
}

void unpermute_rows(HostTensor& t, int64_t n_head, const std::string& file, const std::string& name) {
  const std::vector<int64_t> source = gguf_row_of_hf_row(t.rows(), n_head, file, name);
  if (t.is_packed()) {
    t.packed = std::make_shared<const quant::QuantizedMatrix>(t.packed->permuted_rows(source));
    return;
  }
  const int64_t cols = t.cols();
  std::vector<float> out(t.data.size());
  for (size_t hf_row = 0; hf_row < source.size(); ++hf_row)
    std::memcpy(&out[hf_row * cols], &t.data[source[hf_row] * cols], sizeof(float) * cols);
  t.data = std::move(out);
}

bool is_projection(const std::string& hf) {
  static const std::regex projection(
      R"(model\.layers\.\d+\.(self_attn\.(q|k|v|o|qkv)_proj|mlp\.(gate|up|down|gate_up)_proj)\.weight)");
  return std::regex_match(hf, projection);
}

// Q4_0, Q4_1 and Q4_K projections stay 4-bit (quant/checkpoint_formats.hpp); nullopt for other types.
std::optional<quant::Scheme> packable(uint32_t ggml_type) {
  switch (ggml_type) {
    case gguf::GGML_TYPE_Q4_0: return quant::Scheme::GGUF_Q4_0;
    case gguf::GGML_TYPE_Q4_1: return quant::Scheme::GGUF_Q4_1;
    case gguf::GGML_TYPE_Q4_K: return quant::Scheme::GGUF_Q4_K;
    default: return std::nullopt;
  }
}

HostTensor read_packed(const GgufFile& f, const GgufTensorInfo& info, quant::Scheme scheme) {
  HostTensor t;
  t.source_dtype = *gguf::ggml_dtype(info.ggml_type);
  t.shape.assign(info.ne.rbegin(), info.ne.rend());
  if (t.shape.size() != 2)
    throw InputError(f.path().string(), "tensor '" + info.name + "'", "expected a 2-D projection weight");
  t.packed = std::make_shared<const quant::QuantizedMatrix>(quant::pack_gguf_q4(
      scheme, f.raw_tensor(info), info.nbytes, t.shape[0], t.shape[1], f.path().string() + ": " + info.name));
  return t;
}

}  // namespace

ModelConfig gguf_model_config(const GgufFile& f) {
  const GgufArch& arch = gguf_arch(f);
  const std::string a = arch.gguf_name;
  const std::string file = f.path().string();
  ModelConfig c;
  c.source = file;
  c.architecture = arch.hf_class;
  c.model_type = arch.model_type;
  c.num_layers = f.get_int(a + ".block_count");
  c.hidden_size = f.get_int(a + ".embedding_length");
  c.intermediate_size = f.get_int(a + ".feed_forward_length");
  c.num_heads = f.get_int(a + ".attention.head_count");
  c.num_kv_heads = f.has(a + ".attention.head_count_kv") ? f.get_int(a + ".attention.head_count_kv") : c.num_heads;
  c.rms_norm_eps = f.get_float(a + ".attention.layer_norm_rms_epsilon");
  c.rope_theta = f.has(a + ".rope.freq_base") ? f.get_float(a + ".rope.freq_base") : 10000.0;
  c.max_position_embeddings = f.get_int(a + ".context_length");
  if (c.num_heads <= 0) throw InputError(file, a + ".attention.head_count", "must be positive");
  c.head_dim = f.has(a + ".attention.key_length") ? f.get_int(a + ".attention.key_length")
                                                  : c.hidden_size / c.num_heads;
  if (auto v = gguf_optional_int(f, a + ".attention.value_length"); v && *v != c.head_dim)
    throw InputError(file, a + ".attention.value_length",
                     std::to_string(*v) + " differs from the key length " + std::to_string(c.head_dim) +
                         " (not supported)");
  if (auto rot = gguf_optional_int(f, a + ".rope.dimension_count"); rot && c.head_dim > 0)
    c.partial_rotary_factor = static_cast<double>(*rot) / static_cast<double>(c.head_dim);

  if (auto v = gguf_optional_int(f, a + ".vocab_size")) {
    c.vocab_size = *v;
  } else if (f.has("tokenizer.ggml.tokens") && f.metadata().at("tokenizer.ggml.tokens").is_array()) {
    c.vocab_size = static_cast<int64_t>(f.metadata().at("tokenizer.ggml.tokens").size());
  } else if (const GgufTensorInfo* emb = f.find_tensor("token_embd.weight"); emb && emb->ne.size() == 2) {
    c.vocab_size = emb->ne[1];
  } else {
    throw InputError(file, a + ".vocab_size", "missing, and neither tokenizer.ggml.tokens nor token_embd.weight "
                                              "gives the vocabulary size");
  }
  c.bos_token_id = gguf_optional_int(f, "tokenizer.ggml.bos_token_id");
  c.eos_token_id = gguf_optional_int(f, "tokenizer.ggml.eos_token_id");
  c.tie_word_embeddings = f.find_tensor("output.weight") == nullptr;
  c.attention_bias = f.find_tensor("blk.0.attn_q.bias") != nullptr;
  c.rope_scaling = gguf_rope_scaling(f, a, c.max_position_embeddings);
  arch.configure(f, a, c);
  validate_config(c);
  return c;
}

ModelWeights load_gguf_weights(const GgufFile& f, const ModelConfig& c, bool keep_q4_packed) {
  const std::string file = f.path().string();
  const GgufArch& arch = gguf_arch(f);
  const bool permuted = arch.permuted_qk;
  ModelWeights w;
  w.source = file;
  for (const GgufTensorInfo& info : f.tensors()) {
    const std::string name = gguf_hf_tensor_name(arch, info.name);
    if (name.empty()) continue;  // tensors ropebatch does not use (rope_freqs, ...)
    const auto scheme = packable(info.ggml_type);
    HostTensor t = keep_q4_packed && scheme && is_projection(name) ? read_packed(f, info, *scheme) : f.read_tensor(info.name);
    if (permuted) {
      if (info.name.find(".attn_q.") != std::string::npos) unpermute_rows(t, c.num_heads, file, info.name);
      if (info.name.find(".attn_k.") != std::string::npos) unpermute_rows(t, c.num_kv_heads, file, info.name);
    }
    w.tensors.emplace(name, std::move(t));
  }
  return w;
}

}  // namespace rb
