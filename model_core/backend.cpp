#include "model_core/backend.hpp"

#include "common/error.hpp"
#ifdef ROPEBATCH_HAVE_CUDA
#include "model_core/cuda/cuda_backend.hpp"
#endif

namespace rb {

std::unique_ptr<Backend> make_backend(const Model& model, const BackendOptions& opts) {
  if (opts.kind == "cpu") return make_cpu_backend(model, opts);
  if (opts.kind == "cuda") {
    if (opts.qk_probe) throw Error("the q/k probe (Q-ROAR's tail diagnostics) runs on the CPU backend only");
#ifdef ROPEBATCH_HAVE_CUDA
    return make_cuda_backend(model, opts);
#else
    throw Error("--backend cuda: this ropebatch was built without the CUDA backend (no CUDA compiler at build time)");
#endif
  }
  throw Error("--backend: unknown backend '" + opts.kind + "'; allowed: cpu, cuda");
}

}  // namespace rb
