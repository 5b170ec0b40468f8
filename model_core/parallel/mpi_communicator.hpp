#pragma once
// Communicator over an MPI communicator (a tensor-parallel group split from MPI_COMM_WORLD).
// MPI must be initialized while it is used; the communicator is not owned (the caller frees it).
#include <mpi.h>

#include "model_core/parallel/communicator.hpp"

namespace rb {

class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(MPI_Comm comm);
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void all_reduce_sum(std::span<float> values) override;
  void all_reduce_sum(std::span<double> values) override;
  void all_reduce_max(std::span<float> values) override;
  void all_reduce_min(std::span<int64_t> values) override;
  void broadcast(std::span<std::byte> bytes, int root) override;

 private:
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
};

// The tensor-parallel layout of MPI_COMM_WORLD: consecutive ranks form a group of `tp` (ranks
// 0..tp-1 are group 0), so a group sits on one node when ranks fill nodes in order.
struct TensorParallelLayout {
  int world_rank = 0, world_size = 1;
  int tp = 1;         // ranks per group
  int group = 0;      // this rank's group, 0 .. groups-1
  int groups = 1;
  int tp_rank = 0;    // this rank's place in its group (its shard)
  MPI_Comm group_comm = MPI_COMM_NULL;  // MPI_Comm_split of MPI_COMM_WORLD by group; freed by the caller
};
// Throws InputError("command line", "--tp", ...) when tp < 1 or does not divide the world size.
TensorParallelLayout split_tensor_parallel(int tp);

}  // namespace rb
