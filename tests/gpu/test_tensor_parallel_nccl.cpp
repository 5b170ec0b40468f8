// The CUDA backend's tensor-parallel path on one device: a rank that joins an NCCL group (of one,
// over MPI_COMM_SELF) runs the vocabulary-parallel LM head's fold over NCCL, and scores every
// window bit-identically to the whole-model backend (a group of one folds exactly: max, sum * 1,
// the same index). Groups of several GPUs: test_tensor_parallel_multi.cpp (label gpu-multi).
#define BOOST_TEST_MODULE tensor_parallel_nccl
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <mpi.h>

#include <string>
#include <vector>

#include "model_core/backend.hpp"
#include "model_core/model.hpp"
#include "model_core/parallel/mpi_communicator.hpp"
#include "rope_methods/rope_method.hpp"
#include "tests/gpu/require_device.hpp"

using namespace rbtest;

namespace {

struct Mpi {
  Mpi() { MPI_Init(nullptr, nullptr); }
  ~Mpi() { MPI_Finalize(); }
};

std::vector<std::vector<int32_t>> windows(int64_t n, int64_t L, int64_t vocab) {
  std::vector<std::vector<int32_t>> w(static_cast<size_t>(n), std::vector<int32_t>(static_cast<size_t>(L)));
  uint32_t s = 12345;
  for (auto& win : w)
    for (auto& t : win) t = static_cast<int32_t>((s = s * 1664525u + 1013904223u) >> 8) % static_cast<int32_t>(vocab);
  return w;
}

}  // namespace

BOOST_GLOBAL_FIXTURE(RequireDevice);
BOOST_GLOBAL_FIXTURE(Mpi);

BOOST_AUTO_TEST_CASE(a_group_of_one_over_nccl_scores_as_the_whole_model) {
  rb::MpiCommunicator self(MPI_COMM_SELF);
  for (const std::string name : {"llama_gqa", "qwen2_bias"}) {
    const rb::Model model = rb::load_model(std::string(RB_FIXTURES) + "/models/" + name);
    rb::BackendOptions whole;
    whole.kind = "cuda";
    rb::BackendOptions grouped = whole;
    grouped.tensor_parallel = &self;
    auto a = rb::make_backend(model, whole);
    auto b = rb::make_backend(model, grouped);
    rb::rope::RopeModelInfo info;
    info.head_dim = model.config.head_dim;
    info.partial_rotary_factor = model.config.partial_rotary_factor;
    info.rope_theta = model.config.rope_theta;
    info.max_position_embeddings = model.config.max_position_embeddings;
    const auto rope = rb::rope::make_rope_method(nlohmann::json{{"rope_type", "yarn"}, {"factor", 2.0}}, info);
    const int64_t L = 200;
    const auto w = windows(3, L, model.config.vocab_size);
    std::vector<std::span<const int32_t>> spans(w.begin(), w.end());
    const auto sa = a->score(spans, rope->schedule(L));
    const auto sb = b->score(spans, rope->schedule(L));
    BOOST_REQUIRE_EQUAL(sa.size(), sb.size());
    for (size_t i = 0; i < sa.size(); ++i) {
      BOOST_TEST(sa[i].logprob == sb[i].logprob, name << " window " << i);
      BOOST_TEST(sa[i].is_argmax == sb[i].is_argmax, name << " window " << i);
    }
  }
}
