// config.json parsing: both transformers spellings of RoPE, defaults, per-architecture rules, and
// one message per kind of bad input that names the file and the field.
#define BOOST_TEST_MODULE config_parse
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>

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
