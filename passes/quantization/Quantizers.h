//===- Quantizers.h - weight quantizers at compile time ---------*- C++ -*-===//
//
// Part of kiln. The arithmetic of the quantization schemes, apart from the
// IR, so that it is written (and tested) once: every rounding is half to
// even (std::nearbyint in the default rounding mode), every clamp
// saturates.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_QUANTIZATION_QUANTIZERS_H
#define KILN_PASSES_QUANTIZATION_QUANTIZERS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <vector>

namespace kiln::quant {

/// A weight [N, K] as integers with one scale (and zero point) per group of
/// K: q [N * K], scale and zeroPoint [N * groups].
struct QuantizedWeight {
  int64_t n = 0, k = 0, groups = 1;
  std::vector<int8_t> q;
  std::vector<float> scale;
  std::vector<int8_t> zeroPoint; ///< Empty for symmetric weights.
};

/// W[n][k] = at(n, k) for n < N, k < K.
using WeightReader = llvm::function_ref<float(int64_t n, int64_t k)>;

/// Symmetric int8, one scale per output channel (w8a8, llm-int8).
QuantizedWeight quantizeSymmetricPerChannel(int64_t n, int64_t k,
                                            WeightReader at);

/// Asymmetric `bits` (4 or 8) per group of `groupSize` K (w4, w8); 8-bit
/// codes and zero points are stored minus 128.
QuantizedWeight quantizeAsymmetricGroups(int64_t n, int64_t k, int bits,
                                         int64_t groupSize, WeightReader at);

} // namespace kiln::quant

#endif // KILN_PASSES_QUANTIZATION_QUANTIZERS_H
