#pragma once
// Quantize-at-load: fp32 weights -> QuantizedMatrix, each exactly as its reference defines it.
//   nf4 / nf4-dq: bitsandbytes' quantize_4bit(quant_type="nf4", blocksize=64), fp32 absmax per block
//                 of 64 consecutive elements of the flattened tensor, codes chosen by bitsandbytes'
//                 dQuantizeNF4 decision tree on x * (1 / absmax); with double quantization the
//                 absmax values are themselves quantized (offset = mean, 8-bit dynamic code, blocks
//                 of 256) and the dequantized absmax is what scales the block (csrc/kernels.cu,
//                 bitsandbytes/functional.py). The mean is the double sum in index order / n, rounded
//                 once to fp32 (torch's fp32 mean can differ from it in the last bit). Where
//                 bitsandbytes' CPU path differs from its CUDA kernels, CUDA is followed: an all-zero
//                 block gets code 0 (-1.0, value -0), not 7 (quant/README.md lists the differences).
//   int4 / int4-asym: round-to-nearest with GPTQ's Quantizer.find_params (gptq/quant.py): per row
//                 and group of `group_size` columns, scale = (xmax - xmin) / 15 with
//                 xmin = min(min x, 0), xmax = max(max x, 0); symmetric: zero = 8, xmax = max(|xmin|, xmax)
//                 and xmin = -xmax only where xmin < 0 (a group without negative weights keeps xmin = 0,
//                 as GPTQ does); all-zero groups use xmin = -1, xmax = 1; asymmetric: zero =
//                 round(-xmin / scale); q = clamp(round(x / scale) + zero, 0, 15); value = scale * (q - zero).
//                 Symmetric matrices keep zero = 8 in the table (code k -> k - 8) and store no zeros.
// Both throw rb::InputError naming `where` for non-finite weights.
#include <cstdint>
#include <string>

#include "quant/quantized_matrix.hpp"

namespace rb::quant {

// w is row-major [rows, cols]. `where` names the tensor for error messages. block_size is one of
// bitsandbytes' 32, 64, ..., 4096 (field "block_size" otherwise).
QuantizedMatrix quantize_nf4(const float* w, int64_t rows, int64_t cols, bool double_quant,
                             const std::string& where, int64_t block_size = 64);

// Throws rb::InputError naming `where` and "group_size" when cols % group_size != 0 or group_size < 2.
QuantizedMatrix quantize_int4(const float* w, int64_t rows, int64_t cols, int64_t group_size, bool symmetric,
                              const std::string& where);

}  // namespace rb::quant
