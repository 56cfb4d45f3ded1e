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
      if (isa_and_nonnull<LayerNormOp, RmsNormOp>(x.getDefiningOp())) {
        if (failed(reparameterize(group, *calibrated)))
          return signalPassFailure();
        continue;
      }
      StaticQuantization q = perTensorQuantization(*calibrated);
      setStaticQuantization(group, q.scale, q.zeroPoint);
    }
  }

  static void setStaticQuantization(ArrayRef<MatmulOp> group, float scale,
                                    int64_t zero) {
    for (MatmulOp op : group) {
      Builder b(op.getContext());
      op->setAttr(kLhsStaticScaleAttrName, b.getF32FloatAttr(scale));
      op->setAttr(kLhsStaticZeroPointAttrName, b.getI64IntegerAttr(zero));
    }
  }

  /// RepQuant's reparameterisation of a norm's output, whose channels
  /// range over `calibrated`.
  LogicalResult reparameterize(ArrayRef<MatmulOp> group,
                               const InputRange &calibrated) {
    // Each channel's range, holding 0 and widened about 0 (each channel
    // gets a grid of its own), and its own asymmetric 8-bit parameters.
    size_t k = calibrated.min.size();
    std::vector<double> lo(k), hi(k);
    for (size_t c = 0; c < k; ++c) {
      lo[c] = std::min(0.0, static_cast<double>(headroom) * calibrated.min[c]);
      hi[c] = std::max(0.0, static_cast<double>(headroom) * calibrated.max[c]);
    }
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
    std::vector<float> min(k), max(k);
    for (size_t c = 0; c < k; ++c) {
      min[c] = calibrated.min[c] * inverse[c] - shift[c];
      max[c] = calibrated.max[c] * inverse[c] - shift[c];
    }
    rescaleInputChannels(group, inverse, negShift);
    for (MatmulOp op : group) {
      if (failed(scaleWeightRows(op, r, shift)))
        return failure();
      setInputRange(op, min, max);
    }
    setStaticQuantization(group, static_cast<float>(shared),
                          static_cast<int64_t>(sharedZero));
    return success();
  }
};

} // namespace
