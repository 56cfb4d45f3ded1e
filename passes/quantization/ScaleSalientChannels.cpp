//===- ScaleSalientChannels.cpp - activation-aware weight scaling (AWQ) ---===//
//
// Part of kiln. Implements tfm-scale-salient-channels (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/quantization/Calibration.h"
#include "passes/quantization/ChannelRescaling.h"
#include "passes/quantization/Passes.h"
#include "passes/quantization/Quantizers.h"

#include <cmath>

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMSCALESALIENTCHANNELS
#include "passes/quantization/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

struct TfmScaleSalientChannels
    : tfm::impl::TfmScaleSalientChannelsBase<TfmScaleSalientChannels> {
  using TfmScaleSalientChannelsBase::TfmScaleSalientChannelsBase;

  void runOnOperation() override {
    if ((bits != 4 && bits != 8) || groupSize <= 0 || groupSize % 16) {
      getOperation().emitError()
          << "tfm-scale-salient-channels: needs bits 4 or 8 and a group "
             "size that is a positive multiple of 16";
      return signalPassFailure();
    }
    for (auto &[x, group] : groupMatmulsByInput(getOperation())) {
      std::optional<InputRange> range = getInputRange(group.front());
      if (!range)
        continue; // Not calibrated: left as it is.
      size_t k = range->min.size();
      std::vector<double> xmax(k);
      for (size_t c = 0; c < k; ++c)
        xmax[c] = std::max(std::fabs(range->min[c]), std::fabs(range->max[c]));
      std::vector<float> s = bestScales(group, xmax);
      if (s.empty())
        continue; // alpha 0 won: nothing to move.
      if (failed(divideInputChannels(group, range->min, range->max, s)))
        return signalPassFailure();
    }
  }

  /// s_j = X_j^alpha (normalised to geometric mean 1) for the alpha on a
  /// grid of 0, 0.05, ..., 1 (AWQ's 20 points) that minimises the group's
  /// output error proxy sum_j X_j^2 sum_n (W[j, n] - Q(s_j W[j, n]) / s_j)^2
  /// under the weight-only quantizer Q; empty when alpha 0 (no scaling) is
  /// best.
  std::vector<float> bestScales(ArrayRef<MatmulOp> group,
                                const std::vector<double> &xmax) {
    size_t k = xmax.size();
    std::vector<WeightView> weights;
    weights.reserve(group.size()); // views into their own storage
    for (MatmulOp op : group) {
      weights.emplace_back(op);
      if (!weights.back().valid())
        return {};
    }
    double logSum = 0;
    int64_t positive = 0;
    for (double v : xmax)
      if (v > 0)
        logSum += std::log(v), ++positive;
    double logMean = positive ? logSum / positive : 0;
    double bestError = -1;
    std::vector<float> best;
    for (int step = 0; step <= 20; ++step) {
      double alpha = step / 20.0;
      std::vector<float> s(k, 1.0f);
      for (size_t c = 0; c < k; ++c)
        if (xmax[c] > 0)
          s[c] = static_cast<float>(
              std::exp(alpha * (std::log(xmax[c]) - logMean)));
      double error = 0;
      for (const WeightView &w : weights) {
        kiln::quant::QuantizedWeight q = kiln::quant::quantizeAsymmetricGroups(
            w.n, w.k, bits, groupSize,
            [&](int64_t n, int64_t kk) { return w.at(kk, n) * s[kk]; });
        for (int64_t n = 0; n < w.n; ++n)
          for (int64_t kk = 0; kk < w.k; ++kk) {
            int64_t g = n * q.groups + kk / groupSize;
            double back =
                (q.q[n * w.k + kk] * q.scale[g] + q.offset[g]) / s[kk];
            double d = back - w.at(kk, n);
            error += xmax[kk] * xmax[kk] * d * d;
          }
      }
      if (bestError < 0 || error < bestError) {
        bestError = error;
        best = step == 0 ? std::vector<float>() : s;
      }
    }
    return best;
  }
};

} // namespace
