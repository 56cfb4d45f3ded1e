//===- AttachCalibration.cpp - calibrated ranges onto the matmuls ---------===//
//
// Part of kiln. Implements tfm-attach-calibration (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/quantization/Calibration.h"
#include "passes/quantization/Passes.h"


namespace mlir::tfm {
#define GEN_PASS_DEF_TFMATTACHCALIBRATION
#include "passes/quantization/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

struct TfmAttachCalibration
    : tfm::impl::TfmAttachCalibrationBase<TfmAttachCalibration> {
  using TfmAttachCalibrationBase::TfmAttachCalibrationBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    CalibrationStats stats;
    std::string error;
    if (!readCalibration(file, stats, error)) {
      module.emitError() << error;
      return signalPassFailure();
    }
    SmallVector<MatmulOp> matmuls = collectQuantizableMatmuls(module);
    auto mismatch = [&]() -> InFlightDiagnostic {
      return module.emitError()
             << "the calibration file '" << file
             << "' does not describe this model (was it recorded from "
                "another model, or with other --shape options?): ";
    };
    if (stats.matmuls.size() != matmuls.size()) {
      mismatch() << "it has ranges for " << stats.matmuls.size()
                 << " matmuls, the model has " << matmuls.size()
                 << " to quantize";
      return signalPassFailure();
    }
    for (auto [index, op] : llvm::enumerate(matmuls)) {
      const ChannelRanges &ranges = stats.matmuls[index];
      std::string name = calibrationName(op, index);
      int64_t k = inputChannels(op);
      if (ranges.name != name ||
          static_cast<int64_t>(ranges.min.size()) != k) {
        mismatch() << "matmul #" << index << " is '" << name << "' with " << k
                   << " input channels, the file has '" << ranges.name
                   << "' with " << ranges.min.size();
        return signalPassFailure();
      }
      setInputRange(op, ranges.min, ranges.max);
    }
  }
};

} // namespace
