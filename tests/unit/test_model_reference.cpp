// The whole CPU path — loaders, tokenizer, RoPE, forward — against Hugging Face transformers'
// per-token log-probabilities (tests/fixtures/make_fixtures.py, fp32 eager attention).
//
// Tolerance: 1e-4 absolute per token log-prob. Both sides are fp32; they differ only in summation
// order (OpenBLAS vs PyTorch GEMM blocking, attention accumulation), which for these widths
// (<= 576) moves logits by ~1e-6 relative; 1e-4 leaves two orders of margin while still catching
// any real error (a wrong RoPE pair, bias or norm shifts log-probs by >= 1e-2).
#define BOOST_TEST_MODULE model_reference
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <span>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "harness/scoring.hpp"
#include "model_core/backend.hpp"
#include "model_core/loaders/gguf.hpp"
#include "model_core/loaders/gguf_model.hpp"
#include "model_core/model.hpp"

namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  BOOST_REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return nlohmann::json::parse(in);
}

void check_against_reference(const std::string& model_path, const nlohmann::json& ref, const std::string& text_path) {
  rb::Model model = rb::load_model(model_path);
  // Token ids: our tokenizer on the same text must give HF's ids.
  std::ifstream in(text_path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<int32_t> ids = model.tokenizer->encode(ss.str(), true);
  const auto ref_ids = ref["ids"].get<std::vector<int32_t>>();
  BOOST_REQUIRE_GE(ids.size(), ref_ids.size());
  ids.resize(ref_ids.size());
  BOOST_REQUIRE_MESSAGE(ids == ref_ids, model_path << ": token ids differ from Hugging Face's");

  auto backend = rb::make_cpu_backend(model, rb::BackendOptions{});
  rb::rope::RopeModelInfo info{model.config.head_dim, model.config.partial_rotary_factor, model.config.rope_theta,
                               model.config.max_position_embeddings};
  auto rope = rb::rope::make_rope_method(model.config.rope_scaling, info);
  for (const auto& r : ref["results"]) {
    const int64_t L = r["length"];
    const auto& ref_windows = r["logprobs"];
    const rb::rope::RopeSchedule schedule = rope->schedule(L);
    double max_err = 0.0;
    for (size_t w = 0; w < ref_windows.size(); ++w) {
      std::vector<std::span<const int32_t>> spans{std::span<const int32_t>(ids.data() + w * L, L)};
      const auto scores = backend->score(spans, schedule);
      const auto expected = ref_windows[w].get<std::vector<double>>();
      BOOST_REQUIRE_EQUAL(scores[0].logprob.size(), expected.size());
      for (size_t t = 0; t < expected.size(); ++t)
        max_err = std::max(max_err, std::abs(static_cast<double>(scores[0].logprob[t]) - expected[t]));
    }
    BOOST_TEST_MESSAGE(model_path << " L=" << L << " max |logprob - HF| = " << max_err);
    BOOST_CHECK_MESSAGE(max_err <= 1e-4, model_path << " L=" << L << ": max |logprob - HF| = " << max_err);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(llama_gqa_sentencepiece_f32) {
  const std::string dir = rbtest::fixture("models/llama_gqa");
  check_against_reference(dir, read_json(dir + "/reference.json"), rbtest::fixture("text/genesis.txt"));
}

BOOST_AUTO_TEST_CASE(llama_sharded_f16_llama3_tokenizer) {
  const std::string dir = rbtest::fixture("models/llama_sharded");
  check_against_reference(dir, read_json(dir + "/reference.json"), rbtest::fixture("text/genesis.txt"));
}

BOOST_AUTO_TEST_CASE(qwen2_bias_bf16_tied) {
  const std::string dir = rbtest::fixture("models/qwen2_bias");
  check_against_reference(dir, read_json(dir + "/reference.json"), rbtest::fixture("text/genesis.txt"));
}

// Pre-quantized checkpoints (tests/fixtures/make_quant_model_fixtures.py): the reference is
// transformers on the weights AutoGPTQ's / AutoAWQ's own dequantization gives; 4-bit stays 4-bit here.
BOOST_AUTO_TEST_CASE(gptq_v1_act_order) {
  const std::string dir = rbtest::fixture("models/llama_gqa_gptq");
  check_against_reference(dir, read_json(dir + "/reference.json"), rbtest::fixture("text/genesis.txt"));
}

BOOST_AUTO_TEST_CASE(gptq_v2_asymmetric) {
  const std::string dir = rbtest::fixture("models/llama_gqa_gptq_v2");
  check_against_reference(dir, read_json(dir + "/reference.json"), rbtest::fixture("text/genesis.txt"));
}

BOOST_AUTO_TEST_CASE(awq_gemm) {
  const std::string dir = rbtest::fixture("models/llama_gqa_awq");
  check_against_reference(dir, read_json(dir + "/reference.json"), rbtest::fixture("text/genesis.txt"));
}

// The real GGUF's Q4_1 projections kept 4-bit score exactly as the same file expanded to fp32.
BOOST_AUTO_TEST_CASE(smollm2_q4_kept_packed_equals_expanded) {
  const std::string gguf = rbtest::smollm2_gguf();
  if (gguf.empty() || rbtest::sanitized()) {
    BOOST_TEST_MESSAGE("skipped: RB_SMOLLM2_GGUF not set (scripts/setup.sh exports it) or sanitizer build");
    return;
  }
  rb::Model packed = rb::load_model(gguf);
  BOOST_REQUIRE(packed.weights.get("model.layers.0.self_attn.q_proj.weight").is_packed());
  BOOST_CHECK_EQUAL(packed.quant, "gguf-q4_1");
  rb::Model expanded = rb::load_model(gguf, rb::LoadOptions{.load_tokenizer = false, .load_weights = false});
  rb::GgufFile file(gguf);
  expanded.weights = rb::load_gguf_weights(file, expanded.config, /*keep_q4_packed=*/false);
  BOOST_REQUIRE(!expanded.weights.get("model.layers.0.self_attn.q_proj.weight").is_packed());
  const std::vector<int32_t> ids = packed.tokenizer->encode("In the beginning God created the heaven and the earth. "
                                                            "And the earth was without form, and void.", true);
  rb::rope::RopeModelInfo info{packed.config.head_dim, packed.config.partial_rotary_factor, packed.config.rope_theta,
                               packed.config.max_position_embeddings};
  const auto schedule = rb::rope::make_rope_method(packed.config.rope_scaling, info)->schedule(static_cast<int64_t>(ids.size()));
  const auto a = rb::make_cpu_backend(packed, rb::BackendOptions{})->score({std::span<const int32_t>(ids)}, schedule);
  const auto b = rb::make_cpu_backend(expanded, rb::BackendOptions{})->score({std::span<const int32_t>(ids)}, schedule);
  BOOST_REQUIRE_EQUAL(a[0].logprob.size(), b[0].logprob.size());
  for (size_t t = 0; t < a[0].logprob.size(); ++t) BOOST_REQUIRE_EQUAL(a[0].logprob[t], b[0].logprob[t]);
}

BOOST_AUTO_TEST_CASE(smollm2_gguf_q4_1) {
  const std::string gguf = rbtest::smollm2_gguf();
  if (gguf.empty() || rbtest::sanitized()) {
    BOOST_TEST_MESSAGE("skipped: RB_SMOLLM2_GGUF not set (scripts/setup.sh exports it) or sanitizer build");
    return;
  }
  check_against_reference(gguf, read_json(rbtest::fixture("models/smollm2_reference.json")),
                          rbtest::fixture("text/smollm2.txt"));
}
