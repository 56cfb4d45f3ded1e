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

/// A weight [N, K] as integers with one scale (and offset) per group of
/// K: q [N * K], scale and offset [N * groups]; W = q * scale + offset.
struct QuantizedWeight {
  int64_t n = 0, k = 0, groups = 1;
  std::vector<int8_t> q;
  std::vector<float> scale;
  std::vector<float> offset; ///< Empty for symmetric weights.
};

/// W[n][k] = at(n, k) for n < N, k < K.
using WeightReader = llvm::function_ref<float(int64_t n, int64_t k)>;

/// Symmetric int8, one scale per output channel (w8a8, llm-int8).
QuantizedWeight quantizeSymmetricPerChannel(int64_t n, int64_t k,
                                            WeightReader at);

/// How quantizeAsymmetricGroups picks each group's grid.
enum class GridChoice {
  /// The group's [min, max] in 2^bits - 1 steps (nothing clipped).
  minMax,
  /// The scale and offset with the least weighted squared error
  /// sum_k importance_k sqrt(sigma^2 + W_k^2) (W_k - Q(W_k))^2 (sigma^2 the
  /// group's mean W^2: llama.cpp's weighting), searched from [min, max]
  /// (llama.cpp's k-quant search): trades a little clipping of the extreme
  /// weights for finer steps, never worse than minMax in that error.
  leastError,
};

/// Asymmetric `bits` (4 or 8) per group of `groupSize` K (w4, w8): a scale
/// and an offset per group, the offset a float (as llama.cpp's Q4_1: the
/// grid need not hold 0); 8-bit codes are stored minus 128. When every
/// group's scale and offset lie in the normal IEEE half range, they are
/// rounded to halves and the codes taken on those grids (the backends may
/// then store them as halves, exactly). `importance`
/// ([K], or empty for all ones) weighs the input channels' errors under
/// GridChoice::leastError: the output error of x W is sum_k x_k dW_k, so
/// E[x_k^2] is what each channel's error costs.
QuantizedWeight quantizeAsymmetricGroups(
    int64_t n, int64_t k, int bits, int64_t groupSize, WeightReader at,
    GridChoice choice = GridChoice::minMax,
    llvm::ArrayRef<float> importance = {});

} // namespace kiln::quant

#endif // KILN_PASSES_QUANTIZATION_QUANTIZERS_H
