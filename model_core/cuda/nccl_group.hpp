#pragma once
// The device collectives of a tensor-parallel GPU group: one NCCL communicator over the ranks of a
// host group (model_core/parallel/communicator.hpp), whose leader makes the ncclUniqueId and
// broadcasts it. Every call is collective (all ranks, same order, same sizes) and asynchronous on
// `stream`, in place on device memory. Names follow Megatron's mappings.py where the model uses
// them (decoder/decoder_loop.cpp: reduce_from_tensor_parallel_region; the LM head's parallel
// log-softmax: lm_head.hpp).
#include <cstdint>
#include <memory>

#include <cuda_runtime.h>

namespace rb {
class Communicator;
}

namespace rb::cuda {

class NcclGroup {
 public:
  // Collective over `host`; the current CUDA device is this rank's. Throws rb::Error on failure.
  explicit NcclGroup(Communicator& host);
  ~NcclGroup();
  NcclGroup(const NcclGroup&) = delete;
  NcclGroup& operator=(const NcclGroup&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // T: float, __half or __nv_bfloat16 (summed in T, as Megatron's bf16 all-reduce).
  template <typename T>
  void all_reduce_sum(T* values, int64_t count, cudaStream_t stream);
  void all_reduce_max(float* values, int64_t count, cudaStream_t stream);
  void all_reduce_min(int32_t* values, int64_t count, cudaStream_t stream);

 private:
  struct Comm;
  std::unique_ptr<Comm> comm_;
  int rank_ = 0, size_ = 1;
};

}  // namespace rb::cuda
