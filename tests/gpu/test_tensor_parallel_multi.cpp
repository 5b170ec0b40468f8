// Tensor parallelism over several GPUs (ctest label gpu-multi; skipped where fewer than two CUDA
// devices are visible): `mpirun -n 2 ropebatch eval --tp 2 --backend cuda` (NCCL) against
// `--tp 1` on one GPU, for the fixture models (Llama GQA, Qwen2 with biases, GPTQ, int4 quantized at
// load) and the RoPE methods, perplexity within 0.3% (bf16: each rank rounds its partial sums
// before the all-reduce, as Megatron does); with four GPUs also two groups of two (-n 4 --tp 2);
// and a `run --tp 2` sweep against `run --tp 1` run by run. Run with NCCL_NVLS_ENABLE=0.
#define BOOST_TEST_MODULE tensor_parallel_multi
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>

#include <cuda_runtime.h>
#include <nlohmann/json.hpp>

#include "tests/unit/sweep_helpers.hpp"
#include "tests/unit/tp_eval.hpp"

namespace {

int visible_gpus() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) return 0;
  return n;
}

struct AtLeast {
  int gpus;
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result r(visible_gpus() >= gpus);
    r.message() << "needs " << gpus << " CUDA devices, " << visible_gpus() << " visible";
    return r;
  }
};

void check_close(const std::string& model, const std::string& rope, int ranks, int tp, const std::string& extra = "") {
  const nlohmann::json one = rbtest::shell_json(std::string(RB_BINARY) + rbtest::tp_eval_args(model, rope, " --backend cuda" + extra));
  const nlohmann::json par =
      rbtest::shell_json("NCCL_NVLS_ENABLE=0 " + rbtest::mpirun(ranks) +
                         rbtest::tp_eval_args(model, rope, " --backend cuda" + extra + " --tp " + std::to_string(tp)));
  BOOST_TEST_CONTEXT(model << " rope " << (rope.empty() ? "(the model's)" : rope) << extra << " -n " << ranks << " --tp " << tp) {
    BOOST_REQUIRE_EQUAL(one["results"].size(), par["results"].size());
    for (size_t i = 0; i < one["results"].size(); ++i) {
      const double pa = one["results"][i]["ppl"], pb = par["results"][i]["ppl"];
      BOOST_TEST_MESSAGE(model << " " << rope << extra << " L=" << one["results"][i]["length"] << ": ppl --tp 1 " << pa
                               << ", --tp " << tp << " " << pb << " (" << 100.0 * (pb - pa) / pa << "%)");
      BOOST_TEST(std::abs(pb - pa) <= 3e-3 * pa);
      BOOST_TEST(one["results"][i]["predictions"] == par["results"][i]["predictions"]);
    }
  }
}

const char* kRopes[] = {"", R"({"rope_type":"linear","factor":2})", R"({"rope_type":"ntk","factor":2})",
                        R"({"rope_type":"dynamic","factor":2})", R"({"rope_type":"yarn","factor":4})",
                        R"({"rope_type":"llama3","factor":8,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":64})"};

}  // namespace

BOOST_AUTO_TEST_CASE(eval_tp_2_over_nccl_equals_tp_1, *boost::unit_test::precondition(AtLeast{2})) {
  for (const char* rope : kRopes) {
    check_close("llama_gqa", rope, 2, 2);
    check_close("qwen2_bias", rope, 2, 2);
  }
  check_close("llama_gqa_gptq", "", 2, 2);
  check_close("llama_gqa", "", 2, 2, " --quant int4 --group-size 16");
}

BOOST_AUTO_TEST_CASE(two_groups_of_two_over_nccl_equal_tp_1, *boost::unit_test::precondition(AtLeast{4})) {
  check_close("llama_gqa", R"({"rope_type":"yarn","factor":2})", 4, 2);
  check_close("qwen2_bias", "", 4, 2);
}

BOOST_AUTO_TEST_CASE(run_tp_2_over_nccl_equals_run_tp_1, *boost::unit_test::precondition(AtLeast{2})) {
  const auto dir = rbtest::sweep_scratch("tp_cuda");
  const std::string grid = std::string(RB_SOURCE_DIR) + "/tests/grids/tp_test.toml";
  BOOST_REQUIRE(std::system((rbtest::mpirun(1) + rbtest::run_args(grid, dir, "tp1.h5") + " --backend cuda 2>/dev/null").c_str()) == 0);
  BOOST_REQUIRE(std::system(("NCCL_NVLS_ENABLE=0 " + rbtest::mpirun(2) + rbtest::run_args(grid, dir, "tp2.h5") +
                             " --backend cuda --tp 2 2>/dev/null").c_str()) == 0);
  const auto a = rbtest::runs_by_id((dir / "tp1.h5").string()), b = rbtest::runs_by_id((dir / "tp2.h5").string());
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  for (const auto& [id, x] : a) {
    const auto& y = b.at(id);
    BOOST_TEST(x.status == y.status);
    if (x.ppl && y.ppl) BOOST_TEST(std::abs(*y.ppl - *x.ppl) <= 3e-3 * *x.ppl);
  }
}
