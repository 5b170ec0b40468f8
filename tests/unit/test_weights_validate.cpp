// ModelWeights: lookups under canonical names, tied lm_head, per-layer views, and validate_against
// naming the tensor with the expected and found shape.
#define BOOST_TEST_MODULE weights_validate
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/error.hpp"
#include "model_core/model_def/model_def.hpp"
#include "model_core/weights.hpp"

using nlohmann::json;

namespace {

rb::ModelConfig config(const std::string& arch, bool tie) {
  const json j = {{"architectures", {arch}},     {"hidden_size", 8},       {"num_attention_heads", 4},
                  {"num_key_value_heads", 2},    {"num_hidden_layers", 2}, {"intermediate_size", 12},
                  {"vocab_size", 10},            {"tie_word_embeddings", tie}};
  return rb::parse_hf_config(j, "cfg/config.json");
}

void put(rb::ModelWeights& w, const std::string& name, std::vector<int64_t> shape) {
  rb::HostTensor t;
  t.shape = std::move(shape);
  t.data.assign(static_cast<size_t>(t.numel()), 0.5f);
  w.tensors[name] = std::move(t);
}

// Exactly the tensors a transformers model of this config holds (head_dim 2, kv dim 4).
rb::ModelWeights weights_for(const rb::ModelConfig& c) {
  rb::ModelWeights w;
  w.source = "ckpt/model.safetensors";
  put(w, "model.embed_tokens.weight", {10, 8});
  put(w, "model.norm.weight", {8});
  if (!c.tie_word_embeddings) put(w, "lm_head.weight", {10, 8});
  for (int i = 0; i < 2; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    put(w, p + "input_layernorm.weight", {8});
    put(w, p + "self_attn.q_proj.weight", {8, 8});
    put(w, p + "self_attn.k_proj.weight", {4, 8});
    put(w, p + "self_attn.v_proj.weight", {4, 8});
    put(w, p + "self_attn.o_proj.weight", {8, 8});
    if (c.attention_bias) {
      put(w, p + "self_attn.q_proj.bias", {8});
      put(w, p + "self_attn.k_proj.bias", {4});
      put(w, p + "self_attn.v_proj.bias", {4});
    }
    put(w, p + "post_attention_layernorm.weight", {8});
    put(w, p + "mlp.gate_proj.weight", {12, 8});
    put(w, p + "mlp.up_proj.weight", {12, 8});
    put(w, p + "mlp.down_proj.weight", {8, 12});
  }
  return w;
}

void expect_invalid(const rb::ModelWeights& w, const rb::ModelConfig& c, const std::vector<std::string>& parts) {
  try {
    w.validate_against(c);
    BOOST_FAIL("validate_against accepted bad weights");
  } catch (const rb::InputError& e) {
    const std::string msg = e.what();
    BOOST_TEST_INFO("message: " << msg);
    BOOST_TEST(msg.find("ckpt/model.safetensors") != std::string::npos);
    for (const auto& p : parts) BOOST_TEST(msg.find(p) != std::string::npos);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(complete_llama_weights_validate) {
  const rb::ModelConfig c = config("LlamaForCausalLM", false);
  const rb::ModelWeights w = weights_for(c);
  BOOST_CHECK_NO_THROW(w.validate_against(c));
  BOOST_TEST(&w.lm_head(c) == w.find("lm_head.weight"));
  BOOST_TEST(&w.embed_tokens() == w.find("model.embed_tokens.weight"));
  BOOST_TEST(&w.final_norm() == w.find("model.norm.weight"));
  const rb::LayerWeights l = w.layer(c, 1);
  BOOST_TEST(l.k_proj == w.find("model.layers.1.self_attn.k_proj.weight"));
  BOOST_TEST(l.down_proj == w.find("model.layers.1.mlp.down_proj.weight"));
  BOOST_TEST(l.q_bias == nullptr);
  BOOST_CHECK_THROW(w.layer(c, 2), std::out_of_range);
  BOOST_TEST(w.find("model.layers.2.mlp.up_proj.weight") == nullptr);
  BOOST_CHECK_THROW(w.get("nope"), rb::InputError);
}

BOOST_AUTO_TEST_CASE(tied_lm_head_is_the_embedding) {
  const rb::ModelConfig c = config("LlamaForCausalLM", true);
  const rb::ModelWeights w = weights_for(c);
  BOOST_CHECK_NO_THROW(w.validate_against(c));
  BOOST_TEST(&w.lm_head(c) == &w.embed_tokens());
  const rb::ModelConfig untied = config("LlamaForCausalLM", false);
  expect_invalid(w, untied, {"lm_head.weight", "missing"});
}

BOOST_AUTO_TEST_CASE(qwen2_needs_qkv_bias) {
  const rb::ModelConfig c = config("Qwen2ForCausalLM", true);
  rb::ModelWeights w = weights_for(c);
  BOOST_CHECK_NO_THROW(w.validate_against(c));
  const rb::LayerWeights l = w.layer(c, 0);
  BOOST_TEST(l.v_bias == w.find("model.layers.0.self_attn.v_proj.bias"));
  w.tensors.erase("model.layers.1.self_attn.k_proj.bias");
  expect_invalid(w, c, {"model.layers.1.self_attn.k_proj.bias", "[4]"});
}

BOOST_AUTO_TEST_CASE(shape_mismatch_names_tensor_and_shapes) {
  const rb::ModelConfig c = config("LlamaForCausalLM", false);
  rb::ModelWeights w = weights_for(c);
  put(w, "model.layers.0.self_attn.k_proj.weight", {8, 8});  // MHA-sized k_proj in a GQA model
  expect_invalid(w, c, {"model.layers.0.self_attn.k_proj.weight", "expected shape [4, 8] but found [8, 8]"});
  w = weights_for(c);
  put(w, "model.norm.weight", {8, 1});
  expect_invalid(w, c, {"model.norm.weight", "[8]", "[8, 1]"});
  w = weights_for(c);
  w.tensors["model.layers.1.mlp.up_proj.weight"].data.pop_back();  // data shorter than its shape
  expect_invalid(w, c, {"model.layers.1.mlp.up_proj.weight"});
}

// Phi-3 stores q/k/v in one qkv_proj and gate/up in one gate_up_proj (modeling_phi3.py); on load
// they become row views of their parts (q rows first, then k, then v; gate, then up).
BOOST_AUTO_TEST_CASE(phi3_fused_tensors_split_into_their_parts) {
  const rb::ModelConfig c = config("Phi3ForCausalLM", false);
  const auto fused = [&](int64_t qkv_rows) {
    rb::ModelWeights w = weights_for(c);
    for (int i = 0; i < 2; ++i) {
      const std::string p = "model.layers." + std::to_string(i) + ".";
      for (const char* part : {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.gate_proj", "mlp.up_proj"})
        w.tensors.erase(p + part + ".weight");
      put(w, p + "self_attn.qkv_proj.weight", {qkv_rows, 8});
      put(w, p + "mlp.gate_up_proj.weight", {24, 8});
      auto& qkv = w.tensors[p + "self_attn.qkv_proj.weight"].data;
      for (size_t k = 0; k < qkv.size(); ++k) qkv[k] = static_cast<float>(k / 8);  // the row index
    }
    return w;
  };
  rb::ModelWeights w = fused(16);
  rb::split_fused_tensors(c, w);
  BOOST_CHECK_NO_THROW(w.validate_against(c));
  BOOST_TEST(w.find("model.layers.1.self_attn.qkv_proj.weight") == nullptr);
  BOOST_TEST(rb::to_f32(w.get("model.layers.1.self_attn.q_proj.weight")).front() == 0.0f);
  BOOST_TEST(rb::to_f32(w.get("model.layers.1.self_attn.k_proj.weight")).front() == 8.0f);   // after 8 q rows
  BOOST_TEST(rb::to_f32(w.get("model.layers.1.self_attn.v_proj.weight")).front() == 12.0f);  // after 4 k rows
  BOOST_TEST(w.get("model.layers.0.mlp.up_proj.weight").shape == std::vector<int64_t>({12, 8}));

  rb::ModelWeights bad = fused(15);
  try {
    rb::split_fused_tensors(c, bad);
    BOOST_FAIL("a qkv_proj of 15 rows was split");
  } catch (const rb::InputError& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find("model.layers.0.self_attn.qkv_proj.weight") != std::string::npos, msg);
    BOOST_TEST(msg.find("expected shape [16, 8] (q, k, v stacked) but found [15, 8]") != std::string::npos, msg);
  }
  rb::ModelWeights missing = fused(16);
  missing.tensors.erase("model.layers.1.mlp.gate_up_proj.weight");
  try {
    rb::split_fused_tensors(c, missing);
    BOOST_FAIL("a missing gate_up_proj was accepted");
  } catch (const rb::InputError& e) {
    BOOST_TEST(std::string(e.what()).find("model.layers.1.mlp.gate_up_proj.weight: tensor is missing") != std::string::npos,
               e.what());
  }
}
