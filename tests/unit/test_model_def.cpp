// The model definition (model_core/model_def/): validation of a checkpoint against its family's
// tensor table before any work — unused tensors, absurd layer counts, biases the config does not
// ask for — and the per-shard resolution that tensor parallelism builds on.
#define BOOST_TEST_DYN_LINK
#define BOOST_TEST_MODULE model_def
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <span>
#include <string>

#include "common/error.hpp"
#include "model_core/backend.hpp"
#include "model_core/model.hpp"
#include "model_core/loaders/quantize_at_load.hpp"
#include "model_core/loaders/safetensors.hpp"
#include "model_core/model_def/model_def.hpp"
#include "quant/quant_options.hpp"
#include "test_cpu_model.hpp"

using namespace rb;
namespace fs = std::filesystem;

namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(a_layer_the_config_does_not_use_is_an_error) {
  Model m = test::make_tiny_model(test::TinySpec{.layers = 3}, 1);
  m.config.source = "ckpt/config.json";
  m.config.num_layers = 2;  // uses 2 of the checkpoint's 3 layers
  const std::string msg = message_of([&] { ModelDef def(m); });
  BOOST_TEST_INFO(msg);
  BOOST_TEST(has(msg, "num_hidden_layers"));
  BOOST_TEST(has(msg, "model.layers.2."));
  BOOST_TEST(has(msg, "ckpt/config.json"));
}

BOOST_AUTO_TEST_CASE(absurd_layer_counts_fail_at_once) {
  Model m = test::make_tiny_model(test::TinySpec{}, 2);
  m.config.num_layers = int64_t{1} << 62;
  const auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(has(message_of([&] { m.weights.validate_against(m.config); }), "num_hidden_layers"));
  m.config.num_layers = 5;
  BOOST_TEST(has(message_of([&] { ModelDef def(m); }), "holds layers 0..1"));
  const bool instant = std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1);
  BOOST_TEST(instant);
}

BOOST_AUTO_TEST_CASE(a_bias_the_config_does_not_ask_for_is_an_error) {
  test::TinySpec spec;
  spec.attention_bias = true;
  spec.mlp_bias = true;
  Model m = test::make_tiny_model(spec, 3);
  m.config.mlp_bias = false;  // the checkpoint has MLP biases the config says it has not
  const std::string msg = message_of([&] { make_cpu_backend(m, {}); });
  BOOST_TEST_INFO(msg);
  BOOST_TEST(has(msg, "mlp.gate_proj.bias"));
  BOOST_TEST(has(msg, "mlp_bias"));
}

BOOST_AUTO_TEST_CASE(foreign_tensors_are_named_and_known_buffers_ignored) {
  Model m = test::make_tiny_model(test::TinySpec{}, 4);
  m.weights.unread.push_back("model.layers.0.self_attn.rotary_emb.inv_freq");  // older transformers' buffer
  BOOST_CHECK_NO_THROW(ModelDef def(m));
  m.weights.unread.push_back("transformer.h.0.attn.c_attn.weight");
  const std::string msg = message_of([&] { ModelDef def(m); });
  BOOST_TEST(has(msg, "transformer.h.0.attn.c_attn.weight"));
  BOOST_TEST(has(msg, "does not read"));
}

BOOST_AUTO_TEST_CASE(tied_lm_head_is_the_embedding_and_a_stored_copy_is_ignored) {
  test::TinySpec spec;
  spec.tied = true;
  Model m = test::make_tiny_model(spec, 5);
  m.weights.tensors["lm_head.weight"] = m.weights.get("model.embed_tokens.weight");  // saved twice, as some are
  const ModelDef def(m);
  BOOST_TEST(def.global(TensorRole::LmHead) == def.global(TensorRole::TokenEmbedding));
}

BOOST_AUTO_TEST_CASE(shards_hold_their_heads_and_features) {
  test::TinySpec spec;  // 4 heads, 2 KV heads, head_dim 16, intermediate 40, vocab 50
  spec.attention_bias = true;
  const Model m = test::make_tiny_model(spec, 6);
  const ModelDef whole(m);
  for (int size : {2, 4}) {
    for (int rank = 0; rank < size; ++rank) {
      const ModelDef part(m, ShardSpec{rank, size});
      const int64_t lh = 4 / size, D = 16;
      BOOST_TEST(part.dims().heads == lh);
      const HostTensor* q = part.layer(1, TensorRole::Q);
      BOOST_TEST(q->shape == (std::vector<int64_t>{lh * D, 32}));
      const HostTensor* q_full = whole.layer(1, TensorRole::Q);
      BOOST_TEST(q->data.front() == q_full->data[static_cast<size_t>(rank * lh * D * 32)]);
      // KV heads: split at 2 ranks, replicated (the head the rank's query heads share) at 4.
      const HostTensor* k = part.layer(0, TensorRole::K);
      const int64_t kv_head = size == 2 ? rank : rank / 2;
      BOOST_TEST(k->shape == (std::vector<int64_t>{D, 32}));
      BOOST_TEST(k->data.front() == whole.layer(0, TensorRole::K)->data[static_cast<size_t>(kv_head * D * 32)]);
      // Row-parallel o_proj: its columns of this rank's heads; its bias stays whole.
      const HostTensor* o = part.layer(0, TensorRole::O);
      BOOST_TEST(o->shape == (std::vector<int64_t>{32, lh * D}));
      BOOST_TEST(o->data[1] == whole.layer(0, TensorRole::O)->data[static_cast<size_t>(rank * lh * D + 1)]);
      // The MLP: 40 features split; down_proj by columns.
      BOOST_TEST(part.layer(0, TensorRole::Gate)->shape == (std::vector<int64_t>{40 / size, 32}));
      BOOST_TEST(part.layer(0, TensorRole::Down)->shape == (std::vector<int64_t>{32, 40 / size}));
      BOOST_TEST(part.global(TensorRole::FinalNorm) == whole.global(TensorRole::FinalNorm));
      BOOST_TEST(part.dims().vocab_begin == rank * ((50 + size - 1) / size));
    }
  }
}

BOOST_AUTO_TEST_CASE(shard_splits_that_do_not_fit_are_refused_before_work) {
  test::TinySpec spec;
  spec.hidden = 64;
  spec.intermediate = 96;
  Model m = test::make_tiny_model(spec, 7);
  BOOST_TEST(has(message_of([&] { ModelDef d(m, ShardSpec{0, 3}); }), "num_attention_heads"));
  // int4 groups of 32 over down_proj's 96 input features: 2 ranks would cut a group at 48.
  quantize_projections(m.weights, m.config, quant::parse_quant_options("int4", 32, "test", "quant"));
  const std::string msg = message_of([&] { ModelDef d(m, ShardSpec{1, 2}); });
  BOOST_TEST_INFO(msg);
  BOOST_TEST(has(msg, "group_size"));
  BOOST_TEST(has(msg, "down_proj"));
  BOOST_TEST(has(message_of([&] { make_cpu_backend(test::make_tiny_model(spec, 7), BackendOptions{.shard = {0, 2}}); }), "--tp"));
}

BOOST_AUTO_TEST_CASE(checkpoints_load_as_views_of_their_files_with_the_same_numbers) {
  const fs::path dir = fs::path(RB_FIXTURES) / "cpu" / "qwen2";
  const Model mapped = load_model(dir, LoadOptions{.load_tokenizer = false});
  const HostTensor& emb = mapped.weights.get("model.embed_tokens.weight");
  BOOST_TEST(emb.is_stored());
  BOOST_TEST(emb.data.empty());
  Model eager;
  eager.config = mapped.config;
  eager.weights = load_safetensors_weights(dir);
  BOOST_TEST(!eager.weights.get("model.embed_tokens.weight").is_stored());
  const std::vector<int32_t> tokens = test::random_tokens(40, mapped.config.vocab_size, 9);
  const auto s = test::plain_schedule(mapped.config, 40);
  const auto a = make_cpu_backend(mapped, {})->score({std::span<const int32_t>(tokens)}, s).at(0);
  const auto b = make_cpu_backend(eager, {})->score({std::span<const int32_t>(tokens)}, s).at(0);
  BOOST_TEST(a.logprob == b.logprob, boost::test_tools::per_element());
}
