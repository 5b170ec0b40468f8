#include "model_core/cuda/nccl_group.hpp"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstddef>
#include <span>
#include <type_traits>

#include "model_core/cuda/nccl_check.hpp"
#include "model_core/parallel/communicator.hpp"

namespace rb::cuda {

struct NcclGroup::Comm {
  ncclComm_t comm = nullptr;
  ~Comm() {
    if (comm) ncclCommDestroy(comm);
  }
};

NcclGroup::NcclGroup(Communicator& host) : comm_(std::make_unique<Comm>()), rank_(host.rank()), size_(host.size()) {
  ncclUniqueId id{};
  if (rank_ == 0) NCCL_CHECK(ncclGetUniqueId(&id));
  host.broadcast(std::as_writable_bytes(std::span<ncclUniqueId>(&id, 1)), 0);
  NCCL_CHECK(ncclCommInitRank(&comm_->comm, size_, id, rank_));
}

NcclGroup::~NcclGroup() = default;

namespace {
template <typename T>
ncclDataType_t nccl_type() {
  if constexpr (std::is_same_v<T, float>) return ncclFloat32;
  else if constexpr (std::is_same_v<T, __half>) return ncclFloat16;
  else if constexpr (std::is_same_v<T, __nv_bfloat16>) return ncclBfloat16;
  else if constexpr (std::is_same_v<T, int32_t>) return ncclInt32;
}
}  // namespace

template <typename T>
void NcclGroup::all_reduce_sum(T* values, int64_t count, cudaStream_t stream) {
  if (count <= 0) return;
  NCCL_CHECK(ncclAllReduce(values, values, static_cast<size_t>(count), nccl_type<T>(), ncclSum, comm_->comm, stream));
}

void NcclGroup::all_reduce_max(float* values, int64_t count, cudaStream_t stream) {
  if (count <= 0) return;
  NCCL_CHECK(ncclAllReduce(values, values, static_cast<size_t>(count), ncclFloat32, ncclMax, comm_->comm, stream));
}

void NcclGroup::all_reduce_min(int32_t* values, int64_t count, cudaStream_t stream) {
  if (count <= 0) return;
  NCCL_CHECK(ncclAllReduce(values, values, static_cast<size_t>(count), ncclInt32, ncclMin, comm_->comm, stream));
}

template void NcclGroup::all_reduce_sum<float>(float*, int64_t, cudaStream_t);
template void NcclGroup::all_reduce_sum<__half>(__half*, int64_t, cudaStream_t);
template void NcclGroup::all_reduce_sum<__nv_bfloat16>(__nv_bfloat16*, int64_t, cudaStream_t);

}  // namespace rb::cuda
