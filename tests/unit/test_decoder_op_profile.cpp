// TimedDecoderOps attributes every op of the one decoder loop to its class, exactly once, right
// after the op ran: a breakdown's calls add up to the loop's op count and nothing runs unmarked.
#define BOOST_TEST_MODULE decoder_op_profile
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "model_core/config.hpp"
#include "model_core/decoder/op_profile.hpp"
#include "model_core/model_def/model_def.hpp"

namespace {

using namespace rb;

// Records each op as it runs; the timer records each mark, so the log interleaves them.
struct Log {
  std::vector<std::string> events;
};

class RecordingOps final : public DecoderOps {
 public:
  RecordingOps(Log& log, int64_t rows, int64_t chunk) : log_(log), rows_(rows), chunk_(chunk) {}
  int64_t rows() const override { return rows_; }
  int64_t mlp_chunk_rows() const override { return chunk_; }
  void embedding() override { op("embedding"); }
  void rms_norm(int64_t, TensorRole) override { op("norm"); }
  void add_rms_norm(int64_t, TensorRole) override { op("norm"); }
  void norm_output(int64_t, TensorRole, RowRange) override { op("norm"); }
  void linear(int64_t, Proj p, RowRange) override {
    op(p == Proj::QKV ? "qkv_proj" : p == Proj::O ? "o_proj" : p == Proj::GateUp ? "gate_up_proj" : "down_proj");
  }
  void add_bias(int64_t, TensorRole, Act, RowRange) override { op("bias"); }
  void qk_norm(int64_t) override { op("qk_norm"); }
  void rope(int64_t) override { op("rope"); }
  void attention(int64_t) override { op("attention"); }
  void gated_act(RowRange) override { op("gated_act"); }
  void all_reduce_sum(Act, RowRange) override { op("all_reduce"); }
  void lm_head_logprob() override { op("lm_head"); }

 private:
  void op(const std::string& name) { log_.events.push_back("op:" + name); }
  Log& log_;
  int64_t rows_, chunk_;
};

class RecordingTimer final : public OpTimer {
 public:
  explicit RecordingTimer(Log& log) : log_(log) {}
  void mark(OpClass c) override {
    log_.events.push_back("mark:" + std::string(op_class_name(c)));
    ++times_.calls[static_cast<size_t>(c)];
  }
  OpTimes times_;

 private:
  Log& log_;
};

ModelConfig small_config(bool qk_norm, bool sandwich) {
  ModelConfig c;
  c.num_layers = 3;
  c.hidden_size = 8;
  c.num_heads = 2;
  c.num_kv_heads = 2;
  c.head_dim = 4;
  c.intermediate_size = 16;
  c.vocab_size = 32;
  c.qk_norm = qk_norm;
  c.sandwich_norms = sandwich;
  return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_op_is_marked_once_with_its_class_right_after_it_runs) {
  for (const bool tp : {false, true})
    for (const bool qk : {false, true})
      for (const bool sandwich : {false, true}) {
        Log log;
        RecordingOps inner(log, /*rows=*/10, /*chunk=*/4);  // 3 MLP chunks per layer
        RecordingTimer timer(log);
        TimedDecoderOps timed(inner, timer);
        const ModelConfig c = small_config(qk, sandwich);
        run_decoder(c, ShardSpec{0, tp ? 2 : 1}, timed);
        BOOST_REQUIRE(log.events.size() % 2 == 0);
        for (size_t i = 0; i < log.events.size(); i += 2) {
          BOOST_TEST_CONTEXT("event " << i) {
            BOOST_TEST(log.events[i].rfind("op:", 0) == 0u);
            BOOST_TEST(log.events[i].substr(3) == log.events[i + 1].substr(5));  // "op:x" then "mark:x"
          }
        }
        const OpTimes& t = timer.times_;
        const int64_t L = c.num_layers, chunks = 3;
        BOOST_TEST(t.calls_of(OpClass::Embedding) == 1);
        BOOST_TEST(t.calls_of(OpClass::QkvProj) == L);
        BOOST_TEST(t.calls_of(OpClass::Attention) == L);
        BOOST_TEST(t.calls_of(OpClass::GateUpProj) == L * chunks);
        BOOST_TEST(t.calls_of(OpClass::DownProj) == L * chunks);
        BOOST_TEST(t.calls_of(OpClass::QkNorm) == (qk ? L : 0));
        BOOST_TEST(t.calls_of(OpClass::AllReduce) == (tp ? L * (1 + chunks) : 0));
        BOOST_TEST(t.calls_of(OpClass::Norm) == 1 + 2 * L + (sandwich ? L * (1 + chunks) : 0));
        BOOST_TEST(t.calls_of(OpClass::LmHead) == 1);
      }
}

BOOST_AUTO_TEST_CASE(every_class_has_a_distinct_name) {
  std::vector<std::string> names;
  for (int i = 0; i < kOpClassCount; ++i) names.emplace_back(op_class_name(static_cast<OpClass>(i)));
  for (size_t i = 0; i < names.size(); ++i)
    for (size_t j = i + 1; j < names.size(); ++j) BOOST_TEST(names[i] != names[j]);
  BOOST_TEST(std::string(op_class_name(OpClass::kCount)) == "?");
}
