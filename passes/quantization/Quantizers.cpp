//===- Quantizers.cpp - weight quantizers at compile time -----------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "passes/quantization/Quantizers.h"

#include <algorithm>
#include <cmath>

using namespace kiln::quant;

QuantizedWeight kiln::quant::quantizeSymmetricPerChannel(int64_t n, int64_t k,
                                                         WeightReader at) {
  QuantizedWeight w;
  w.n = n;
  w.k = k;
  w.q.resize(n * k);
  w.scale.resize(n);
  for (int64_t row = 0; row < n; ++row) {
    float amax = 0;
    for (int64_t col = 0; col < k; ++col)
      amax = std::max(amax, std::fabs(at(row, col)));
    float scale = amax > 0 ? amax / 127.0f : 1.0f;
    w.scale[row] = scale;
    for (int64_t col = 0; col < k; ++col) {
      float q = std::nearbyint(at(row, col) / scale);
      w.q[row * k + col] = static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f));
    }
  }
  return w;
}

QuantizedWeight kiln::quant::quantizeAsymmetricGroups(int64_t n, int64_t k,
                                                      int bits,
                                                      int64_t groupSize,
                                                      WeightReader at) {
  QuantizedWeight w;
  w.n = n;
  w.k = k;
  w.groups = (k + groupSize - 1) / groupSize;
  w.q.resize(n * k);
  w.scale.resize(n * w.groups);
  w.offset.resize(n * w.groups);
  const float qmax = static_cast<float>((1 << bits) - 1);
  // 8-bit codes are kept as int8 (code - 128); 4-bit ones as they are.
  const int shift = bits == 8 ? 128 : 0;
  for (int64_t row = 0; row < n; ++row)
    for (int64_t g = 0; g < w.groups; ++g) {
      int64_t k0 = g * groupSize, k1 = std::min(k, k0 + groupSize);
      float lo = at(row, k0), hi = lo;
      for (int64_t col = k0; col < k1; ++col) {
        lo = std::min(lo, at(row, col));
        hi = std::max(hi, at(row, col));
      }
      float scale = hi > lo ? (hi - lo) / qmax : 1.0f;
      w.scale[row * w.groups + g] = scale;
      // W = code * scale + lo = (code - shift) * scale + (lo + shift * scale).
      w.offset[row * w.groups + g] = lo + static_cast<float>(shift) * scale;
      for (int64_t col = k0; col < k1; ++col) {
        float q = std::clamp(std::nearbyint((at(row, col) - lo) / scale),
                             0.0f, qmax);
        w.q[row * k + col] = static_cast<int8_t>(static_cast<int>(q) - shift);
      }
    }
  return w;
}
