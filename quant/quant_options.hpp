#pragma once
// The user's choice of quantize-at-load: `--quant none|nf4|nf4-dq|int4|int4-asym` and
// `--group-size N` (int4 only; default 128; nf4 blocks are always 64 as bitsandbytes').
// Pre-quantized checkpoints (GPTQ, AWQ, GGUF) are used as published and need `none`.
#include <cstdint>
#include <string>

#include "quant/quantized_matrix.hpp"

namespace rb::quant {

struct QuantOptions {
  std::string name = "none";  // as the user spelled it, canonical
  int64_t group_size = 0;     // 0 = the scheme's default
  bool enabled() const { return name != "none"; }
  Scheme scheme() const;            // nf4 -> NF4, nf4-dq -> NF4_DQ, int4 -> INT4, int4-asym -> INT4_ASYM
  int64_t effective_group_size() const;  // 64 for nf4*, group_size or 128 for int4*
  std::string label() const;        // "nf4", "int4-g128", "int4-asym-g64", "none"
};

// Names are matched ignoring case and stored canonical (lower case). Throws
// rb::InputError(source, field, ...) for an unknown name (with a suggestion), a group size below 2
// (0 = not given), or a group size given with nf4 / nf4-dq. scheme() of "none" throws rb::Error.
QuantOptions parse_quant_options(const std::string& name, int64_t group_size, const std::string& source,
                                 const std::string& field);

}  // namespace rb::quant
