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

} // namespace kiln::gguf

#endif // KILN_FRONTENDS_GGUF_GGUFDEQUANTIZE_H
