// The CPU backend on 4-bit weights: each projection dequantized into a scratch buffer before its
// GEMM must give exactly the log-probs of the same model holding the dequantized values in fp32
// (issue quant: "results identical to dequantize-then-fp32"), for every scheme, with q/k/v biases,
// in the fast and the naive forward; and 4-bit embeddings are refused.
#define BOOST_TEST_MODULE cpu_quantized
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <memory>
#include <span>
#include <string>

#include "common/error.hpp"
#include "model_core/backend.hpp"
#include "model_core/cpu/naive_forward.hpp"
#include "model_core/loaders/quantize_at_load.hpp"
#include "quant/quant_options.hpp"
#include "quant/quantizers.hpp"
#include "test_cpu_model.hpp"

using namespace rb;

namespace {

// The model `quantized` would be if its 4-bit projections were plain fp32 tensors.
Model dequantized_copy(const Model& quantized) {
  Model dense;
  dense.config = quantized.config;
  dense.weights.source = quantized.weights.source;
  for (const auto& [name, t] : quantized.weights.tensors) {
    HostTensor d;
    d.shape = t.shape;
    if (t.is_packed()) {
      d.data.resize(static_cast<size_t>(t.numel()));
      t.packed->dequantize_rows(0, t.packed->rows, d.data.data());
    } else {
      d.data = t.data;
    }
    dense.weights.tensors.emplace(name, std::move(d));
  }
  return dense;
}

}  // namespace

BOOST_AUTO_TEST_CASE(four_bit_forward_equals_dequantized_fp32_forward) {
  test::TinySpec spec;
  spec.hidden = 64;
  spec.intermediate = 96;
  spec.attention_bias = true;
  spec.model_type = "qwen2";
  for (const auto& [name, group] : {std::pair<const char*, int64_t>{"nf4", 0}, {"nf4-dq", 0}, {"int4", 32},
                                    {"int4-asym", 16}}) {
    Model q = test::make_tiny_model(spec, 3);
    const Model full = test::make_tiny_model(spec, 3);
    quantize_projections(q.weights, q.config, quant::parse_quant_options(name, group, "test", "quant"));
    const HostTensor& qp = q.weights.get("model.layers.0.self_attn.q_proj.weight");
    BOOST_REQUIRE(qp.is_packed());
    BOOST_CHECK(qp.data.empty());
    BOOST_CHECK(!q.weights.get("model.embed_tokens.weight").is_packed());
    BOOST_CHECK(!q.weights.get("lm_head.weight").is_packed());
    const Model dense = dequantized_copy(q);

    const int64_t L = 40;
    const std::vector<int32_t> tokens = test::random_tokens(L, spec.vocab, 7);
    const rope::RopeSchedule s = test::plain_schedule(q.config, L);
    auto bq = make_cpu_backend(q, BackendOptions{"cpu", 2, -1});
    auto bd = make_cpu_backend(dense, BackendOptions{"cpu", 2, -1});
    auto bf = make_cpu_backend(full, BackendOptions{"cpu", 2, -1});
    const auto sq = bq->score({std::span<const int32_t>(tokens)}, s)[0];
    const auto sd = bd->score({std::span<const int32_t>(tokens)}, s)[0];
    const auto sf = bf->score({std::span<const int32_t>(tokens)}, s)[0];
    double changed = 0, mean_nll_q = 0, mean_nll_full = 0;
    for (size_t t = 0; t < sq.logprob.size(); ++t) {
      BOOST_REQUIRE_MESSAGE(sq.logprob[t] == sd.logprob[t], name << ": position " << t << ": 4-bit " << sq.logprob[t]
                                                                 << " vs dequantized fp32 " << sd.logprob[t]);
      changed = std::max(changed, std::abs(static_cast<double>(sq.logprob[t]) - sf.logprob[t]));
      mean_nll_q -= sq.logprob[t] / static_cast<double>(sq.logprob.size());
      mean_nll_full -= sf.logprob[t] / static_cast<double>(sf.logprob.size());
    }
    // Quantization must change the numbers (else the 4-bit path was not taken) but stay a copy of
    // the same model: mean NLL within 0.25 nats of full precision (about 4.4 nats on this model).
    BOOST_TEST_MESSAGE(name << ": max |4-bit - full precision| log-prob " << changed << ", mean NLL " << mean_nll_q
                            << " vs " << mean_nll_full);
    BOOST_CHECK_GT(changed, 1e-4);
    BOOST_CHECK_LT(std::abs(mean_nll_q - mean_nll_full), 0.25);

    const auto naive = cpu::naive_forward(q, tokens, s);
    for (size_t t = 0; t < naive.scores.logprob.size(); ++t) BOOST_CHECK_SMALL(naive.scores.logprob[t] - sq.logprob[t], 1e-4f);
  }
}

BOOST_AUTO_TEST_CASE(a_packed_embedding_is_refused) {
  test::TinySpec spec;
  Model m = test::make_tiny_model(spec, 1);
  HostTensor& e = m.weights.tensors.at("model.embed_tokens.weight");
  e.packed = std::make_shared<const quant::QuantizedMatrix>(
      quant::quantize_nf4(e.data.data(), e.shape[0], e.shape[1], false, "embed"));
  e.data.clear();
  try {
    make_cpu_backend(m, BackendOptions{"cpu", 1, -1});
    BOOST_FAIL("expected an InputError");
  } catch (const InputError& err) {
    BOOST_CHECK_NE(std::string(err.what()).find("model.embed_tokens.weight"), std::string::npos);
    BOOST_CHECK_NE(std::string(err.what()).find("only the attention and MLP projections"), std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(quantizing_twice_or_a_bad_group_is_refused) {
  test::TinySpec spec;  // hidden 32, intermediate 40
  Model m = test::make_tiny_model(spec, 2);
  BOOST_CHECK_THROW(quantize_projections(m.weights, m.config, quant::parse_quant_options("int4", 64, "t", "q")),
                    InputError);
  Model n = test::make_tiny_model(spec, 2);
  quantize_projections(n.weights, n.config, quant::parse_quant_options("nf4", 0, "t", "q"));
  try {
    quantize_projections(n.weights, n.config, quant::parse_quant_options("nf4", 0, "t", "q"));
    BOOST_FAIL("expected an InputError");
  } catch (const InputError& err) {
    BOOST_CHECK_NE(std::string(err.what()).find("already 4-bit"), std::string::npos);
  }
}
