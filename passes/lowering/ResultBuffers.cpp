//===- ResultBuffers.cpp - every result in a buffer of its own, once ------===//
//
// Part of kiln. Implements kiln-own-results and kiln-elide-result-copies.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_KILNOWNRESULTS
#define GEN_PASS_DEF_KILNELIDERESULTCOPIES
#include "passes/lowering/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

struct KilnOwnResults
    : mlir::tfm::impl::KilnOwnResultsBase<KilnOwnResults> {
  void runOnOperation() override {
    // Inputs and weights belong to the caller: bufferization must copy
    // before writing (a scatter into its data input, say), not write in
    // place.
    func::FuncOp func = getOperation();
    if (func.isExternal()) // A runtime function's declaration.
      return;
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (isa<TensorType>(func.getArgument(i).getType()))
        func.setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName,
                        BoolAttr::get(&getContext(), false));
    func.walk([](func::ReturnOp ret) {
      OpBuilder b(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        auto type = dyn_cast<RankedTensorType>(operand.get().getType());
        if (!type)
          continue;
        // The copy's sizes come from the copied tensor.
        Value copy = bufferization::AllocTensorOp::create(
            b, ret.getLoc(), type, ValueRange{}, /*copy=*/operand.get());
        operand.set(copy);
      }
    });
  }
};

/// Whether every use of `buffer`, and of the views of it, is an op placed
/// before `point` in point's block (or nested in one).
bool allUsesBefore(Value buffer, Operation *point) {
  SmallVector<Value> worklist{buffer};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (user == point)
        continue;
      Operation *ancestor = point->getBlock()->findAncestorOpInBlock(*user);
      if (!ancestor || !ancestor->isBeforeInBlock(point))
        return false;
      if (auto view = dyn_cast<ViewLikeOpInterface>(user))
        if (view.getViewSource() == v)
          for (Value result : user->getResults())
            worklist.push_back(result);
    }
  }
  return true;
}

struct KilnElideResultCopies
    : mlir::tfm::impl::KilnElideResultCopiesBase<KilnElideResultCopies> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    func.walk([&](func::ReturnOp ret) {
      for (OpOperand &operand : ret->getOpOperands()) {
        // The result's own buffer, filled by one copy from another fresh
        // allocation of the same type (what kiln-own-results leaves after
        // bufferization).
        auto result = operand.get().getDefiningOp<memref::AllocOp>();
        if (!result || result->getBlock() != ret->getBlock())
          continue;
        memref::CopyOp copy;
        bool otherUse = false;
        for (OpOperand &use : result->getUses()) {
          auto c = dyn_cast<memref::CopyOp>(use.getOwner());
          if (c && c.getTarget() == result.getResult() && !copy)
            copy = c;
          else if (use.getOwner() != ret &&
                   !isa<memref::DimOp>(use.getOwner()))
            otherUse = true;
        }
        // Returned twice: each result needs a buffer of its own.
        if (!copy || otherUse ||
            llvm::count(ret->getOperands(), result.getResult()) != 1)
          continue;
        auto source = copy.getSource().getDefiningOp<memref::AllocOp>();
        if (!source || source.getType() != result.getType() ||
            source.getAlignmentAttr() != result.getAlignmentAttr() ||
            copy->getBlock() != ret->getBlock() ||
            !allUsesBefore(source.getResult(), copy))
          continue;
        // Nothing reads or writes the source after the copy: it can be the
        // result itself.
        result.getResult().replaceAllUsesWith(source.getResult());
        copy.erase();
        result.erase();
      }
    });
  }
};

} // namespace
