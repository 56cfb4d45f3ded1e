//===- ExternalizeWeights.cpp - weights become function arguments ---------===//
//
// Part of kiln. Implements kiln-externalize-weights and kiln-own-results.
//
//===----------------------------------------------------------------------===//

#include "dialects/tfm/TfmOps.h"
#include "passes/lowering/Passes.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_KILNEXTERNALIZEWEIGHTS
#define GEN_PASS_DEF_KILNOWNRESULTS
#include "passes/lowering/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

struct KilnExternalizeWeights
    : mlir::tfm::impl::KilnExternalizeWeightsBase<KilnExternalizeWeights> {
  using Base::Base;

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      SmallVector<tfm::ConstantOp> weights;
      func.walk([&](tfm::ConstantOp op) {
        ElementsAttr value = op.getValue();
        if (isa<DenseResourceElementsAttr>(value) ||
            value.getNumElements() >= minElements)
          weights.push_back(op);
      });
      Block &entry = func.getBody().front();
      for (tfm::ConstantOp op : weights) {
        unsigned index = func.getNumArguments();
        if (failed(func.insertArgument(index, op.getType(),
                                       DictionaryAttr(), op.getLoc())))
          return signalPassFailure();
        func.setArgAttr(index, mlir::tfm::kWeightAttrName, op.getValue());
        op.getResult().replaceAllUsesWith(entry.getArgument(index));
        op.erase();
      }
    }
  }
};

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

} // namespace
