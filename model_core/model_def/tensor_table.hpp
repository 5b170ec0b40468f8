#pragma once
// The model definition: per architecture family, a table of the tensors a checkpoint holds, in the
// spirit of llama.cpp's `create_tensor(tn(LLM_TENSOR_ATTN_Q, "weight", i), {...}, TENSOR_NOT_REQUIRED)`
// tables (src/llama-model.cpp). Each entry gives the tensor's role in the decoder, its Hugging Face
// name, its shape from the hyper-parameters, whether the config requires it, may have it or must
// not have it, whether it may be held 4-bit, and the axis along which tensor parallelism splits it
// (Megatron-LM's column- and row-parallel linear layers, core/tensor_parallel/layers.py).
//
// Adding a family is one FamilyDef in tensor_table.cpp (and its architectures in config.cpp);
// every loader, validator and backend reads this table.
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model_core/config.hpp"

namespace rb {

// What a tensor does in the decoder loop (model_core/decoder.hpp), whatever a family calls it.
enum class TensorRole : int {
  TokenEmbedding, FinalNorm, LmHead,                 // global
  AttnNorm, Q, K, V, O, QBias, KBias, VBias, OBias,  // per layer: attention block
  MlpNorm, Gate, Up, Down, GateBias, UpBias, DownBias,  // per layer: MLP block
  QNorm, KNorm,                                         // per layer: per-head q/k RMSNorm (Qwen3, Gemma-3)
  PostAttnNorm, PostMlpNorm,                            // per layer: norms of each block's output (Gemma-3)
  Count
};
inline constexpr int kTensorRoles = static_cast<int>(TensorRole::Count);
const char* role_name(TensorRole r);
inline bool is_global(TensorRole r) { return r <= TensorRole::LmHead; }

// Required: must be present. Optional: read when present. Absent: must not be present (the config
// says the model has no such tensor; one in the checkpoint is an error, not silently dropped).
// Ignored: may be present and is not read (a tied model's lm_head.weight, which transformers ignores).
enum class Presence { Required, Optional, Absent, Ignored };

// How tensor parallelism splits a tensor (Megatron's terms):
//   Replicated    every rank holds all of it (norms, embeddings, row-parallel biases)
//   ColumnSplit   output features (rows of a [out, in] weight, and its bias) split: q/k/v, gate/up
//   RowSplit      input features (columns of a [out, in] weight) split: o_proj, down_proj
//   VocabSplit    vocabulary rows split: the LM head (parallel log-softmax)
enum class Split { Replicated, ColumnSplit, RowSplit, VocabSplit };

// The unit a split keeps whole along its axis: a head (q: head_dim rows; k/v: head_dim rows of a
// KV head), or one feature.
enum class SplitUnit { Feature, QueryHead, KvHead };

struct TensorSpec {
  TensorRole role;
  const char* name;  // Hugging Face name; "{L}" stands for the layer index
  std::vector<int64_t> (*shape)(const ModelConfig&);
  Presence (*presence)(const ModelConfig&);
  Split split = Split::Replicated;
  SplitUnit unit = SplitUnit::Feature;
  bool may_be_4bit = false;  // the seven projections (embeddings, norms, biases, LM head stay full precision)
  const char* governed_by = nullptr;  // the config.json field that decides presence, for messages
};

// A checkpoint tensor holding several of the table's tensors stacked by rows (Phi-3's
// qkv_proj = [q; k; v] and gate_up_proj = [gate; up]): split into row views of the file on load
// (split_fused_tensors), so the loop, the backends and tensor parallelism see the parts.
struct FusedTensor {
  const char* name;               // "model.layers.{L}.self_attn.qkv_proj.weight"
  std::vector<TensorRole> parts;  // in row order; each part's rows are its spec's shape[0]
};

struct FamilyDef {
  const char* name;                      // "llama"
  std::vector<std::string> model_types;  // config.json model_type values it covers
  std::vector<TensorSpec> tensors;
  // Tensors a checkpoint may hold that the decoder does not read (a stored RoPE buffer): name
  // suffixes, matched after the layer prefix.
  std::vector<std::string> ignorable_suffixes;
  std::vector<FusedTensor> fused = {};
  // Other checkpoint layouts of the same model: a name starting with `from` is read as `to` + the
  // rest (Gemma3ForConditionalGeneration's "language_model.model." -> "model."); the loader applies
  // them (canonical_tensor_name) before it looks a tensor up.
  std::vector<std::pair<std::string, std::string>> renamed_prefixes = {};
  // Parts of such a checkpoint the decoder does not read (its vision tower), by name prefix.
  std::vector<std::string> ignorable_prefixes = {};
};

// The family of config.model_type; throws rb::InputError(config.source, "model_type", ...).
const FamilyDef& family_for(const ModelConfig& c);
// Every family, for messages and docs.
const std::vector<FamilyDef>& all_families();

// `name` under the family's canonical names (FamilyDef::renamed_prefixes); unchanged when no rule applies.
std::string canonical_tensor_name(const FamilyDef& f, const std::string& name);

// The spec of `role` in the family (nullptr when the family has no such tensor).
const TensorSpec* find_spec(const FamilyDef& f, TensorRole role);
// "model.layers.3.self_attn.q_proj.weight" for a per-layer spec and layer 3; the name for a global one.
std::string tensor_name(const TensorSpec& s, int64_t layer);

}  // namespace rb
