#pragma once
// Which OpenBLAS kernels the CPU backend runs on. OpenBLAS picks its kernels once, when the library
// is loaded, from the CPU it finds or from the environment variable OPENBLAS_CORETYPE. Debian 12's
// OpenBLAS 0.3.21 does not know AMD Zen 4 and runs it on the Haswell (AVX2) kernels; OpenBLAS 0.3.22
// maps Zen 4 to SkylakeX (its Changelog.txt, "x86_64: added support for AMD Zen 4 ... using the
// SkylakeX kernels"). The SkylakeX sgemm is about 1.3x faster there (docs/PERFORMANCE.md, "CPU
// backend"). The numbers differ only by fp32 summation order.
#include <optional>
#include <string>

namespace rb::cpu {

// The kernels the loaded OpenBLAS runs (as OpenBLAS names them: "Haswell", "SkylakeX", ...).
std::string openblas_core();

// The OPENBLAS_CORETYPE to start with when this CPU has AVX-512 (F, CD, BW, DQ, VL) but OpenBLAS
// chose an AVX2 core for it, and OPENBLAS_CORETYPE is not set; nullopt otherwise.
std::optional<std::string> better_openblas_core();

}  // namespace rb::cpu
