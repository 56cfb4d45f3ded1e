//===- SerializeNestedParallel.cpp - one level of parallel loops ----------===//
//
// Part of kiln. Implements kiln-serialize-nested-parallel (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/x86/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_X86SERIALIZENESTEDPARALLEL
#include "backends/x86/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// Replaces `loop` (without reductions) by a nest of scf.for loops.
void serialize(scf::ParallelOp loop) {
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  SmallVector<Value> ivs;
  Block *body = nullptr;
  for (auto [lb, ub, step] : llvm::zip(
           loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    auto forOp = scf::ForOp::create(b, loc, lb, ub, step);
    ivs.push_back(forOp.getInductionVar());
    body = forOp.getBody();
    b.setInsertionPointToStart(body);
  }
  // Move the parallel body (less its scf.reduce terminator) into the
  // innermost loop.
  Block &from = loop.getRegion().front();
  from.getTerminator()->erase();
  for (auto [arg, iv] : llvm::zip(from.getArguments(), ivs))
    arg.replaceAllUsesWith(iv);
  body->getOperations().splice(body->getTerminator()->getIterator(),
                               from.getOperations());
  loop.erase();
}

struct X86SerializeNestedParallel
    : mlir::tfm::impl::X86SerializeNestedParallelBase<
          X86SerializeNestedParallel> {
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> nested;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (loop->getParentOfType<scf::ParallelOp>() &&
          loop.getNumReductions() == 0)
        nested.push_back(loop);
    });
    // Each loop is moved into its new nest as a whole, so the order does not
    // matter.
    for (scf::ParallelOp loop : llvm::reverse(nested))
      serialize(loop);
  }
};

} // namespace
