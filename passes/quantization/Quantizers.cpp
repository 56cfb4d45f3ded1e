//===- Quantizers.cpp - weight quantizers at compile time -----------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "passes/quantization/Quantizers.h"

#include "dialects/tfm/WeightUtils.h"

#include <algorithm>
#include <cmath>
#include <optional>

using llvm::ArrayRef;

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

namespace {

/// One group's grid: W ~ code * scale + lo, codes in [0, qmax].
struct Grid {
  float scale, lo;
};

float codeOf(float x, Grid grid, float qmax) {
  return std::clamp(std::nearbyint((x - grid.lo) / grid.scale), 0.0f, qmax);
}

/// sum_i importance_i (x_i - dequantized code_i)^2, importance 1 if empty.
double groupError(ArrayRef<float> x, ArrayRef<float> importance, Grid grid,
                  float qmax) {
  double error = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double d = codeOf(x[i], grid, qmax) * grid.scale + grid.lo - x[i];
    error += (importance.empty() ? 1.0 : importance[i]) * d * d;
  }
  return error;
}

/// The group's [min, max] in qmax steps.
Grid minMaxGrid(ArrayRef<float> x, float qmax) {
  auto [lo, hi] = std::minmax_element(x.begin(), x.end());
  return {*hi > *lo ? (*hi - *lo) / qmax : 1.0f, *lo};
}

/// The weighted least-squares scale and offset for fixed codes:
/// min over (s, o) of sum_i w_i (x_i - (s L_i + o))^2. None when the codes
/// are all equal (nothing to fit a scale to).
std::optional<Grid> fitToCodes(ArrayRef<float> x, ArrayRef<float> importance,
                               Grid codesFrom, float qmax) {
  double sw = 0, sl = 0, sll = 0, sx = 0, slx = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double w = importance.empty() ? 1.0 : importance[i];
    double l = codeOf(x[i], codesFrom, qmax);
    sw += w, sl += w * l, sll += w * l * l, sx += w * x[i],
        slx += w * l * x[i];
  }
  double det = sw * sll - sl * sl;
  if (!(det > 0))
    return std::nullopt;
  double scale = (sw * slx - sx * sl) / det;
  double lo = (sll * sx - sl * slx) / det;
  if (!(scale > 0) || !std::isfinite(lo))
    return std::nullopt;
  return Grid{static_cast<float>(scale), static_cast<float>(lo)};
}

/// The grid with the least importance-weighted error, starting from
/// [min, max]: llama.cpp's search for its k-quants (make_qkx2_quants):
/// codes from 21 grids spanning (qmax - 1 .. qmax + 1) steps over
/// [min, max] (a little clipping either side), each refitted to its codes
/// by least squares, then refitting the best until it stops improving.
/// Never worse than [min, max], which wins ties.
Grid searchGrid(ArrayRef<float> x, ArrayRef<float> importance, float qmax) {
  Grid best = minMaxGrid(x, qmax);
  double bestError = groupError(x, importance, best, qmax);
  auto [lo, hi] = std::minmax_element(x.begin(), x.end());
  if (!(*hi > *lo) || bestError == 0)
    return best;
  auto consider = [&](Grid codesFrom) {
    std::optional<Grid> fit = fitToCodes(x, importance, codesFrom, qmax);
    if (!fit)
      return false;
    double error = groupError(x, importance, *fit, qmax);
    if (!(error < bestError))
      return false;
    bestError = error;
    best = *fit;
    return true;
  };
  for (int step = 0; step <= 20; ++step) {
    float steps = qmax - 1.0f + 0.1f * static_cast<float>(step);
    consider({(*hi - *lo) / steps, *lo});
  }
  for (int round = 0; round < 4 && consider(best); ++round) {
  }
  return best;
}

} // namespace

QuantizedWeight kiln::quant::quantizeAsymmetricGroups(
    int64_t n, int64_t k, int bits, int64_t groupSize, WeightReader at,
    GridChoice choice, ArrayRef<float> importance) {
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
  auto group = [&](int64_t row, int64_t g, std::vector<float> &x) {
    int64_t k0 = g * groupSize, k1 = std::min(k, k0 + groupSize);
    x.clear();
    for (int64_t col = k0; col < k1; ++col)
      x.push_back(at(row, col));
    return k0;
  };
  std::vector<float> x, weights;
  std::vector<Grid> grids(n * w.groups);
  for (int64_t row = 0; row < n; ++row)
    for (int64_t g = 0; g < w.groups; ++g) {
      int64_t k0 = group(row, g, x);
      if (choice == GridChoice::minMax) {
        grids[row * w.groups + g] = minMaxGrid(x, qmax);
        continue;
      }
      // Each weight's share of the error: its channel's importance times
      // sqrt(sigma^2 + W^2), sigma^2 the group's mean W^2 (llama.cpp's
      // weighting for its importance-matrix quants: large weights, whose
      // errors the activations carry furthest, count more).
      double meanSquare = 0;
      for (float v : x)
        meanSquare += static_cast<double>(v) * v / static_cast<double>(x.size());
      weights.resize(x.size());
      for (size_t i = 0; i < x.size(); ++i)
        weights[i] = static_cast<float>(
            (importance.empty() ? 1.0 : importance[k0 + i]) *
            std::sqrt(meanSquare + static_cast<double>(x[i]) * x[i]));
      grids[row * w.groups + g] = searchGrid(x, weights, qmax);
    }
  // W = code * scale + lo = (code - shift) * scale + (lo + shift * scale):
  // the stored offset. When every scale and offset lies in the normal half
  // range, both are rounded to halves (and the codes taken on that grid),
  // so that the backend can store them in half the bytes (x86 wgemm).
  bool half = llvm::all_of(grids, [&](Grid grid) {
    return mlir::tfm::inNormalHalfRange(grid.scale) &&
           mlir::tfm::inNormalHalfRange(grid.lo +
                                        static_cast<float>(shift) * grid.scale);
  });
  for (int64_t row = 0; row < n; ++row)
    for (int64_t g = 0; g < w.groups; ++g) {
      Grid grid = grids[row * w.groups + g];
      float offset = grid.lo + static_cast<float>(shift) * grid.scale;
      if (half) {
        grid.scale = mlir::tfm::roundToHalf(grid.scale);
        offset = mlir::tfm::roundToHalf(grid.lo +
                                        static_cast<float>(shift) * grid.scale);
        grid.lo = offset - static_cast<float>(shift) * grid.scale;
      }
      w.scale[row * w.groups + g] = grid.scale;
      w.offset[row * w.groups + g] = offset;
      int64_t k0 = group(row, g, x);
      for (size_t i = 0; i < x.size(); ++i)
        w.q[row * k + k0 + static_cast<int64_t>(i)] = static_cast<int8_t>(
            static_cast<int>(codeOf(x[i], grid, qmax)) - shift);
    }
  return w;
}
