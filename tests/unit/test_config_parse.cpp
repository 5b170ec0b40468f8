// config.json parsing: both transformers spellings of RoPE, defaults, per-architecture rules, and
// one message per kind of bad input that names the file and the field.
#define BOOST_TEST_MODULE config_parse
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "common/error.hpp"
#include "model_core/config.hpp"

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kSource = "dir/config.json";

json tiny_llama() {
  return json{{"architectures", {"LlamaForCausalLM"}},
              {"model_type", "llama"},
              {"hidden_size", 64},
              {"num_attention_heads", 4},
              {"num_key_value_heads", 2},
              {"num_hidden_layers", 2},
              {"intermediate_size", 128},
              {"vocab_size", 100},
              {"rms_norm_eps", 1e-5},
              {"max_position_embeddings", 256},
              {"bos_token_id", 1},
              {"eos_token_id", 2}};
}

// Parses `j` expecting an InputError whose message names the source file and `field`.
void expect_error(const json& j, const std::string& field, const std::string& also = "") {
  try {
    rb::parse_hf_config(j, kSource);
    BOOST_FAIL("no error for field " + field);
  } catch (const rb::InputError& e) {
    const std::string msg = e.what();
    BOOST_TEST_INFO("message: " << msg);
    BOOST_TEST(msg.find(kSource) != std::string::npos);
    BOOST_TEST(msg.find(field) != std::string::npos);
    BOOST_TEST(e.field().find(field) != std::string::npos);
    if (!also.empty()) BOOST_TEST(msg.find(also) != std::string::npos);
  }
}

fs::path write_temp(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / ("rb_test_config_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path p = dir / name;
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(llama_fields_and_defaults) {
  const rb::ModelConfig c = rb::parse_hf_config(tiny_llama(), kSource);
  BOOST_TEST(c.architecture == "LlamaForCausalLM");
  BOOST_TEST(c.model_type == "llama");
  BOOST_TEST(c.hidden_size == 64);
  BOOST_TEST(c.num_heads == 4);
  BOOST_TEST(c.num_kv_heads == 2);
  BOOST_TEST(c.head_dim == 16);
  BOOST_TEST(c.num_layers == 2);
  BOOST_TEST(c.intermediate_size == 128);
  BOOST_TEST(c.vocab_size == 100);
  BOOST_TEST(c.rms_norm_eps == 1e-5);
  BOOST_TEST(c.max_position_embeddings == 256);
  BOOST_TEST(c.rope_theta == 10000.0);
  BOOST_TEST(c.partial_rotary_factor == 1.0);
  BOOST_TEST(c.rotary_dim() == 16);
  BOOST_TEST(c.rope_scaling.is_null());
  BOOST_TEST(!c.tie_word_embeddings);
  BOOST_TEST(!c.attention_bias);
  BOOST_TEST(!c.mlp_bias);
  BOOST_TEST(c.bos_token_id.value() == 1);
  BOOST_TEST(c.eos_token_id.value() == 2);
  BOOST_TEST(c.source == kSource);
}

BOOST_AUTO_TEST_CASE(kv_heads_default_to_heads_and_head_dim_may_be_given) {
  json j = tiny_llama();
  j.erase("num_key_value_heads");
  j["head_dim"] = 32;  // not hidden/heads: head_dim wins
  const rb::ModelConfig c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.num_kv_heads == 4);
  BOOST_TEST(c.head_dim == 32);
  j["head_dim"] = nullptr;  // null counts as absent
  BOOST_TEST(rb::parse_hf_config(j, kSource).head_dim == 16);
}

BOOST_AUTO_TEST_CASE(model_type_when_architectures_absent) {
  for (const auto& [type, arch] : {std::pair{"llama", "LlamaForCausalLM"}, std::pair{"mistral", "MistralForCausalLM"},
                                   std::pair{"qwen2", "Qwen2ForCausalLM"}}) {
    json j = tiny_llama();
    j.erase("architectures");
    j["model_type"] = type;
    const rb::ModelConfig c = rb::parse_hf_config(j, kSource);
    BOOST_TEST(c.architecture == arch);
    BOOST_TEST(c.model_type == type);
  }
}

BOOST_AUTO_TEST_CASE(transformers4_rope_scaling_with_type_key) {
  json j = tiny_llama();
  j["rope_theta"] = 500000.0;
  j["rope_scaling"] = {{"type", "linear"}, {"factor", 4.0}};
  const rb::ModelConfig c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.rope_theta == 500000.0);
  BOOST_TEST(c.rope_scaling == (json{{"rope_type", "linear"}, {"factor", 4.0}}));
}

BOOST_AUTO_TEST_CASE(transformers5_rope_parameters_hold_theta) {
  json j = tiny_llama();
  j["rope_theta"] = 1.0;  // a stale top-level value loses to rope_parameters, as in transformers
  j["rope_parameters"] = {{"rope_type", "dynamic"}, {"rope_theta", 250000.0}, {"factor", 2.0}};
  const rb::ModelConfig c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.rope_theta == 250000.0);
  BOOST_TEST(c.rope_scaling == (json{{"rope_type", "dynamic"}, {"factor", 2.0}}));
}

BOOST_AUTO_TEST_CASE(default_rope_parameters_normalize_to_null) {
  json j = tiny_llama();
  j["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 1000000.0}};
  rb::ModelConfig c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.rope_scaling.is_null());
  BOOST_TEST(c.rope_theta == 1000000.0);
  // What transformers 5 writes for a converted t4 config: both keys.
  j["rope_parameters"] = {{"rope_type", "linear"}, {"type", "linear"}, {"rope_theta", 10000.0}, {"factor", 2.0}};
  c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.rope_scaling == (json{{"rope_type", "linear"}, {"factor", 2.0}}));
  j.erase("rope_parameters");
  j["rope_scaling"] = nullptr;
  BOOST_TEST(rb::parse_hf_config(j, kSource).rope_scaling.is_null());
}

BOOST_AUTO_TEST_CASE(yarn_gets_original_max_position_embeddings) {
  json j = tiny_llama();
  j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  BOOST_TEST(rb::parse_hf_config(j, kSource).rope_scaling["original_max_position_embeddings"] == 256);
  j["rope_scaling"]["original_max_position_embeddings"] = 128;
  BOOST_TEST(rb::parse_hf_config(j, kSource).rope_scaling["original_max_position_embeddings"] == 128);
}

BOOST_AUTO_TEST_CASE(partial_rotary_factor_top_level_or_inside) {
  json j = tiny_llama();
  j["partial_rotary_factor"] = 0.5;
  BOOST_TEST(rb::parse_hf_config(j, kSource).rotary_dim() == 8);
  j["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 10000.0}, {"partial_rotary_factor", 0.25}};
  const rb::ModelConfig c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.partial_rotary_factor == 0.25);
  BOOST_TEST(c.rope_scaling.is_null());
}

BOOST_AUTO_TEST_CASE(qwen2_always_has_attention_bias) {
  json j = tiny_llama();
  j["architectures"] = {"Qwen2ForCausalLM"};
  j["model_type"] = "qwen2";
  j["tie_word_embeddings"] = true;
  j["attention_bias"] = false;  // Qwen2 ignores this key
  j["layer_types"] = {"full_attention", "full_attention"};
  j["sliding_window"] = nullptr;
  const rb::ModelConfig c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.attention_bias);
  BOOST_TEST(c.tie_word_embeddings);
}

BOOST_AUTO_TEST_CASE(llama_attention_bias_and_tying_as_written) {
  json j = tiny_llama();
  j["attention_bias"] = true;
  j["tie_word_embeddings"] = true;
  const rb::ModelConfig c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.attention_bias);
  BOOST_TEST(c.tie_word_embeddings);
}

BOOST_AUTO_TEST_CASE(eos_list_takes_first) {
  json j = tiny_llama();
  j["eos_token_id"] = {128001, 128009};
  j["bos_token_id"] = nullptr;
  const rb::ModelConfig c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.eos_token_id.value() == 128001);
  BOOST_TEST(!c.bos_token_id.has_value());
}

BOOST_AUTO_TEST_CASE(missing_required_fields) {
  for (const char* field : {"hidden_size", "num_attention_heads", "num_hidden_layers", "intermediate_size", "vocab_size"}) {
    json j = tiny_llama();
    j.erase(field);
    expect_error(j, field, "missing");
  }
}

BOOST_AUTO_TEST_CASE(wrong_types) {
  json j = tiny_llama();
  j["hidden_size"] = "64";
  expect_error(j, "hidden_size", "integer");
  j = tiny_llama();
  j["vocab_size"] = 100.5;
  expect_error(j, "vocab_size", "integer");
  j = tiny_llama();
  j["rms_norm_eps"] = "tiny";
  expect_error(j, "rms_norm_eps", "number");
  j = tiny_llama();
  j["tie_word_embeddings"] = 1;
  expect_error(j, "tie_word_embeddings");
  j = tiny_llama();
  j["rope_scaling"] = "linear";
  expect_error(j, "rope_scaling");
  j = tiny_llama();
  j["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", "big"}};
  expect_error(j, "rope_parameters.rope_theta");
  j = tiny_llama();
  j["eos_token_id"] = {"</s>"};
  expect_error(j, "eos_token_id");
}

BOOST_AUTO_TEST_CASE(non_positive_sizes) {
  for (const char* field : {"hidden_size", "num_hidden_layers", "intermediate_size", "vocab_size",
                            "num_key_value_heads"}) {
    json j = tiny_llama();
    j[field] = 0;
    expect_error(j, field, "positive");
  }
  json j = tiny_llama();
  j["num_attention_heads"] = -4;
  expect_error(j, "num_attention_heads", "positive");
  j = tiny_llama();
  j["head_dim"] = 0;
  expect_error(j, "head_dim", "positive");
}

BOOST_AUTO_TEST_CASE(head_divisibility) {
  json j = tiny_llama();
  j["num_attention_heads"] = 3;  // 64 % 3 != 0, no head_dim
  j["num_key_value_heads"] = 3;
  expect_error(j, "num_attention_heads", "divide");
  j["head_dim"] = 16;  // with head_dim given, hidden need not divide
  BOOST_TEST(rb::parse_hf_config(j, kSource).head_dim == 16);
  j = tiny_llama();
  j["num_key_value_heads"] = 3;  // 4 % 3 != 0
  expect_error(j, "num_key_value_heads", "divide");
}

BOOST_AUTO_TEST_CASE(unsupported_architectures_and_features) {
  json j = tiny_llama();
  j["architectures"] = {"GPT2LMHeadModel"};
  expect_error(j, "architectures", "Qwen2ForCausalLM");  // the supported list
  j.erase("architectures");
  j["model_type"] = "gpt2";
  expect_error(j, "model_type", "LlamaForCausalLM");
  j.erase("model_type");
  expect_error(j, "architectures");
  j = tiny_llama();
  j["hidden_act"] = "gelu";
  expect_error(j, "hidden_act");
  j = tiny_llama();
  j["mlp_bias"] = true;  // LlamaMLP with biases: read by every backend (model_def/tensor_table.cpp)
  BOOST_TEST(rb::parse_hf_config(j, kSource).mlp_bias);
  j = tiny_llama();
  j["architectures"] = {"MistralForCausalLM"};
  j["sliding_window"] = nullptr;
  BOOST_TEST(rb::parse_hf_config(j, kSource).model_type == "mistral");
  j["layer_types"] = {"full_attention", "sliding_attention"};
  expect_error(j, "layer_types[1]", "needs a window");
  j = tiny_llama();
  j["partial_rotary_factor"] = 1.5;
  expect_error(j, "partial_rotary_factor");
}

BOOST_AUTO_TEST_CASE(file_errors_name_the_file) {
  const fs::path good = write_temp("config.json", tiny_llama().dump(2));
  BOOST_TEST(rb::load_hf_config(good).source == good.string());

  const fs::path missing = good.parent_path() / "absent.json";
  try {
    rb::load_hf_config(missing);
    BOOST_FAIL("no error for a missing file");
  } catch (const rb::InputError& e) {
    BOOST_TEST(std::string(e.what()).find("absent.json") != std::string::npos);
  }

  const fs::path bad = write_temp("bad.json", "{\n  \"hidden_size\": 64,\n  \"vocab_size\": }");
  try {
    rb::load_hf_config(bad);
    BOOST_FAIL("no error for invalid JSON");
  } catch (const rb::InputError& e) {
    const std::string msg = e.what();
    BOOST_TEST_INFO(msg);
    BOOST_TEST(msg.find("bad.json") != std::string::npos);
    BOOST_TEST(msg.find("invalid JSON at byte") != std::string::npos);
  }

  const fs::path not_object = write_temp("list.json", "[1, 2]");
  BOOST_CHECK_THROW(rb::load_hf_config(not_object), rb::InputError);
  BOOST_CHECK_THROW(rb::load_hf_config(good.parent_path()), rb::InputError);
  fs::remove_all(good.parent_path());
}

// Which layers slide, as transformers 5.17 decides (MistralModel, Qwen2Config/Qwen3Config
// __post_init__); the fixtures of tests/fixtures/cpu/{qwen3,mistral_sw,qwen2_sw} check the numbers.
BOOST_AUTO_TEST_CASE(sliding_windows_per_family) {
  json j = tiny_llama();
  j["architectures"] = {"MistralForCausalLM"};
  BOOST_TEST(rb::parse_hf_config(j, kSource).window_of(1) == 4096);  // MistralConfig's default
  j["sliding_window"] = 8;
  rb::ModelConfig c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.window_of(0) == 8);
  BOOST_TEST(c.window_of(1) == 8);
  j["layer_types"] = {"full_attention", "sliding_attention"};  // MistralModel ignores them
  BOOST_TEST(rb::parse_hf_config(j, kSource).window_of(0) == 8);
  j["sliding_window"] = 0;
  expect_error(j, "sliding_window", "must be a positive number of tokens");
  j["sliding_window"] = -3;
  expect_error(j, "sliding_window", "must be a positive number of tokens");

  j = tiny_llama();
  j["architectures"] = {"Qwen2ForCausalLM"};
  j["num_hidden_layers"] = 4;
  j["sliding_window"] = 16;
  BOOST_TEST(rb::parse_hf_config(j, kSource).window_of(3) == 0);  // use_sliding_window false: no window
  j["use_sliding_window"] = true;
  j["max_window_layers"] = 2;  // layers >= 2 slide
  c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.window_of(0) == 0);
  BOOST_TEST(c.window_of(1) == 0);
  BOOST_TEST(c.window_of(2) == 16);
  BOOST_TEST(c.window_of(3) == 16);
  j["layer_types"] = {"sliding_attention", "full_attention", "full_attention", "sliding_attention"};  // win over max_window_layers
  c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.window_of(0) == 16);
  BOOST_TEST(c.window_of(2) == 0);
  BOOST_TEST(c.window_of(3) == 16);
  j["layer_types"] = {"sliding_attention", "full_attention"};
  expect_error(j, "layer_types", "has 2 entries for num_hidden_layers 4");
  j["layer_types"] = {"full_attention", "full_attention", "chunked_attention", "full_attention"};
  expect_error(j, "layer_types[2]", "is not a layer type");
  j["layer_types"] = {"full_attention", "full_attention", "full_attention", "sliding_attention"};
  j["use_sliding_window"] = false;
  expect_error(j, "layer_types[3]", "use_sliding_window is false");

  j = tiny_llama();
  j["layer_types"] = {"full_attention", "sliding_attention"};
  expect_error(j, "layer_types[1]", "LlamaForCausalLM has no sliding-window attention");
}

BOOST_AUTO_TEST_CASE(qwen3_has_qk_norm_and_its_own_head_dim_default) {
  json j = tiny_llama();
  j["architectures"] = {"Qwen3ForCausalLM"};
  j["model_type"] = "qwen3";
  rb::ModelConfig c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.qk_norm);
  BOOST_TEST(c.head_dim == 128);  // Qwen3Config's default, not hidden_size / heads
  BOOST_TEST(!c.attention_bias);
  j["head_dim"] = 16;
  j["attention_bias"] = true;
  c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.head_dim == 16);
  BOOST_TEST(c.attention_bias);
}

BOOST_AUTO_TEST_CASE(phi3_defaults_and_its_old_rope_names) {
  json j = tiny_llama();
  j["architectures"] = {"Phi3ForCausalLM"};
  j["model_type"] = "phi3";
  j.erase("rms_norm_eps");
  j["attention_bias"] = true;  // Phi3Attention has no biases whatever the key says
  rb::ModelConfig c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.rms_norm_eps == 1e-5);  // Phi3Config's default
  BOOST_TEST(!c.attention_bias);
  BOOST_TEST(c.window_of(0) == 0);  // sliding_window defaults to None
  j["sliding_window"] = 2047;       // Phi-3-mini-4k: every layer
  BOOST_TEST(rb::parse_hf_config(j, kSource).window_of(1) == 2047);
  j["original_max_position_embeddings"] = 64;
  j["rope_scaling"] = {{"type", "su"}, {"short_factor", {1, 1, 1, 1, 1, 1, 1, 1}}, {"long_factor", {2, 2, 2, 2, 2, 2, 2, 2}}};
  c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.rope_scaling["rope_type"] == "longrope");  // "su" and "yarn" mean longrope for Phi-3
  BOOST_TEST(c.rope_scaling["original_max_position_embeddings"] == 64);
}

// ---- Gemma-3 --------------------------------------------------------------------------------

namespace {

// google/gemma-3-1b-it's config.json (transformers 4's spelling of the two RoPEs).
json gemma3_1b() {
  return json::parse(R"({
    "architectures": ["Gemma3ForCausalLM"], "attn_logit_softcapping": null, "bos_token_id": 2,
    "eos_token_id": [1, 106], "final_logit_softcapping": null, "head_dim": 256,
    "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 1152, "intermediate_size": 6912,
    "max_position_embeddings": 32768, "model_type": "gemma3_text", "num_attention_heads": 4,
    "num_hidden_layers": 26, "num_key_value_heads": 1, "pad_token_id": 0, "query_pre_attn_scalar": 256,
    "rms_norm_eps": 1e-06, "rope_local_base_freq": 10000, "rope_scaling": null, "rope_theta": 1000000,
    "sliding_window": 512, "sliding_window_pattern": 6, "vocab_size": 262144})");
}

// google/gemma-3-4b-it's config.json without vision_config: text_config holds only what differs
// from Gemma3TextConfig's defaults.
json gemma3_4b_it() {
  return json::parse(R"({
    "architectures": ["Gemma3ForConditionalGeneration"], "boi_token_index": 255999,
    "eoi_token_index": 256000, "eos_token_id": [1, 106], "image_token_index": 262144,
    "initializer_range": 0.02, "mm_tokens_per_image": 256, "model_type": "gemma3",
    "text_config": {"hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text",
                    "num_hidden_layers": 34, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
                    "sliding_window": 1024},
    "torch_dtype": "bfloat16", "transformers_version": "4.50.0.dev0"})");
}

// A multimodal config around `text` (as Gemma3ForConditionalGeneration writes it).
json multimodal(const json& text) {
  return json{{"architectures", {"Gemma3ForConditionalGeneration"}}, {"model_type", "gemma3"}, {"text_config", text}};
}

// Gemma-3's two RoPEs: full_attention (theta, scaling; also in the single-RoPE fields), then a
// plain sliding_attention RoPE at its own theta.
void check_two_ropes(const rb::ModelConfig& c, double full_theta, const json& full_scaling, double sliding_theta) {
  BOOST_REQUIRE_EQUAL(c.rope_by_layer_type.size(), 2u);
  BOOST_TEST(c.rope_by_layer_type[0].layer_type == "full_attention");
  BOOST_TEST(c.rope_by_layer_type[0].rope_theta == full_theta);
  BOOST_TEST(c.rope_by_layer_type[0].rope_scaling == full_scaling);
  BOOST_TEST(c.rope_by_layer_type[1].layer_type == "sliding_attention");
  BOOST_TEST(c.rope_by_layer_type[1].rope_theta == sliding_theta);
  BOOST_TEST(c.rope_by_layer_type[1].rope_scaling.is_null());
  BOOST_TEST(c.rope_theta == full_theta);
  BOOST_TEST(c.rope_scaling == full_scaling);
}

}  // namespace

BOOST_AUTO_TEST_CASE(gemma3_multimodal_text_config_takes_gemma3_text_defaults) {
  const rb::ModelConfig c = rb::parse_hf_config(gemma3_4b_it(), kSource);
  BOOST_TEST(c.architecture == "Gemma3ForConditionalGeneration");
  BOOST_TEST(c.model_type == "gemma3_text");
  BOOST_TEST(c.vocab_size == 262208);  // Gemma3TextConfig's defaults where text_config is silent
  BOOST_TEST(c.hidden_size == 2560);
  BOOST_TEST(c.intermediate_size == 10240);
  BOOST_TEST(c.num_layers == 34);
  BOOST_TEST(c.num_heads == 8);
  BOOST_TEST(c.num_kv_heads == 4);
  BOOST_TEST(c.head_dim == 256);  // not hidden_size / heads (320)
  BOOST_TEST(c.query_pre_attn_scalar == 256.0);
  BOOST_TEST(c.attention_scale() == 1.0 / 16.0);
  BOOST_TEST(c.max_position_embeddings == 131072);
  BOOST_TEST(c.rms_norm_eps == 1e-6);
  BOOST_TEST(c.tie_word_embeddings);
  BOOST_TEST(c.bos_token_id.value() == 2);
  BOOST_TEST(c.eos_token_id.value() == 1);
  BOOST_TEST((c.hidden_act == rb::Activation::GeluTanh));
  BOOST_TEST(c.embedding_scale == std::sqrt(2560.0));
  BOOST_TEST(c.norm_weight_offset == 1.0f);
  BOOST_TEST(c.sandwich_norms);
  BOOST_TEST(c.qk_norm);
  BOOST_TEST(!c.attention_bias);
  BOOST_TEST(c.sliding_window == 1024);
  BOOST_TEST(c.sliding_layer_count() == 34 - 5);  // layers 5, 11, 17, 23, 29 are full
  for (int64_t i = 0; i < 34; ++i) {
    BOOST_TEST_CONTEXT("layer " << i) {
      const bool full = i % 6 == 5;
      BOOST_TEST(c.window_of(i) == (full ? 0 : 1024));
      BOOST_TEST(c.layer_type(i) == std::string(full ? "full_attention" : "sliding_attention"));
      BOOST_TEST(c.rope_index(i) == (full ? 0 : 1));
    }
  }
  BOOST_TEST(c.rope_schedule_count() == 2);
  check_two_ropes(c, 1e6, json{{"rope_type", "linear"}, {"factor", 8.0}}, 1e4);
  BOOST_TEST(c.rope_scaling == c.rope_by_layer_type[0].rope_scaling);
}

BOOST_AUTO_TEST_CASE(gemma3_causal_lm_and_transformers4_rope_names) {
  json j = gemma3_1b();
  rb::ModelConfig c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.architecture == "Gemma3ForCausalLM");
  BOOST_TEST(c.model_type == "gemma3_text");
  BOOST_TEST(c.vocab_size == 262144);
  BOOST_TEST(c.num_kv_heads == 1);
  BOOST_TEST(c.eos_token_id.value() == 1);
  BOOST_TEST(c.embedding_scale == std::sqrt(1152.0));
  BOOST_TEST(c.window_of(0) == 512);
  BOOST_TEST(c.window_of(5) == 0);
  BOOST_TEST(c.window_of(25) == 512);
  BOOST_TEST(c.rope_by_layer_type[0].rope_theta == 1e6);
  BOOST_TEST(c.rope_by_layer_type[1].rope_theta == 1e4);
  BOOST_TEST(c.rope_by_layer_type[0].rope_scaling.is_null());

  // rope_theta is the full layers' base, rope_local_base_freq the sliding layers'; rope_scaling
  // applies to the full layers only.
  j["rope_theta"] = 500000.0;
  j["rope_local_base_freq"] = 20000.0;
  j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.rope_by_layer_type[0].rope_theta == 500000.0);
  BOOST_TEST(c.rope_by_layer_type[0].rope_scaling["rope_type"] == "yarn");
  BOOST_TEST(c.rope_by_layer_type[0].rope_scaling["original_max_position_embeddings"] == 32768);
  BOOST_TEST(c.rope_by_layer_type[1].rope_theta == 20000.0);
  BOOST_TEST(c.rope_by_layer_type[1].rope_scaling.is_null());

  // Defaults of the two bases when absent: 1e6 and 1e4 (not Llama's 1e4 for both).
  j.erase("rope_theta");
  j.erase("rope_local_base_freq");
  j.erase("rope_scaling");
  c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.rope_by_layer_type[0].rope_theta == 1e6);
  BOOST_TEST(c.rope_by_layer_type[1].rope_theta == 1e4);

  // sliding_window_pattern: every N-th layer full; 1: every layer full (a null window is then fine).
  j["sliding_window_pattern"] = 2;
  c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.window_of(0) == 512);
  BOOST_TEST(c.window_of(1) == 0);
  BOOST_TEST(c.window_of(2) == 512);
  j["sliding_window_pattern"] = 1;
  j["sliding_window"] = nullptr;
  c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.sliding_layer_count() == 0);
  BOOST_TEST(c.layer_type(0) == std::string("full_attention"));

  // layer_types win over the pattern.
  j = gemma3_1b();
  j["num_hidden_layers"] = 3;
  j["layer_types"] = {"full_attention", "sliding_attention", "full_attention"};
  c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.window_of(0) == 0);
  BOOST_TEST(c.window_of(1) == 512);
  BOOST_TEST(c.window_of(2) == 0);
  BOOST_TEST(c.rope_index(0) == 0);
  BOOST_TEST(c.rope_index(1) == 1);
}

BOOST_AUTO_TEST_CASE(gemma3_transformers5_rope_parameters_keyed_by_layer_type) {
  json j = gemma3_1b();
  for (const char* k : {"rope_theta", "rope_local_base_freq", "rope_scaling"}) j.erase(k);
  j["rope_parameters"] = {{"full_attention", {{"rope_type", "linear"}, {"factor", 8.0}, {"rope_theta", 2e6}}},
                          {"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 5e4}}}};
  rb::ModelConfig c = rb::parse_hf_config(j, kSource);
  check_two_ropes(c, 2e6, json{{"rope_type", "linear"}, {"factor", 8.0}}, 5e4);

  // A type left out gets its default base; scaling may sit on the sliding layers too.
  j["rope_parameters"] = {{"sliding_attention", {{"rope_type", "linear"}, {"factor", 2.0}}}};
  c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.rope_by_layer_type[0].rope_theta == 1e6);
  BOOST_TEST(c.rope_by_layer_type[0].rope_scaling.is_null());
  BOOST_TEST(c.rope_by_layer_type[1].rope_theta == 1e4);
  BOOST_TEST(c.rope_by_layer_type[1].rope_scaling == (json{{"rope_type", "linear"}, {"factor", 2.0}}));

  // Not keyed by layer type: the full layers'.
  j["rope_parameters"] = {{"rope_type", "yarn"}, {"factor", 4.0}, {"rope_theta", 3e6}};
  c = rb::parse_hf_config(j, kSource);
  BOOST_TEST(c.rope_by_layer_type[0].rope_theta == 3e6);
  BOOST_TEST(c.rope_by_layer_type[0].rope_scaling["rope_type"] == "yarn");
  BOOST_TEST(c.rope_by_layer_type[1].rope_theta == 1e4);
  BOOST_TEST(c.rope_by_layer_type[1].rope_scaling.is_null());

  // Errors inside a type's object name its path.
  j["rope_parameters"] = {{"full_attention", {{"rope_type", "default"}, {"rope_theta", "big"}}}};
  expect_error(j, "rope_parameters.full_attention.rope_theta", "number");
  j["rope_parameters"] = {{"sliding_attention", {{"rope_type", "default"}, {"rope_theta", -1.0}}}};
  expect_error(j, "rope_parameters.sliding_attention.rope_theta", "positive");
  j["rope_parameters"] = {{"sliding_attention", "linear"}};
  expect_error(j, "rope_parameters.sliding_attention", "object");
  j["rope_parameters"] = "default";
  expect_error(j, "rope_parameters", "object");
}

// Each Gemma-3 setting ropebatch does not compute is refused, naming its key (under text_config in
// a multimodal config).
BOOST_AUTO_TEST_CASE(gemma3_refusals_name_the_key) {
  struct Case {
    const char* key;
    json value;
    std::string field, also;
  };
  const json two_types = {{"rope_type", "default"}};
  const std::vector<Case> cases = {
      {"attn_logit_softcapping", 50.0, "attn_logit_softcapping", "soft-capping"},
      {"final_logit_softcapping", 30.0, "final_logit_softcapping", "soft-capping"},
      {"use_bidirectional_attention", true, "use_bidirectional_attention", "bidirectional"},
      {"hidden_activation", "gelu", "hidden_activation", "gelu_pytorch_tanh"},
      {"rope_parameters", {{"full_attention", two_types}, {"chunked_attention", two_types}},
       "rope_parameters.chunked_attention", "is not a layer type"},
      {"rope_parameters", {{"full_attention", {{"rope_type", "default"}, {"partial_rotary_factor", 0.5}}}},
       "partial_rotary_factor", "whole head"},
      {"rope_parameters", {{"sliding_attention", {{"rope_type", "default"}, {"partial_rotary_factor", 0.25}}}},
       "partial_rotary_factor", "whole head"},
      {"sliding_window", nullptr, "sliding_window", "is null"},
      {"sliding_window_pattern", 0, "sliding_window_pattern", "at least 1"},
      {"sliding_window_pattern", -6, "sliding_window_pattern", "at least 1"},
      {"query_pre_attn_scalar", 0, "query_pre_attn_scalar", "positive"},
  };
  for (const Case& k : cases) {
    BOOST_TEST_CONTEXT(k.key << " = " << k.value.dump()) {
      json text = gemma3_1b();
      text[k.key] = k.value;
      expect_error(text, k.field, k.also);
      expect_error(multimodal(text), "text_config." + k.field, k.also);
    }
  }
  // The values Gemma-3 checkpoints write are accepted.
  json text = gemma3_1b();
  text["use_bidirectional_attention"] = false;
  text["partial_rotary_factor"] = 1.0;
  BOOST_TEST(rb::parse_hf_config(text, kSource).num_layers == 26);
  BOOST_TEST(rb::parse_hf_config(multimodal(text), kSource).num_layers == 26);

  // A multimodal config needs its text model; a wrong type inside it names the path.
  json mm = gemma3_4b_it();
  mm.erase("text_config");
  expect_error(mm, "text_config", "text model");
  mm["text_config"] = "gemma3_text";
  expect_error(mm, "text_config", "text model");
  mm = gemma3_4b_it();
  mm["text_config"]["hidden_size"] = "2560";
  expect_error(mm, "text_config.hidden_size", "integer");
  mm = gemma3_4b_it();
  mm["text_config"]["rope_scaling"] = "linear";
  expect_error(mm, "text_config.rope_scaling", "object");
}

// Gemma3RotaryEmbedding rotates the whole head: a partial_rotary_factor at the top level is refused
// as one inside rope_parameters is, not dropped.
BOOST_AUTO_TEST_CASE(gemma3_top_level_partial_rotary_factor_is_refused) {
  json j = gemma3_1b();
  j["partial_rotary_factor"] = 0.5;
  expect_error(j, "partial_rotary_factor", "whole head");
  expect_error(multimodal(j), "text_config.partial_rotary_factor", "whole head");
}

BOOST_AUTO_TEST_CASE(gemma3_layer_types_must_match_the_layer_count) {
  json j = gemma3_1b();
  j["num_hidden_layers"] = 4;
  j["layer_types"] = {"sliding_attention", "full_attention", "sliding_attention"};
  expect_error(j, "layer_types", "has 3 entries for num_hidden_layers 4");
  expect_error(multimodal(j), "text_config.layer_types", "has 3 entries for num_hidden_layers 4");
  j["layer_types"] = {"sliding_attention", "full_attention", "sliding_attention", "full_attention", "full_attention"};
  expect_error(j, "layer_types", "has 5 entries for num_hidden_layers 4");
  j["layer_types"] = {"sliding_attention", "full_attention", "chunked_attention", "full_attention"};
  expect_error(j, "layer_types[2]", "is not a layer type");
  expect_error(multimodal(j), "text_config.layer_types[2]", "is not a layer type");
  j["layer_types"] = {"sliding_attention", "full_attention", "sliding_attention", "full_attention"};
  j["sliding_window"] = nullptr;
  expect_error(j, "layer_types[0]", "needs a window");
  j["layer_types"] = "sliding_attention";
  expect_error(j, "layer_types", "list");
}
