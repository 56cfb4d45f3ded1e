//===- QuantizersTest.cpp - tests of the compile-time weight quantizers ---===//
//
// Part of kiln. The grid search of quantizeAsymmetricGroups (w4/w8) against
// plain [min, max] on many random groups: never worse in the weighted error
// it minimises, clearly better on groups with an outlier, exact where
// min-max already is.
//
//===----------------------------------------------------------------------===//

#include "passes/quantization/Quantizers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace kiln::quant;

namespace {

/// The error the search minimises over the weight: sum over each group of
/// importance_k sqrt(sigma^2 + W_k^2) (W_k - dequantized W_k)^2, sigma^2
/// the group's mean W^2; only group `only` of each row when >= 0.
double weightedError(const std::vector<float> &w, int64_t n, int64_t k,
                     int64_t group, const QuantizedWeight &q,
                     const std::vector<float> &importance, int64_t row0 = 0,
                     int64_t rows = -1, int64_t only = -1) {
  double error = 0;
  for (int64_t row = row0; row < (rows < 0 ? n : row0 + rows); ++row)
    for (int64_t g = 0; g < q.groups; ++g) {
      if (only >= 0 && g != only)
        continue;
      int64_t k0 = g * group, k1 = std::min(k, k0 + group);
      double meanSquare = 0;
      for (int64_t col = k0; col < k1; ++col)
        meanSquare += double(w[row * k + col]) * w[row * k + col] / (k1 - k0);
      for (int64_t col = k0; col < k1; ++col) {
        int64_t at = row * q.groups + g;
        double x = w[row * k + col];
        double d = q.q[row * k + col] * q.scale[at] + q.offset[at] - x;
        error += (importance.empty() ? 1.0 : importance[col]) *
                 std::sqrt(meanSquare + x * x) * d * d;
      }
    }
  return error;
}

QuantizedWeight quantize(const std::vector<float> &w, int64_t n, int64_t k,
                         int bits, int64_t group, GridChoice choice,
                         const std::vector<float> &importance = {}) {
  return quantizeAsymmetricGroups(
      n, k, bits, group,
      [&](int64_t row, int64_t col) { return w[row * k + col]; }, choice,
      importance);
}

TEST(LeastErrorGrid, NeverWorseThanMinMax) {
  std::mt19937 rng(7);
  std::student_t_distribution<float> heavy(3.0f); // outliers, as real weights
  // K = 100: groups of 32, the last one 4 long.
  const int64_t n = 64, k = 100, group = 32;
  std::vector<float> w(n * k), importance(k);
  for (float &v : w)
    v = 0.02f * heavy(rng);
  std::uniform_real_distribution<float> spread(0.01f, 10.0f);
  for (float &v : importance)
    v = spread(rng);
  for (int bits : {4, 8})
    for (bool weighted : {true, false}) {
      std::vector<float> weights = weighted ? importance : std::vector<float>();
      QuantizedWeight plain =
          quantize(w, n, k, bits, group, GridChoice::minMax, weights);
      QuantizedWeight best =
          quantize(w, n, k, bits, group, GridChoice::leastError, weights);
      ASSERT_EQ(best.groups, 4);
      // Group by group, so no group pays for another's gain (both grids
      // are rounded to halves afterwards, which can cost the searched one
      // a few percent on the 4-long last group: slack).
      for (int64_t row = 0; row < n; ++row)
        for (int64_t g = 0; g < best.groups; ++g)
          EXPECT_LE(weightedError(w, n, k, group, best, weights, row, 1, g),
                    weightedError(w, n, k, group, plain, weights, row, 1, g) *
                        1.05)
              << bits << " bits, row " << row << " group " << g;
      double before = weightedError(w, n, k, group, plain, weights);
      double after = weightedError(w, n, k, group, best, weights);
      // Heavy-tailed weights: the search buys a real reduction.
      EXPECT_LT(after, 0.9 * before) << bits << " bits";
      // 4-bit codes stay in 0..15 (8-bit ones fill int8 as code - 128).
      if (bits == 4) {
        for (int8_t c : best.q)
          EXPECT_TRUE(c >= 0 && c <= 15);
      }
    }
}

TEST(LeastErrorGrid, ExactGroupsStayExact) {
  // Weights on a 16-step grid (and a constant group): min-max has no
  // error, and the search keeps it (min-max wins ties).
  const int64_t n = 2, k = 32;
  std::vector<float> w(n * k);
  for (int64_t col = 0; col < k; ++col) {
    w[col] = -0.5f + 0.25f * static_cast<float>(col % 16);
    w[k + col] = 3.0f;
  }
  QuantizedWeight q = quantize(w, n, k, 4, 32, GridChoice::leastError);
  EXPECT_FLOAT_EQ(q.scale[0], 0.25f);
  EXPECT_FLOAT_EQ(q.offset[0], -0.5f);
  EXPECT_FLOAT_EQ(q.scale[1], 1.0f);
  EXPECT_FLOAT_EQ(q.offset[1], 3.0f);
  EXPECT_EQ(weightedError(w, n, k, 32, q, {}), 0.0);
}

TEST(LeastErrorGrid, ImportanceMovesTheErrorElsewhere) {
  // One group: 31 weights in [-1, 1] and one at 3. When the channel of the
  // 3 carries the large activations, its own error shrinks.
  const int64_t n = 1, k = 32;
  std::vector<float> w(k);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (float &v : w)
    v = u(rng);
  w[5] = 3.0f;
  std::vector<float> importance(k, 1.0f);
  importance[5] = 1000.0f;
  auto errorAt5 = [&](const QuantizedWeight &q) {
    return std::fabs(q.q[5] * q.scale[0] + q.offset[0] - w[5]);
  };
  QuantizedWeight flat = quantize(w, n, k, 4, 32, GridChoice::leastError);
  QuantizedWeight leaning =
      quantize(w, n, k, 4, 32, GridChoice::leastError, importance);
  EXPECT_LE(errorAt5(leaning), errorAt5(flat));
  EXPECT_LT(weightedError(w, n, k, 32, leaning, importance),
            weightedError(w, n, k, 32, flat, importance));
}

} // namespace
