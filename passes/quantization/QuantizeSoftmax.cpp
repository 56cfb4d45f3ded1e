//===- QuantizeSoftmax.cpp - attention probabilities on a few-bit grid ----===//
//
// Part of kiln. Implements tfm-quantize-softmax (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/quantization/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMQUANTIZESOFTMAX
#include "passes/quantization/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

struct TfmQuantizeSoftmax
    : tfm::impl::TfmQuantizeSoftmaxBase<TfmQuantizeSoftmax> {
  using TfmQuantizeSoftmaxBase::TfmQuantizeSoftmaxBase;

  void runOnOperation() override {
    std::optional<ProbabilityQuantization> kind =
        symbolizeProbabilityQuantization(scheme);
    if (!kind || (bits != 4 && bits != 8)) {
      getOperation().emitError()
          << "tfm-quantize-softmax: scheme must be log2 or uniform and bits "
             "4 or 8, got '"
          << scheme << "' and " << static_cast<int64_t>(bits);
      return signalPassFailure();
    }
    getOperation().walk([&](SoftmaxOp softmax) {
      // Attention probabilities: a softmax whose every user multiplies
      // them (as the left operand) by the values.
      Value p = softmax.getResult();
      if (softmax.getLog() || p.use_empty() ||
          !llvm::all_of(p.getUses(), [](OpOperand &use) {
            return isa<MatmulOp>(use.getOwner()) &&
                   use.getOperandNumber() == 0;
          }))
        return;
      OpBuilder b(softmax);
      b.setInsertionPointAfter(softmax);
      auto quantized = QuantizeProbabilitiesOp::create(
          b, softmax.getLoc(), p.getType(),
          ProbabilityQuantizationAttr::get(b.getContext(), *kind), p,
          b.getI64IntegerAttr(bits));
      p.replaceAllUsesExcept(quantized.getResult(), quantized);
    });
  }
};

} // namespace
