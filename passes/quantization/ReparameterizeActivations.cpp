//===- ReparameterizeActivations.cpp - RepQuant's scale reparameterisation ===//
//
// Part of kiln. Implements tfm-reparameterize-activations (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/quantization/Calibration.h"
#include "passes/quantization/ChannelRescaling.h"
#include "passes/quantization/Passes.h"

#include "mlir/IR/Builders.h"

#include <cmath>

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMREPARAMETERIZEACTIVATIONS
#include "passes/quantization/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

struct TfmReparameterizeActivations
    : tfm::impl::TfmReparameterizeActivationsBase<
          TfmReparameterizeActivations> {
  void runOnOperation() override {
    Builder b(&getContext());
    for (auto &[x, group] : groupMatmulsByInput(getOperation())) {
      std::optional<InputRange> range = getInputRange(group.front());
      if (!range)
        continue; // Not calibrated: tfm-quantize-matmuls says so.
      size_t k = range->min.size();
      // Each channel's own asymmetric 8-bit parameters.
      std::vector<double> scale(k), zero(k);
      double scaleSum = 0, zeroSum = 0;
      size_t ranged = 0;
      for (size_t c = 0; c < k; ++c) {
        double lo = std::min(0.0f, range->min[c]);
        double hi = std::max(0.0f, range->max[c]);
        scale[c] = (hi - lo) / 255.0;
        if (scale[c] > 0) {
          zero[c] = std::clamp(std::nearbyint(-lo / scale[c]), 0.0, 255.0);
          scaleSum += scale[c];
          zeroSum += zero[c];
          ++ranged;
        }
      }
      double shared = ranged ? scaleSum / static_cast<double>(ranged) : 1.0;
      double sharedZero =
          ranged ? std::nearbyint(zeroSum / static_cast<double>(ranged)) : 0.0;
      // x = r (x' + b): x' = x / r - b.
      std::vector<float> r(k), inverse(k), shift(k), negShift(k), min(k),
          max(k);
      for (size_t c = 0; c < k; ++c) {
        bool hasRange = scale[c] > 0;
        r[c] = hasRange ? static_cast<float>(scale[c] / shared) : 1.0f;
        shift[c] =
            hasRange ? static_cast<float>(shared * (sharedZero - zero[c])) : 0;
        inverse[c] = 1.0f / r[c];
        negShift[c] = shift[c] != 0 ? -shift[c] : 0.0f; // Not -0.0.
        min[c] = range->min[c] * inverse[c] - shift[c];
        max[c] = range->max[c] * inverse[c] - shift[c];
      }
      rescaleInputChannels(group, inverse, negShift);
      for (MatmulOp op : group) {
        if (failed(scaleWeightRows(op, r, shift)))
          return signalPassFailure();
        setInputRange(op, min, max);
        op->setAttr(kLhsStaticScaleAttrName,
                    b.getF32FloatAttr(static_cast<float>(shared)));
        op->setAttr(kLhsStaticZeroPointAttrName,
                    b.getI64IntegerAttr(static_cast<int64_t>(sharedZero)));
      }
    }
  }
};

} // namespace
