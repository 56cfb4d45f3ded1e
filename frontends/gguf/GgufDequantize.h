//===- GgufDequantize.h - ggml's block formats to float ---------*- C++ -*-===//
//
// Part of kiln. Expands a GGUF tensor's data to float32, bit-exact with the
// `gguf` package's reference (gguf.quants.dequantize): blocks of 32 with a
// float16 scale d (and Q4_1's float16 minimum m):
//
//   Q8_0: d, 32 x int8 q              x = d * q
//   Q4_0: d, 16 bytes                 x = d * (q - 8)
//   Q4_1: d, m, 16 bytes              x = d * q + m
//
// where byte j of the 16 holds element j in its low nibble and element
// j + 16 in its high nibble.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_GGUF_GGUFDEQUANTIZE_H
#define KILN_FRONTENDS_GGUF_GGUFDEQUANTIZE_H

#include "frontends/gguf/GgufFile.h"

#include <vector>

namespace kiln::gguf {

/// The float32 values of `t` (F32, F16, BF16, Q8_0, Q4_0 or Q4_1; the
/// file reader refuses other types), in the file's element order.
std::vector<float> dequantize(const TensorInfo &t);

/// Whether `t`'s type is one of ggml's block formats (Q8_0, Q4_0, Q4_1).
bool isBlockQuantized(const TensorInfo &t);

/// A block-quantized `t` (rows of dims[0] elements) as codes, scales and
/// offsets per group of 32 (TensorView::Quantized): Q8_0 codes d * q,
/// Q4_0 d * q - 8 d (exact: 8 d is), Q4_1 d * q + m.
hf::TensorView::Quantized quantizedBlocks(const TensorInfo &t);

} // namespace kiln::gguf

#endif // KILN_FRONTENDS_GGUF_GGUFDEQUANTIZE_H
