#include "harness/eval_parallel.hpp"

#include <algorithm>
#include <cmath>

#include <mpi.h>

#include "common/error.hpp"

namespace rb::cli {

EvalParallel::EvalParallel(int tp) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
  }
  try {
    layout_ = split_tensor_parallel(tp);
  } catch (...) {
    MPI_Finalize();
    throw;
  }
  comm_ = std::make_unique<MpiCommunicator>(layout_.group_comm);
}

EvalParallel::~EvalParallel() {
  comm_.reset();
  if (layout_.group_comm != MPI_COMM_NULL) MPI_Comm_free(&layout_.group_comm);
  MPI_Finalize();
}

std::vector<data::Window> EvalParallel::share(const std::vector<data::Window>& all) const {
  std::vector<data::Window> mine;
  for (size_t i = static_cast<size_t>(layout_.group); i < all.size(); i += static_cast<size_t>(layout_.groups))
    mine.push_back(all[i]);
  return mine;
}

LengthResult EvalParallel::gather(const LengthResult& mine, size_t total_windows) const {
  // Each group's leader contributes its windows at their places; the other slots stay 0.
  std::vector<double> nll(total_windows, 0.0);
  std::vector<int64_t> predictions(total_windows, 0);
  if (layout_.tp_rank == 0)
    for (size_t k = 0; k < mine.window_nll.size(); ++k) {
      const size_t i = k * static_cast<size_t>(layout_.groups) + static_cast<size_t>(layout_.group);
      nll[i] = mine.window_nll[k];
      predictions[i] = mine.window_predictions[k];
    }
  const auto check = [](int rc) {
    if (rc != MPI_SUCCESS) throw Error("MPI_Allreduce of the window results failed");
  };
  check(MPI_Allreduce(MPI_IN_PLACE, nll.data(), static_cast<int>(total_windows), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
  check(MPI_Allreduce(MPI_IN_PLACE, predictions.data(), static_cast<int>(total_windows), MPI_INT64_T, MPI_SUM,
                      MPI_COMM_WORLD));
  double seconds = mine.seconds;
  check(MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
  LengthResult r;
  r.length = mine.length;
  r.windows = static_cast<int64_t>(total_windows);
  r.window_nll = std::move(nll);
  r.window_predictions = std::move(predictions);
  for (size_t i = 0; i < total_windows; ++i) {  // in window order, as score_windows sums
    r.nll_sum += r.window_nll[i];
    r.predictions += r.window_predictions[i];
  }
  r.ppl = r.predictions > 0 ? std::exp(r.nll_sum / static_cast<double>(r.predictions)) : NAN;
  r.seconds = seconds;
  return r;
}

}  // namespace rb::cli
