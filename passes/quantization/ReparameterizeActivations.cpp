//===- ReparameterizeActivations.cpp - RepQuant's scale reparameterisation ===//
//
// Part of kiln. Implements tfm-reparameterize-activations (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/quantization/Calibration.h"
#include "passes/quantization/ChannelRescaling.h"
#include "passes/quantization/Passes.h"

#include "mlir/IR/Builders.h"

#include <algorithm>
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
  using TfmReparameterizeActivationsBase::TfmReparameterizeActivationsBase;

  void runOnOperation() override {
    if (!(headroom >= 1)) {
      getOperation().emitError()
          << "tfm-reparameterize-activations: headroom must be at least 1, "
             "got "
          << static_cast<float>(headroom);
      return signalPassFailure();
    }
    for (auto &[x, group] : groupMatmulsByInput(getOperation())) {
      std::optional<InputRange> calibrated = getInputRange(group.front());
      if (!calibrated)
        continue; // Not calibrated: tfm-quantize-matmuls says so.
      // The ranges, each holding 0; a norm output's widened about 0 (each
      // of its channels gets a grid of its own).
      bool normOutput =
          isa_and_nonnull<LayerNormOp, RmsNormOp>(x.getDefiningOp());
      double widen = normOutput ? static_cast<double>(headroom) : 1.0;
      size_t k = calibrated->min.size();
      std::vector<double> lo(k), hi(k);
      for (size_t c = 0; c < k; ++c) {
        lo[c] = std::min(0.0, widen * calibrated->min[c]);
        hi[c] = std::max(0.0, widen * calibrated->max[c]);
      }
      if (normOutput) {
        if (failed(reparameterize(group, lo, hi)))
          return signalPassFailure();
        continue;
      }
      // One range for the tensor.
      double tlo = *std::min_element(lo.begin(), lo.end());
      double thi = *std::max_element(hi.begin(), hi.end());
      double scale = thi > tlo ? (thi - tlo) / 255.0 : 1.0;
      setStaticQuantization(group, scale,
                            std::clamp(std::nearbyint(-tlo / scale), 0.0,
                                       255.0));
    }
  }

  static void setStaticQuantization(ArrayRef<MatmulOp> group, double scale,
                                    double zero) {
    for (MatmulOp op : group) {
      Builder b(op.getContext());
      op->setAttr(kLhsStaticScaleAttrName,
                  b.getF32FloatAttr(static_cast<float>(scale)));
      op->setAttr(kLhsStaticZeroPointAttrName,
                  b.getI64IntegerAttr(static_cast<int64_t>(zero)));
    }
  }

  /// RepQuant's reparameterisation of a norm's output, channel c ranging
  /// over [lo[c], hi[c]].
  static LogicalResult reparameterize(ArrayRef<MatmulOp> group,
                                      ArrayRef<double> lo,
                                      ArrayRef<double> hi) {
    // Each channel's own asymmetric 8-bit parameters.
    size_t k = lo.size();
    std::vector<double> scale(k), zero(k);
    double scaleSum = 0, zeroSum = 0;
    size_t ranged = 0;
    for (size_t c = 0; c < k; ++c) {
      scale[c] = (hi[c] - lo[c]) / 255.0;
      if (scale[c] > 0) {
        zero[c] = std::clamp(std::nearbyint(-lo[c] / scale[c]), 0.0, 255.0);
        scaleSum += scale[c];
        zeroSum += zero[c];
        ++ranged;
      }
    }
    double shared = ranged ? scaleSum / static_cast<double>(ranged) : 1.0;
    double sharedZero =
        ranged ? std::nearbyint(zeroSum / static_cast<double>(ranged)) : 0.0;
    // x = r (x' + b): x' = x / r - b.
    std::vector<float> r(k), inverse(k), shift(k), negShift(k);
    for (size_t c = 0; c < k; ++c) {
      bool hasRange = scale[c] > 0;
      r[c] = hasRange ? static_cast<float>(scale[c] / shared) : 1.0f;
      shift[c] =
          hasRange ? static_cast<float>(shared * (sharedZero - zero[c])) : 0;
      inverse[c] = 1.0f / r[c];
      negShift[c] = shift[c] != 0 ? -shift[c] : 0.0f; // Not -0.0.
    }
    std::optional<InputRange> calibrated = getInputRange(group.front());
    std::vector<float> min(k), max(k);
    for (size_t c = 0; c < k; ++c) {
      min[c] = calibrated->min[c] * inverse[c] - shift[c];
      max[c] = calibrated->max[c] * inverse[c] - shift[c];
    }
    rescaleInputChannels(group, inverse, negShift);
    for (MatmulOp op : group) {
      if (failed(scaleWeightRows(op, r, shift)))
        return failure();
      setInputRange(op, min, max);
    }
    setStaticQuantization(group, shared, sharedZero);
    return success();
  }
};

} // namespace
