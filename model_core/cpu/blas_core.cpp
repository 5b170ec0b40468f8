#include "model_core/cpu/blas_core.hpp"

#include <cblas.h>

#include <cctype>
#include <cstdlib>

namespace rb::cpu {

std::string openblas_core() {
  const char* name = openblas_get_corename();
  return name ? name : "";
}

std::optional<std::string> better_openblas_core() {
#if defined(__x86_64__)
  if (std::getenv("OPENBLAS_CORETYPE")) return std::nullopt;  // the user's choice stands
  std::string core = openblas_core();
  for (char& c : core) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool avx2_core = core == "haswell" || core == "zen";
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                      __builtin_cpu_supports("avx512vl");
  if (avx2_core && avx512) return "SKYLAKEX";
#endif
  return std::nullopt;
}

}  // namespace rb::cpu
