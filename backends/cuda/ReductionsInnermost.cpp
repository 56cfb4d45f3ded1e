//===- ReductionsInnermost.cpp - reduction dims last ----------------------===//
//
// Part of kiln. Implements kiln-gpu-reductions-innermost (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/cuda/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_GPUREDUCTIONSINNERMOST
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// The loop order with parallel dims first, each group in its old order;
/// empty when `op` is already in that order.
SmallVector<unsigned> reductionsLastOrder(linalg::GenericOp op) {
  SmallVector<unsigned> parallel, reduction;
  for (auto [dim, type] : llvm::enumerate(op.getIteratorTypesArray()))
    (type == utils::IteratorType::parallel ? parallel : reduction)
        .push_back(dim);
  SmallVector<unsigned> order = parallel;
  llvm::append_range(order, reduction);
  for (auto [position, dim] : llvm::enumerate(order))
    if (position != dim)
      return order;
  return {};
}

struct GpuReductionsInnermost
    : mlir::tfm::impl::GpuReductionsInnermostBase<GpuReductionsInnermost> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : generics) {
      SmallVector<unsigned> order = reductionsLastOrder(op);
      if (order.empty())
        continue;
      rewriter.setInsertionPoint(op);
      if (failed(linalg::interchangeGenericOp(rewriter, op, order))) {
        op.emitError("cannot move the reduction loops innermost");
        return signalPassFailure();
      }
    }
  }
};

} // namespace
