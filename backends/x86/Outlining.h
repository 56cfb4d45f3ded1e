//===- Outlining.h - what the outlining passes share ------------*- C++ -*-===//
//
// Part of kiln. kiln-outline-parallel-loops and kiln-outline-segments both
// move code into private functions: the captured values split into
// constants (cloned in) and arguments, and the function kept out of line;
// kiln-outline-segments and kiln-merge-identical-functions compare code by
// its structure.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_X86_OUTLINING_H
#define KILN_BACKENDS_X86_OUTLINING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/ADT/SetVector.h"

namespace kiln::x86 {

/// A single-result constant without regions: cloned into an outlined
/// function rather than passed to it.
inline bool isOutlinedConstant(mlir::Operation *op) {
  return op && op->hasTrait<mlir::OpTrait::ConstantLike>() &&
         op->getNumResults() == 1 && op->getNumRegions() == 0;
}

/// Splits `used` into the constants that define some of them and the rest.
inline void splitCaptures(const llvm::SetVector<mlir::Value> &used,
                          llvm::SmallVectorImpl<mlir::Value> &args,
                          llvm::SmallVectorImpl<mlir::Operation *> &constants) {
  for (mlir::Value v : used) {
    if (isOutlinedConstant(v.getDefiningOp()))
      constants.push_back(v.getDefiningOp());
    else
      args.push_back(v);
  }
}

/// A hash of what `op` is, nested operations included, values and
/// locations ignored: equal for the same code in two layers of a model
/// (how values connect is left to a region comparison).
inline llvm::hash_code structureHash(mlir::Operation *op) {
  llvm::hash_code hash(0);
  op->walk([&](mlir::Operation *nested) {
    hash = llvm::hash_combine(
        hash, mlir::OperationEquivalence::computeHash(
                  nested, mlir::OperationEquivalence::ignoreHashValue,
                  mlir::OperationEquivalence::ignoreHashValue,
                  mlir::OperationEquivalence::IgnoreLocations));
  });
  return hash;
}

/// A private function `name` of `type` after `after`, with its entry
/// block, kept out of line by LLVM too: inlined back, the caller would
/// again be one huge function for the optimizer.
inline mlir::func::FuncOp createOutlinedFunction(mlir::OpBuilder &b,
                                                 mlir::Location loc,
                                                 mlir::Operation *after,
                                                 llvm::StringRef name,
                                                 mlir::FunctionType type) {
  mlir::OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointAfter(after);
  auto func = mlir::func::FuncOp::create(b, loc, name, type);
  func.setPrivate();
  func->setAttr("passthrough", b.getArrayAttr({b.getStringAttr("noinline")}));
  func.addEntryBlock();
  return func;
}

} // namespace kiln::x86

#endif // KILN_BACKENDS_X86_OUTLINING_H
