//===- LoopUtils.h - loop rewrites the backends share -----------*- C++ -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_COMMON_LOOPUTILS_H
#define KILN_BACKENDS_COMMON_LOOPUTILS_H

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace kiln {

/// Replaces `loop` (without reductions) by a nest of scf.for loops with the
/// same body: what a parallel loop inside an OpenMP loop (x86) or inside a
/// GPU thread (CUDA) becomes.
inline void serializeParallelLoop(mlir::scf::ParallelOp loop) {
  mlir::OpBuilder b(loop);
  mlir::Location loc = loop.getLoc();
  llvm::SmallVector<mlir::Value> ivs;
  mlir::Block *inner = nullptr;
  for (auto [lb, ub, step] : llvm::zip(
           loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    auto forOp = mlir::scf::ForOp::create(b, loc, lb, ub, step);
    ivs.push_back(forOp.getInductionVar());
    inner = forOp.getBody();
    b.setInsertionPointToStart(inner);
  }
  // Move the parallel body (less its scf.reduce terminator) into the
  // innermost loop.
  mlir::Block &body = loop.getRegion().front();
  body.getTerminator()->erase();
  for (auto [arg, iv] : llvm::zip(body.getArguments(), ivs))
    arg.replaceAllUsesWith(iv);
  inner->getOperations().splice(inner->getTerminator()->getIterator(),
                                body.getOperations());
  loop.erase();
}

} // namespace kiln

#endif // KILN_BACKENDS_COMMON_LOOPUTILS_H
