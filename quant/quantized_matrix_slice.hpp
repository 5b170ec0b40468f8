#pragma once
// Slices of a 4-bit matrix for tensor parallelism, without requantizing: the codes and the
// parameters of exactly the groups the slice covers are copied, so every value of the slice equals
// the value of the same (row, column) of the whole matrix, bit for bit.
//   rows [r0, r0 + n)   (column-parallel q/k/v, gate/up): flat groups must start and end on the
//                       slice's edges ((r0 * cols) and (n * cols) multiples of group_size);
//                       act-order (g_idx) groups are per row, so any row range works.
//   cols [c0, c0 + n)   (row-parallel o_proj, down_proj): flat groups must not cross rows and c0, n
//                       must be multiples of group_size; act-order keeps every group of each row and
//                       the slice's g_idx entries.
// A slice that would cut a group throws rb::InputError(where, "group_size", ...).
#include <cstdint>
#include <string>

#include "quant/quantized_matrix.hpp"

namespace rb::quant {

QuantizedMatrix slice_rows(const QuantizedMatrix& m, int64_t r0, int64_t n, const std::string& where);
QuantizedMatrix slice_cols(const QuantizedMatrix& m, int64_t c0, int64_t n, const std::string& where);

}  // namespace rb::quant
