//===- SmoothActivations.cpp - SmoothQuant's smoothing --------------------===//
//
// Part of kiln. Implements tfm-smooth-activations (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/quantization/Calibration.h"
#include "passes/quantization/ChannelRescaling.h"
#include "passes/quantization/Passes.h"

#include <cmath>

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMSMOOTHACTIVATIONS
#include "passes/quantization/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

struct TfmSmoothActivations
    : tfm::impl::TfmSmoothActivationsBase<TfmSmoothActivations> {
  using TfmSmoothActivationsBase::TfmSmoothActivationsBase;

  void runOnOperation() override {
    if (!(alpha >= 0 && alpha <= 1)) {
      getOperation().emitError()
          << "tfm-smooth-activations: alpha must be in [0, 1], got "
          << static_cast<float>(alpha);
      return signalPassFailure();
    }
    for (auto &[x, group] : groupMatmulsByInput(getOperation())) {
      std::optional<InputRange> range = getInputRange(group.front());
      if (!range)
        continue; // Not calibrated: left as it is.
      size_t k = range->min.size();
      std::vector<float> wmax(k, 0.0f);
      for (MatmulOp op : group) {
        std::vector<float> rows = weightRowAbsMax(op);
        for (size_t c = 0; c < k; ++c)
          wmax[c] = std::max(wmax[c], rows[c]);
      }
      std::vector<float> s(k);
      for (size_t c = 0; c < k; ++c) {
        double xmax = std::max(std::fabs(range->min[c]),
                               std::fabs(range->max[c]));
        s[c] = xmax > 0 && wmax[c] > 0
                   ? static_cast<float>(std::max(
                         std::pow(xmax, static_cast<double>(alpha)) /
                             std::pow(static_cast<double>(wmax[c]),
                                      1.0 - static_cast<double>(alpha)),
                         1e-5))
                   : 1.0f;
      }
      if (failed(divideInputChannels(group, range->min, range->max, s)))
        return signalPassFailure();
    }
  }
};

} // namespace
