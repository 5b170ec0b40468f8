#pragma once
// Quantization as grids and run records spell it: "none", "nf4", "nf4-dq", "int4", "int4-asym",
// optionally with a group size suffix for int4 ("int4-g64", "int4-asym-g32"). The canonical label
// (QuantOptions::label: "int4" becomes "int4-g128") is what run configurations store.
#include <string>

#include "quant/quant_options.hpp"

namespace rb {

// Throws InputError(source, field, ...) for an unknown name or a bad group size.
quant::QuantOptions quant_from_label(const std::string& label, const std::string& source, const std::string& field);

}  // namespace rb
