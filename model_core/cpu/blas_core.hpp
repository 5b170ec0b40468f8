#pragma once
// Which OpenBLAS kernels the CPU backend runs on. OpenBLAS picks them once, when the library is
// loaded, from the CPU it finds or from the environment variable OPENBLAS_CORETYPE; `--verbose
// eval` names them, since they set the CPU backend's speed (docs/PERFORMANCE.md, "CPU backend").
#include <string>

namespace rb::cpu {

// The kernels the loaded OpenBLAS runs (as OpenBLAS names them: "Haswell", "SkylakeX", ...).
std::string openblas_core();

}  // namespace rb::cpu
