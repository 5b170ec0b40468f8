// The CUDA backend's environment settings (model_core/cuda/cuda_options.hpp), read without a GPU:
// each value is taken, and a bad one is refused with the variable's name and what is allowed.
// Builds without the CUDA backend report the cases as skipped.
#define BOOST_TEST_MODULE cuda_options
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <string>

#include "common/error.hpp"
#include "cuda_built.hpp"
#if ROPEBATCH_HAVE_CUDA
#include "model_core/cuda/cuda_options.hpp"
#endif

namespace {

using rbtest::cuda_built;

// Sets one variable for a scope.
struct Env {
  Env(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~Env() { unsetenv(name_); }
  const char* name_;
};

}  // namespace

#if ROPEBATCH_HAVE_CUDA
using rb::cuda::cuda_options_from_env;

BOOST_AUTO_TEST_CASE(gemm_choice_and_logs, *boost::unit_test::precondition(cuda_built)) {
  BOOST_TEST(rb::cuda::to_string(cuda_options_from_env().gemm) == "cublas");
  BOOST_TEST(!cuda_options_from_env().gemm_log);
  BOOST_TEST(!cuda_options_from_env().attention_log);
  for (const std::string text : {"cublas", "lt", "tuned"}) {
    const Env e("RB_CUDA_GEMM", text.c_str());
    BOOST_TEST(rb::cuda::to_string(cuda_options_from_env().gemm) == text);
    // describe() names a choice other than the default, as the runs' config field records it
    const std::string d = rb::cuda::describe(cuda_options_from_env());
    BOOST_TEST((d.find(", gemm " + text) != std::string::npos) == (text != "cublas"), d);
  }
  {
    const Env a("RB_CUDA_GEMM_LOG", "1"), b("RB_CUDA_ATTN_LOG", "1");
    BOOST_TEST(cuda_options_from_env().gemm_log);
    BOOST_TEST(cuda_options_from_env().attention_log);
  }
  const Env zero("RB_CUDA_ATTN_LOG", "0");
  BOOST_TEST(!cuda_options_from_env().attention_log);
}

BOOST_AUTO_TEST_CASE(mlp_rows_and_batch_tokens, *boost::unit_test::precondition(cuda_built)) {
  BOOST_TEST(cuda_options_from_env().mlp_rows == 0);
  BOOST_TEST(cuda_options_from_env().batch_tokens == 32768);
  const Env m("RB_CUDA_MLP_ROWS", "16384"), t("RB_CUDA_BATCH_TOKENS", "65536");
  BOOST_TEST(cuda_options_from_env().mlp_rows == 16384);
  BOOST_TEST(cuda_options_from_env().batch_tokens == 65536);
  BOOST_TEST(rb::cuda::describe(cuda_options_from_env()).find(", MLP rows 16384") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(lm_rows_and_glu_table, *boost::unit_test::precondition(cuda_built)) {
  BOOST_TEST(cuda_options_from_env().lm_rows == 0);
  BOOST_TEST(cuda_options_from_env().glu_table);
  const Env m("RB_CUDA_LM_ROWS", "8192"), g("RB_CUDA_GLU_TABLE", "0");
  BOOST_TEST(cuda_options_from_env().lm_rows == 8192);
  BOOST_TEST(!cuda_options_from_env().glu_table);
  const std::string d = rb::cuda::describe(cuda_options_from_env());
  BOOST_TEST(d.find(", LM head rows 8192") != std::string::npos, d);
  BOOST_TEST(d.find(", activation computed") != std::string::npos, d);
}

BOOST_AUTO_TEST_CASE(bad_values_name_the_variable, *boost::unit_test::precondition(cuda_built)) {
  const auto refused = [](const char* name, const char* value, const std::string& needle) {
    const Env e(name, value);
    try {
      (void)cuda_options_from_env();
      BOOST_ERROR(name << "=" << value << " was accepted");
    } catch (const rb::InputError& err) {
      BOOST_TEST(err.field().empty());
      BOOST_TEST(err.file() == name);
      BOOST_TEST(std::string(err.what()).find(needle) != std::string::npos, err.what());
    }
  };
  refused("RB_CUDA_GEMM", "fast", "must be cublas, lt or tuned, got 'fast'");
  refused("RB_CUDA_GEMM_LOG", "yes", "must be 0 or 1, got 'yes'");
  refused("RB_CUDA_ATTN_LOG", "2", "must be 0 or 1, got '2'");
  refused("RB_CUDA_MLP_ROWS", "0", "must be a positive integer, got '0'");
  refused("RB_CUDA_MLP_ROWS", "8k", "must be a positive integer, got '8k'");
  refused("RB_CUDA_BATCH_TOKENS", "-5", "must be a positive integer, got '-5'");
  refused("RB_CUDA_LM_ROWS", "0", "must be a positive integer, got '0'");
  refused("RB_CUDA_GLU_TABLE", "off", "must be 0 or 1, got 'off'");
}
#else
BOOST_AUTO_TEST_CASE(gemm_choice_and_logs, *boost::unit_test::precondition(cuda_built)) {}
#endif
