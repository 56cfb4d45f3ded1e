//===- SimplifyShapes.cpp - fold shapes and refine types to a fixpoint ----===//
//
// Part of kiln. Implements the tfm-simplify-shapes pass.
//
//===----------------------------------------------------------------------===//

#include "dialects/tfm/TfmOps.h"
#include "passes/tfm/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMSIMPLIFYSHAPES
#include "passes/tfm/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

struct TfmSimplifyShapes
    : mlir::tfm::impl::TfmSimplifyShapesBase<TfmSimplifyShapes> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *context) override {
    // The canonicalization patterns of every loaded dialect and op, as the
    // canonicalizer collects them.
    RewritePatternSet set(context);
    for (Dialect *dialect : context->getLoadedDialects())
      dialect->getCanonicalizationPatterns(set);
    for (RegisteredOperationName op : context->getRegisteredOperations())
      op.getCanonicalizationPatterns(set, context);
    patterns = FrozenRewritePatternSet(std::move(set));
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    for (unsigned i = 0; i < maxIterations; ++i) {
      // The greedy driver runs to its own fixpoint; only new types can
      // enable more folding.
      if (failed(applyPatternsGreedily(func, patterns)))
        return signalPassFailure();
      if (!refineFunctionTypes(func))
        return;
    }
  }

  FrozenRewritePatternSet patterns;
};

} // namespace
