#include "model_core/parallel/mpi_communicator.hpp"

#include <string>

#include "common/error.hpp"

namespace rb {
namespace {

void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  throw Error(std::string(call) + " failed: " + std::string(msg, static_cast<size_t>(len)));
}

template <class T>
void all_reduce(std::span<T> values, MPI_Datatype type, MPI_Op op, MPI_Comm comm, const char* what) {
  if (values.empty()) return;
  check(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), type, op, comm), what);
}

}  // namespace

MpiCommunicator::MpiCommunicator(MPI_Comm comm) : comm_(comm) {
  check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
}

void MpiCommunicator::all_reduce_sum(std::span<float> v) { all_reduce(v, MPI_FLOAT, MPI_SUM, comm_, "MPI_Allreduce(sum)"); }
void MpiCommunicator::all_reduce_sum(std::span<double> v) { all_reduce(v, MPI_DOUBLE, MPI_SUM, comm_, "MPI_Allreduce(sum)"); }
void MpiCommunicator::all_reduce_max(std::span<float> v) { all_reduce(v, MPI_FLOAT, MPI_MAX, comm_, "MPI_Allreduce(max)"); }
void MpiCommunicator::all_reduce_min(std::span<int64_t> v) { all_reduce(v, MPI_INT64_T, MPI_MIN, comm_, "MPI_Allreduce(min)"); }

void MpiCommunicator::broadcast(std::span<std::byte> bytes, int root) {
  if (bytes.empty()) return;
  check(MPI_Bcast(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, root, comm_), "MPI_Bcast");
}

TensorParallelLayout split_tensor_parallel(int tp) {
  TensorParallelLayout t;
  check(MPI_Comm_rank(MPI_COMM_WORLD, &t.world_rank), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &t.world_size), "MPI_Comm_size");
  if (tp < 1) throw InputError("command line", "--tp", "must be >= 1");
  if (t.world_size % tp != 0)
    throw InputError("command line", "--tp", std::to_string(tp) + " does not divide the " + std::to_string(t.world_size) +
                     " MPI ranks; start a multiple of " + std::to_string(tp) + " ranks (mpirun -n " +
                     std::to_string(tp) + ", " + std::to_string(2 * tp) + ", ...)");
  t.tp = tp;
  t.groups = t.world_size / tp;
  t.group = t.world_rank / tp;
  t.tp_rank = t.world_rank % tp;
  check(MPI_Comm_split(MPI_COMM_WORLD, t.group, t.tp_rank, &t.group_comm), "MPI_Comm_split");
  return t;
}

}  // namespace rb
