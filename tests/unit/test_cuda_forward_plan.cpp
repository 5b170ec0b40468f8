// The CUDA backend's memory plan (model_core/cuda/forward_plan.hpp), made without a GPU: the MLP's
// row chunks fill the work buffer and fit in it, and the plan's byte count follows where the
// residual is stored. Builds without the CUDA backend report the cases as skipped.
#define BOOST_TEST_MODULE cuda_forward_plan
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cstdint>

#include "model_core/config.hpp"
#include "cuda_built.hpp"
#if ROPEBATCH_HAVE_CUDA
#include "model_core/cuda/forward_plan.hpp"
#endif

namespace {

using rbtest::cuda_built;

// Llama-3-8B's and TinyLlama-1.1B's shapes (their config.json).
rb::ModelConfig llama3_8b() {
  rb::ModelConfig c;
  c.vocab_size = 128256;
  c.hidden_size = 4096;
  c.intermediate_size = 14336;
  c.num_layers = 32;
  c.num_heads = 32;
  c.num_kv_heads = 8;
  c.head_dim = 128;
  return c;
}

rb::ModelConfig tinyllama() {
  rb::ModelConfig c;
  c.vocab_size = 32000;
  c.hidden_size = 2048;
  c.intermediate_size = 5632;
  c.num_layers = 22;
  c.num_heads = 32;
  c.num_kv_heads = 4;
  c.head_dim = 64;
  return c;
}

}  // namespace

#if ROPEBATCH_HAVE_CUDA

BOOST_AUTO_TEST_CASE(mlp_chunks_fill_the_work_buffer, *boost::unit_test::precondition(cuda_built)) {
  // Llama-3-8B, one 32,768-token window: the attention's qkv + output rows size the work buffer,
  // which holds 7,801 MLP rows (gate|up and activation); TinyLlama, 16 windows of 2,048: 8,936.
  const rb::cuda::ForwardPlan llama = rb::cuda::make_forward_plan(llama3_8b(), 2, 2, 1, 32768);
  BOOST_TEST(llama.mlp_chunk == 7801);
  const rb::cuda::ForwardPlan tiny = rb::cuda::make_forward_plan(tinyllama(), 2, 2, 16, 2048);
  BOOST_TEST(tiny.mlp_chunk == 8936);
  for (const rb::cuda::ForwardPlan* p : {&llama, &tiny}) {
    const int64_t ff = p == &llama ? 14336 : 5632;
    BOOST_TEST(p->mlp_act_offset >= p->mlp_chunk * 2 * ff);              // gate|up of a chunk
    BOOST_TEST(p->work_elems >= p->mlp_act_offset + p->mlp_chunk * ff);  // and its activation
    BOOST_TEST(p->work_elems >= p->rows * ((32 + 2 * (p == &llama ? 8 : 4)) * (p == &llama ? 128 : 64)));  // qkv rows
  }
  // RB_CUDA_MLP_ROWS: at least that many rows per chunk, the work buffer grown to hold them.
  const rb::cuda::ForwardPlan wide = rb::cuda::make_forward_plan(llama3_8b(), 2, 2, 1, 32768, 16384);
  BOOST_TEST(wide.mlp_chunk == 16384);
  BOOST_TEST(wide.work_elems >= wide.mlp_act_offset + 16384 * 14336);
  BOOST_TEST(rb::cuda::make_forward_plan(llama3_8b(), 2, 2, 1, 32768, 100).mlp_chunk == 7801);  // never fewer
  // A batch that fits whole is one chunk.
  BOOST_TEST(rb::cuda::make_forward_plan(tinyllama(), 2, 2, 1, 2048).mlp_chunk == 2048);
}

BOOST_AUTO_TEST_CASE(lm_head_chunks_with_t_logits_fill_the_work_buffer, *boost::unit_test::precondition(cuda_built)) {
  // bf16 logits take half the bytes of fp32: the LM head's GEMMs take as many rows as the work
  // buffer holds in whole 4,096-row steps, up to 16,384 (fp32 logits keep 4,096 rows).
  const rb::cuda::ForwardPlan llama = rb::cuda::make_forward_plan(llama3_8b(), 2, 2, 1, 32768);
  BOOST_TEST(llama.lm.row_chunk == 4096);
  BOOST_TEST(llama.lm.row_chunk_t == 16384);
  const rb::cuda::ForwardPlan tiny = rb::cuda::make_forward_plan(tinyllama(), 2, 2, 16, 2048);
  BOOST_TEST(tiny.lm.row_chunk_t == 8192);
  for (const rb::cuda::ForwardPlan* p : {&llama, &tiny})
    BOOST_TEST(p->work_elems >= p->lm.row_chunk_t * p->lm.vocab_chunk);
  // RB_CUDA_LM_ROWS: that many, within what the buffer holds; never fewer than the fp32 chunk.
  BOOST_TEST(rb::cuda::make_forward_plan(llama3_8b(), 2, 2, 1, 32768, 0, 8192).lm.row_chunk_t == 8192);
  BOOST_TEST(rb::cuda::make_forward_plan(llama3_8b(), 2, 2, 1, 32768, 0, 100).lm.row_chunk_t == 4096);
  BOOST_TEST(rb::cuda::make_forward_plan(tinyllama(), 2, 2, 16, 2048, 0, 32768).lm.row_chunk_t == tiny.work_elems / 16384);
  // A small batch is one GEMM of its rows.
  BOOST_TEST(rb::cuda::make_forward_plan(tinyllama(), 2, 2, 1, 2048).lm.row_chunk_t == 2048);
}

BOOST_AUTO_TEST_CASE(plan_bytes_follow_the_residual_storage, *boost::unit_test::precondition(cuda_built)) {
  const rb::ModelConfig c = llama3_8b();
  const auto in_t = rb::cuda::make_forward_plan(c, 2, 2, 1, 32768);
  const auto in_f32 = rb::cuda::make_forward_plan(c, 2, 4, 1, 32768);
  BOOST_TEST(in_f32.bytes - in_t.bytes == std::size_t{32768} * 4096 * 2);
}

#else

BOOST_AUTO_TEST_CASE(forward_plan_needs_the_cuda_backend, *boost::unit_test::precondition(cuda_built)) {}

#endif
