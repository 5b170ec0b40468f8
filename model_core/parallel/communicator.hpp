#pragma once
// The collectives of a tensor-parallel group (Megatron's core/tensor_parallel/mappings.py names
// them where the model uses them: reduce_from_tensor_model_parallel_region after a row-parallel
// projection, and the parallel log-softmax of the vocabulary-parallel LM head). Implementations:
// MPI (mpi_communicator.hpp): the CPU backend's fp32 collectives, and the host side of a GPU group,
// whose device collectives are NCCL's (model_core/cuda/nccl_group.hpp, set up over this one).
// Every call is collective: all ranks of the group make it, in the same order, with the same size.
#include <cstddef>
#include <cstdint>
#include <span>

namespace rb {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;  // 0 .. size()-1 within the group
  virtual int size() const = 0;
  // In place: every rank ends with the element-wise sum / max / min over the group.
  virtual void all_reduce_sum(std::span<float> values) = 0;
  virtual void all_reduce_sum(std::span<double> values) = 0;
  virtual void all_reduce_max(std::span<float> values) = 0;
  virtual void all_reduce_min(std::span<int64_t> values) = 0;
  // In place: every rank ends with `root`'s bytes.
  virtual void broadcast(std::span<std::byte> bytes, int root) = 0;
};

}  // namespace rb
