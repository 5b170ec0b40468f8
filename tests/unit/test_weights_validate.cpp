// ModelWeights: lookups under canonical names, tied lm_head, per-layer views, and validate_against
// naming the tensor with the expected and found shape.
#define BOOST_TEST_MODULE weights_validate
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/error.hpp"
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
