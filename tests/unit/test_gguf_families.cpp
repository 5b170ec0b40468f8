// GGUF files of Qwen3, Phi-3 and Gemma-3 as llama.cpp's convert_hf_to_gguf.py writes them
// (tests/fixtures/make_gguf_family_fixtures.py) read as the same models as their source
// checkpoints: the same configuration, the same perplexity as `ropebatch eval` on the
// safetensors (fp32 on both sides, the same arithmetic: within 1e-6 relative) and as
// transformers on the source checkpoint (within 1e-4 relative, as every eval reference).
#define BOOST_TEST_MODULE gguf_families
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "common/error.hpp"
#include "model_core/config.hpp"
#include "model_core/loaders/gguf.hpp"
#include "model_core/loaders/gguf_model.hpp"
#include "model_core/model_def/model_def.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kFamilies = fs::path(RB_FIXTURES) / "gguf" / "families";

rb::ModelConfig gguf_config(const std::string& file) {
  rb::GgufFile f(kFamilies / file);
  return rb::gguf_model_config(f);
}

// What the decoder computes from: equal between the GGUF file and the source config.json.
void check_same_model(const rb::ModelConfig& g, const rb::ModelConfig& h) {
  BOOST_TEST(g.architecture == h.architecture);
  BOOST_TEST(g.model_type == h.model_type);
  BOOST_TEST(g.vocab_size == h.vocab_size);
  BOOST_TEST(g.hidden_size == h.hidden_size);
  BOOST_TEST(g.intermediate_size == h.intermediate_size);
  BOOST_TEST(g.num_layers == h.num_layers);
  BOOST_TEST(g.num_heads == h.num_heads);
  BOOST_TEST(g.num_kv_heads == h.num_kv_heads);
  BOOST_TEST(g.head_dim == h.head_dim);
  BOOST_TEST(static_cast<float>(g.rms_norm_eps) == static_cast<float>(h.rms_norm_eps));  // stored as f32
  BOOST_TEST(g.rope_theta == h.rope_theta);
  BOOST_TEST(g.partial_rotary_factor == h.partial_rotary_factor);
  BOOST_TEST(g.max_position_embeddings == h.max_position_embeddings);
  BOOST_TEST(g.tie_word_embeddings == h.tie_word_embeddings);
  BOOST_TEST(g.attention_bias == h.attention_bias);
  BOOST_TEST(g.qk_norm == h.qk_norm);
  BOOST_TEST((g.hidden_act == h.hidden_act));
  BOOST_TEST(g.embedding_scale == h.embedding_scale);
  BOOST_TEST(g.sandwich_norms == h.sandwich_norms);
  BOOST_TEST(g.attention_scale() == h.attention_scale());
  BOOST_TEST(g.sliding_window == h.sliding_window);
  for (int64_t i = 0; i < h.num_layers; ++i) BOOST_TEST(g.window_of(i) == h.window_of(i), "layer " << i);
  BOOST_TEST(g.rope_schedule_count() == h.rope_schedule_count());
  for (int64_t i = 0; i < h.num_layers; ++i) BOOST_TEST(g.rope_index(i) == h.rope_index(i), "layer " << i);
  for (size_t i = 0; i < h.rope_by_layer_type.size() && i < g.rope_by_layer_type.size(); ++i) {
    BOOST_TEST(g.rope_by_layer_type[i].layer_type == h.rope_by_layer_type[i].layer_type);
    BOOST_TEST(g.rope_by_layer_type[i].rope_theta == h.rope_by_layer_type[i].rope_theta);
    BOOST_TEST(g.rope_by_layer_type[i].rope_scaling.dump() == h.rope_by_layer_type[i].rope_scaling.dump());
  }
}

json eval_json(const std::string& model, const std::string& extra, const std::string& lengths) {
  const auto res = rbtest::run_ropebatch("eval --model " + model + " --data " + rbtest::fixture("text/genesis.txt") +
                                         " --lengths " + lengths + " --max-tokens 512 --format json " + extra);
  BOOST_REQUIRE_MESSAGE(res.status == 0, model << ": " << res.err);
  return json::parse(res.out)["results"];
}

// The GGUF file's perplexity: the safetensors checkpoint's within 1e-6, transformers' rows of
// `reference` for `model` (rope `rope`) within 1e-4.
void check_eval(const std::string& gguf, const std::string& model, const std::string& reference, const json& rope,
                const std::string& tokenizer_arg) {
  std::ifstream in(rbtest::fixture(reference));
  const json refs = json::parse(in);
  json rows = json::array();
  std::string lengths;
  for (const json& r : refs)
    if (r["model"] == model && r["rope"] == rope) {
      rows.push_back(r);
      lengths += (lengths.empty() ? "" : ",") + r["length"].dump();
    }
  BOOST_REQUIRE_EQUAL(rows.size(), 3u);
  const json from_gguf = eval_json((kFamilies / gguf).string(), tokenizer_arg, lengths);
  const json from_hf = eval_json(rbtest::fixture("models/" + model), "", lengths);
  for (size_t i = 0; i < rows.size(); ++i) {
    BOOST_TEST_CONTEXT(gguf << " L=" << rows[i]["length"]) {
      BOOST_TEST(from_gguf[i]["predictions"] == rows[i]["predictions"]);
      const double ppl = from_gguf[i]["ppl"].get<double>();
      BOOST_TEST(std::abs(ppl / from_hf[i]["ppl"].get<double>() - 1.0) <= 1e-6);
      BOOST_TEST(std::abs(ppl / rows[i]["ppl"].get<double>() - 1.0) <= 1e-4);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(phi3_config_is_the_checkpoints) {
  const rb::ModelConfig g = gguf_config("phi3_lr.gguf");
  const rb::ModelConfig h = rb::load_hf_config(rbtest::fixture("models/phi3_lr/config.json"));
  check_same_model(g, h);
  // LongRoPE from rope_factors_long / rope_factors_short and the converter's attn_factor.
  BOOST_TEST(g.rope_scaling.at("rope_type") == "longrope");
  BOOST_TEST(g.rope_scaling.at("original_max_position_embeddings") == 64);
  for (const char* list : {"long_factor", "short_factor"}) {
    const auto got = g.rope_scaling.at(list).get<std::vector<double>>();
    const auto want = h.rope_scaling.at(list).get<std::vector<double>>();
    BOOST_REQUIRE_EQUAL(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) BOOST_TEST(static_cast<float>(got[i]) == static_cast<float>(want[i]));
  }
  BOOST_TEST(static_cast<float>(g.rope_scaling.at("attention_factor").get<double>()) ==
             static_cast<float>(std::sqrt(1.0 + std::log(4.0) / std::log(64.0))));
}

BOOST_AUTO_TEST_CASE(phi3_perplexity_matches_transformers) {
  const json longrope = {{"rope_type", "longrope"}, {"partial_rotary_factor", 0.75}, {"original_max_position_embeddings", 64},
                         {"short_factor", {1.0, 1.1, 1.3, 1.6, 2.0, 2.5}}, {"long_factor", {1.0, 1.5, 2.2, 3.0, 3.6, 4.0}}};
  check_eval("phi3_lr.gguf", "phi3_lr", "rope/family_eval_reference.json", longrope,
             "--tokenizer " + rbtest::fixture("models/phi3_lr"));
}

// Q4_0 projections stay packed and the fused attn_qkv / ffn_up split by rows into q/k/v and
// gate/up: each part dequantizes to exactly the rows of the file's values read as fp32.
BOOST_AUTO_TEST_CASE(phi3_q4_0_fused_projections_split_packed) {
  rb::GgufFile f(kFamilies / "phi3_lr_q4_0.gguf");
  const rb::ModelConfig c = rb::gguf_model_config(f);
  rb::ModelWeights packed = rb::load_gguf_weights(f, c, /*keep_q4_packed=*/true);
  rb::ModelWeights plain = rb::load_gguf_weights(f, c, /*keep_q4_packed=*/false);
  BOOST_REQUIRE(packed.find("model.layers.0.self_attn.qkv_proj.weight") != nullptr);
  BOOST_TEST(packed.find("model.layers.0.self_attn.qkv_proj.weight")->is_packed());
  rb::split_fused_tensors(c, packed);
  rb::split_fused_tensors(c, plain);
  for (int64_t layer = 0; layer < c.num_layers; ++layer)
    for (const char* part : {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.gate_proj", "mlp.up_proj"}) {
      const std::string name = "model.layers." + std::to_string(layer) + "." + part + ".weight";
      BOOST_TEST_CONTEXT(name) {
        const rb::HostTensor* p = packed.find(name);
        const rb::HostTensor* q = plain.find(name);
        BOOST_REQUIRE(p != nullptr && q != nullptr);
        BOOST_REQUIRE(p->is_packed());
        BOOST_TEST(p->shape == q->shape, boost::test_tools::per_element());
        std::vector<float> rows(static_cast<size_t>(p->packed->rows * p->packed->cols));
        p->packed->dequantize_rows(0, p->packed->rows, rows.data());
        const std::vector<float> want = rb::to_f32(*q);
        BOOST_REQUIRE_EQUAL(rows.size(), want.size());
        BOOST_TEST(rows == want, boost::test_tools::per_element());
      }
    }
  BOOST_CHECK_NO_THROW(packed.validate_against(c));
}

BOOST_AUTO_TEST_CASE(phi3_gguf_tokenizer_refused_with_the_way_out) {
  const auto res = rbtest::run_ropebatch("eval --model " + (kFamilies / "phi3_lr.gguf").string() + " --data " +
                                         rbtest::fixture("text/genesis.txt") + " --lengths 32");
  BOOST_TEST(res.status != 0);
  BOOST_TEST(res.err.find("general.architecture") != std::string::npos, res.err);
  BOOST_TEST(res.err.find("--tokenizer") != std::string::npos, res.err);
}

BOOST_AUTO_TEST_CASE(qwen3_gguf_with_its_own_tokenizer) {
  check_same_model(gguf_config("qwen3_full.gguf"), rb::load_hf_config(rbtest::fixture("models/qwen3_full/config.json")));
  check_eval("qwen3_full.gguf", "qwen3_full", "rope/gguf_family_reference.json", "checkpoint", "");
}

BOOST_AUTO_TEST_CASE(gemma3_gguf_is_the_checkpoint) {
  const rb::ModelConfig g = gguf_config("gemma3_p6.gguf");
  const rb::ModelConfig h = rb::load_hf_config(rbtest::fixture("models/gemma3_p6/config.json"));
  check_same_model(g, h);
  BOOST_TEST(g.norm_weight_offset == 0.0f);  // the converter stored 1 + w
  BOOST_TEST(h.norm_weight_offset == 1.0f);
  check_eval("gemma3_p6.gguf", "gemma3_p6", "rope/gguf_family_reference.json", "checkpoint",
             "--tokenizer " + rbtest::fixture("models/gemma3_p6"));
}

// The keys llama.cpp's gemma3 may carry beyond the converter's: a bool per layer for the
// sliding layers and the sliding layers' own RoPE base.
BOOST_AUTO_TEST_CASE(gemma3_pattern_and_local_base_keys) {
  const rb::ModelConfig c = gguf_config("gemma3_keys.gguf");
  BOOST_TEST(c.architecture == "Gemma3ForCausalLM");
  BOOST_TEST(c.sliding_window == 32);
  const std::vector<int64_t> windows = {c.window_of(0), c.window_of(1), c.window_of(2), c.window_of(3)};
  BOOST_TEST(windows == std::vector<int64_t>({32, 0, 0, 32}), boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(c.rope_by_layer_type.size(), 2u);
  BOOST_TEST(c.rope_by_layer_type[0].layer_type == "full_attention");
  BOOST_TEST(c.rope_by_layer_type[0].rope_theta == 1e6);
  BOOST_TEST(c.rope_by_layer_type[1].layer_type == "sliding_attention");
  BOOST_TEST(c.rope_by_layer_type[1].rope_theta == 2e4);
  BOOST_TEST(c.embedding_scale == 8.0);
  BOOST_TEST(c.attention_scale() == 0.25);  // 1/sqrt(head_dim 16)
  BOOST_TEST(c.norm_weight_offset == 0.0f);
}
