// GGUF -> ModelConfig / ModelWeights: metadata keys, Hugging Face names, and the inverse of
// convert_hf_to_gguf.py's Q/K permutation (the fixtures hold the HF rows; the .gguf files hold
// them permuted by the numpy code of LlamaModel.permute). SmolLM2-135M (RB_SMOLLM2_GGUF) is
// compared with what transformers' GGUF loader produces.
#define BOOST_TEST_MODULE gguf_model
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <bit>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "model_core/loaders/gguf.hpp"
#include "model_core/loaders/gguf_model.hpp"

namespace fs = std::filesystem;
namespace utf = boost::unit_test;

namespace {

const fs::path kDir = fs::path(RB_FIXTURES) / "gguf";

std::vector<float> read_f32(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  const std::vector<char> b{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}

bool same_bits(const float* a, const float* b, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i])) return false;
  return true;
}

std::string hf_name(const std::string& gguf_name) {
  static const std::pair<const char*, const char*> names[] = {
      {"token_embd.weight", "model.embed_tokens.weight"},
      {"output_norm.weight", "model.norm.weight"},
      {"output.weight", "lm_head.weight"},
      {"blk.0.attn_norm.weight", "model.layers.0.input_layernorm.weight"},
      {"blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight"},
      {"blk.0.attn_k.weight", "model.layers.0.self_attn.k_proj.weight"},
      {"blk.0.attn_v.weight", "model.layers.0.self_attn.v_proj.weight"},
      {"blk.0.attn_q.bias", "model.layers.0.self_attn.q_proj.bias"},
      {"blk.0.attn_k.bias", "model.layers.0.self_attn.k_proj.bias"},
      {"blk.0.attn_v.bias", "model.layers.0.self_attn.v_proj.bias"},
      {"blk.0.attn_output.weight", "model.layers.0.self_attn.o_proj.weight"},
      {"blk.0.ffn_norm.weight", "model.layers.0.post_attention_layernorm.weight"},
      {"blk.0.ffn_gate.weight", "model.layers.0.mlp.gate_proj.weight"},
      {"blk.0.ffn_up.weight", "model.layers.0.mlp.up_proj.weight"},
      {"blk.0.ffn_down.weight", "model.layers.0.mlp.down_proj.weight"},
  };
  for (const auto& [g, h] : names)
    if (gguf_name == g) return h;
  return "";
}

// Every tensor of a tiny model arrives under its HF name with the HF values (un-permuted).
void check_tiny_weights(const std::string& file) {
  const nlohmann::json index = nlohmann::json::parse(std::ifstream(kDir / "index.json"));
  rb::GgufFile f(kDir / file);
  const rb::ModelConfig c = rb::gguf_model_config(f);
  const rb::ModelWeights w = rb::load_gguf_weights(f, c);
  BOOST_TEST(w.source == (kDir / file).string());
  size_t mapped = 0;
  for (const auto& e : index.at(file)) {
    const std::string name = hf_name(e.at("tensor"));
    BOOST_TEST_CONTEXT(file << " " << e.at("tensor").get<std::string>()) {
      if (name.empty()) {
        BOOST_TEST(e.at("tensor") == "rope_freqs.weight");  // ignored
        continue;
      }
      const rb::HostTensor* t = w.find(name);
      BOOST_REQUIRE(t != nullptr);
      BOOST_TEST(t->shape == e.at("shape").get<std::vector<int64_t>>(), boost::test_tools::per_element());
      const std::vector<float> expected = read_f32(kDir / e.at("expected").get<std::string>());
      BOOST_REQUIRE(expected.size() == t->data.size());
      BOOST_TEST(same_bits(t->data.data(), expected.data(), expected.size()));
      ++mapped;
    }
  }
  BOOST_TEST(w.tensors.size() == mapped);  // nothing else, nothing invented
  BOOST_CHECK_NO_THROW(w.validate_against(c));
}

const char* smollm2_path() {
  const char* p = std::getenv("RB_SMOLLM2_GGUF");
  return p && fs::is_regular_file(p) ? p : nullptr;
}
struct HasSmolLM2 {
  boost::test_tools::assertion_result operator()(utf::test_unit_id) const {
    boost::test_tools::assertion_result r(smollm2_path() != nullptr);
    r.message() << "RB_SMOLLM2_GGUF is not set to SmolLM2-135M-Instruct.Q4_1.gguf; skipped";
    return r;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(tiny_llama_config) {
  rb::GgufFile f(kDir / "tiny_llama.gguf");
  const rb::ModelConfig c = rb::gguf_model_config(f);
  BOOST_TEST(c.architecture == "LlamaForCausalLM");
  BOOST_TEST(c.model_type == "llama");
  BOOST_TEST(c.num_layers == 1);
  BOOST_TEST(c.hidden_size == 16);
  BOOST_TEST(c.intermediate_size == 32);
  BOOST_TEST(c.num_heads == 4);
  BOOST_TEST(c.num_kv_heads == 2);
  BOOST_TEST(c.head_dim == 4);
  BOOST_TEST(c.vocab_size == 10);  // from tokenizer.ggml.tokens
  BOOST_TEST(c.rms_norm_eps == static_cast<double>(1e-5f));
  BOOST_TEST(c.rope_theta == 500000.0);
  BOOST_TEST(c.partial_rotary_factor == 1.0);
  BOOST_TEST(c.max_position_embeddings == 4096);
  BOOST_TEST(c.tie_word_embeddings == true);  // no output.weight
  BOOST_TEST(c.attention_bias == false);
  BOOST_TEST(c.bos_token_id.value() == 1);
  BOOST_TEST(c.eos_token_id.value() == 2);
  const nlohmann::json want = {{"rope_type", "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 1024}};
  BOOST_TEST(c.rope_scaling == want, c.rope_scaling.dump());
  BOOST_TEST(c.source == (kDir / "tiny_llama.gguf").string());
}

BOOST_AUTO_TEST_CASE(tiny_qwen2_config) {
  rb::GgufFile f(kDir / "tiny_qwen2.gguf");
  const rb::ModelConfig c = rb::gguf_model_config(f);
  BOOST_TEST(c.architecture == "Qwen2ForCausalLM");
  BOOST_TEST(c.model_type == "qwen2");
  BOOST_TEST(c.vocab_size == 10);  // from qwen2.vocab_size
  BOOST_TEST(c.rope_theta == 10000.0);  // default: no freq_base key
  BOOST_TEST(c.tie_word_embeddings == false);
  BOOST_TEST(c.attention_bias == true);
  BOOST_TEST(c.rope_scaling.is_null());
}

// The Q/K rows of tiny_llama.gguf were permuted with convert_hf_to_gguf.py's numpy code
// (q: n_head = 4, k: n_head = n_kv_head = 2); loading must give back the HF rows exactly.
BOOST_AUTO_TEST_CASE(llama_qk_permutation_inverse) { check_tiny_weights("tiny_llama.gguf"); }

// Qwen2 is not permuted, and its q/k/v biases map to *.bias.
BOOST_AUTO_TEST_CASE(qwen2_weights_not_permuted) { check_tiny_weights("tiny_qwen2.gguf"); }

BOOST_AUTO_TEST_CASE(unsupported_architecture_and_missing_keys) {
  rb::GgufFile f(kDir / "metadata.gguf");  // architecture "ropebatch-test"
  try {
    rb::gguf_model_config(f);
    BOOST_ERROR("no error");
  } catch (const rb::InputError& e) {
    BOOST_TEST(std::string(e.what()).find("unsupported architecture 'ropebatch-test'") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find("metadata.gguf") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(smollm2_config, *utf::precondition(HasSmolLM2())) {
  rb::GgufFile f(smollm2_path());
  BOOST_TEST(f.version() == 3u);
  const rb::ModelConfig c = rb::gguf_model_config(f);
  BOOST_TEST(c.architecture == "LlamaForCausalLM");
  BOOST_TEST(c.num_layers == 30);
  BOOST_TEST(c.hidden_size == 576);
  BOOST_TEST(c.intermediate_size == 1536);
  BOOST_TEST(c.num_heads == 9);
  BOOST_TEST(c.num_kv_heads == 3);
  BOOST_TEST(c.head_dim == 64);
  BOOST_TEST(c.vocab_size == 49152);
  BOOST_TEST(c.rope_theta == 100000.0);
  BOOST_TEST(c.rms_norm_eps == static_cast<double>(1e-5f));
  BOOST_TEST(c.max_position_embeddings == 8192);
  BOOST_TEST(c.tie_word_embeddings == true);
  BOOST_TEST(c.attention_bias == false);
  BOOST_TEST(c.rope_scaling.is_null());
  BOOST_TEST(c.bos_token_id.value() == 1);
  BOOST_TEST(c.eos_token_id.value() == 2);
  BOOST_TEST(f.get_string_array("tokenizer.ggml.tokens").size() == 49152u);
  BOOST_TEST(f.find_tensor("blk.0.attn_q.weight")->ggml_type == 3u);  // Q4_1
  BOOST_TEST(f.find_tensor("token_embd.weight")->ggml_type == 8u);    // Q8_0
}

// blk.0.attn_q.weight (Q4_1, un-permuted) and token_embd.weight (Q8_0) against transformers'
// GGUF loader (tests/fixtures/gguf/smollm2_q_proj_rows.json), bit for bit.
BOOST_AUTO_TEST_CASE(smollm2_weights_match_transformers, *utf::precondition(HasSmolLM2())) {
  const nlohmann::json ref = nlohmann::json::parse(std::ifstream(kDir / "smollm2_q_proj_rows.json"));
  rb::GgufFile f(smollm2_path());
  const rb::ModelConfig c = rb::gguf_model_config(f);
  // Q4_1 projections kept 4-bit (the default) and expanded to fp32 must both give transformers' values.
  for (const bool packed : {true, false}) {
    const rb::ModelWeights w = rb::load_gguf_weights(f, c, packed);
    BOOST_CHECK_NO_THROW(w.validate_against(c));
    BOOST_TEST(w.find("lm_head.weight") == nullptr);  // tied
    BOOST_TEST(w.get("model.layers.0.self_attn.q_proj.weight").is_packed() == packed);
    for (const auto& [name, key, shape_key] :
         {std::tuple{"model.layers.0.self_attn.q_proj.weight", "q_proj_rows", "q_proj_shape"},
          std::tuple{"model.embed_tokens.weight", "embed_tokens_rows", "embed_tokens_shape"}}) {
      BOOST_TEST_CONTEXT(name << (packed ? " (kept 4-bit)" : " (expanded)")) {
        const rb::HostTensor& t = w.get(name);
        BOOST_TEST(t.shape == ref.at(shape_key).get<std::vector<int64_t>>(), boost::test_tools::per_element());
        const auto rows = ref.at(key).get<std::vector<std::vector<float>>>();
        std::vector<float> values = t.data;
        if (t.is_packed()) {
          values.resize(rows.size() * static_cast<size_t>(t.cols()));
          t.packed->dequantize_rows(0, static_cast<int64_t>(rows.size()), values.data());
        }
        for (size_t r = 0; r < rows.size(); ++r) {
          BOOST_REQUIRE(rows[r].size() == static_cast<size_t>(t.cols()));
          BOOST_TEST(same_bits(&values[r * t.cols()], rows[r].data(), rows[r].size()), "row " << r);
        }
      }
    }
  }
  // The permutation matters: the stored (permuted) rows differ from transformers' rows.
  const rb::HostTensor raw = f.read_tensor("blk.0.attn_q.weight");
  const auto row1 = ref.at("q_proj_rows")[1].get<std::vector<float>>();
  BOOST_TEST(!same_bits(&raw.data[1 * raw.cols()], row1.data(), row1.size()));
}
