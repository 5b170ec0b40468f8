#pragma once
// `ropebatch eval --tp N` under `mpirun -n M` (M a multiple of N): the ranks form M/N groups of N
// consecutive ranks (model_core/parallel), each group one tensor-parallel model; the windows of
// each length are dealt to the groups in turn (window i to group i mod M/N) and world rank 0 puts
// the per-window results back in window order, so the sums are the ones `--tp 1` makes.
#include <memory>
#include <vector>

#include "datasets/windows.hpp"
#include "harness/scoring.hpp"
#include "model_core/model_def/model_def.hpp"
#include "model_core/parallel/mpi_communicator.hpp"

namespace rb::cli {

class EvalParallel {
 public:
  explicit EvalParallel(int tp);  // initializes MPI and splits the world; throws on a bad --tp
  ~EvalParallel();                // frees the group and finalizes MPI
  EvalParallel(const EvalParallel&) = delete;
  EvalParallel& operator=(const EvalParallel&) = delete;

  bool prints() const { return layout_.world_rank == 0; }  // the rank that reports
  ShardSpec shard() const { return {layout_.tp_rank, layout_.tp}; }
  Communicator* communicator() { return comm_.get(); }
  int groups() const { return layout_.groups; }
  // This rank's group's share of `all`.
  std::vector<data::Window> share(const std::vector<data::Window>& all) const;
  // On every rank: the whole length's result from each group's share (collective over the world).
  LengthResult gather(const LengthResult& mine, size_t total_windows) const;

 private:
  TensorParallelLayout layout_;
  std::unique_ptr<MpiCommunicator> comm_;
};

}  // namespace rb::cli
