//===- ExternalizeWeights.cpp - weights become function arguments ---------===//
//
// Part of kiln. Implements kiln-externalize-weights.
//
//===----------------------------------------------------------------------===//

#include "dialects/tfm/TfmOps.h"
#include "passes/lowering/Passes.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_KILNEXTERNALIZEWEIGHTS
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

} // namespace
