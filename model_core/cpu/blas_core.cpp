#include "model_core/cpu/blas_core.hpp"

#include <cblas.h>

namespace rb::cpu {

std::string openblas_core() {
  const char* name = openblas_get_corename();
  return name ? name : "";
}

}  // namespace rb::cpu
