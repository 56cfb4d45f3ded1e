//===- RecordActivationRanges.cpp - weight matmul inputs as outputs -------===//
//
// Part of kiln. Implements tfm-record-activation-ranges (see Passes.td):
// the recording library `kiln calibrate` runs.
//
//===----------------------------------------------------------------------===//

#include "passes/quantization/Calibration.h"
#include "passes/quantization/Passes.h"

#include "dialects/tfm/TfmDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <numeric>

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMRECORDACTIVATIONRANGES
#include "passes/quantization/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

struct TfmRecordActivationRanges
    : tfm::impl::TfmRecordActivationRangesBase<TfmRecordActivationRanges> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>(kEntryFunctionName);
    if (!func) {
      module.emitError() << "tfm-record-activation-ranges: the module has no "
                         << kEntryFunctionName << " function";
      return signalPassFailure();
    }
    auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
    for (auto [index, op] :
         llvm::enumerate(collectQuantizableMatmuls(module))) {
      if (op->getParentOp() != func) {
        op.emitOpError("is outside ")
            << kEntryFunctionName << ", so its input range cannot be output";
        return signalPassFailure();
      }
      Value x = op.getLhs();
      int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
      SmallVector<int64_t> axes(rank - 1);
      std::iota(axes.begin(), axes.end(), 0);
      OpBuilder b(op);
      std::string name = calibrationName(op, index);
      for (bool max : {false, true}) {
        Value range = x;
        if (!axes.empty())
          range = ReduceOp::create(b, op.getLoc(),
                                   max ? ReduceKind::max : ReduceKind::min, x,
                                   b.getDenseI64ArrayAttr(axes),
                                   /*keepdims=*/false);
        unsigned result = func.getNumResults();
        if (failed(func.insertResult(
                result, range.getType(),
                b.getDictionaryAttr(b.getNamedAttr(
                    kNameAttrName, b.getStringAttr(calibrationOutputName(
                                       index, max, name)))))))
          return signalPassFailure();
        ret->insertOperands(ret->getNumOperands(), range);
      }
    }
  }
};

} // namespace
