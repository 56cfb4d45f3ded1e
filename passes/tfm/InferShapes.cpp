//===- InferShapes.cpp - refine tfm result types --------------------------===//
//
// Part of kiln. Implements the tfm-infer-shapes pass.
//
//===----------------------------------------------------------------------===//

#include "dialects/tfm/TfmOps.h"
#include "passes/tfm/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMINFERSHAPES
#include "passes/tfm/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// The most static type compatible with both `declared` and `inferred`, or
/// null when they are not compatible (then the declared type stays).
Type refineType(Type declared, Type inferred) {
  if (!areCompatibleTensorTypes(declared, inferred))
    return {};
  auto d = cast<RankedTensorType>(declared);
  auto i = cast<RankedTensorType>(inferred);
  SmallVector<int64_t> shape(d.getShape());
  for (auto [dim, other] : llvm::zip(shape, i.getShape()))
    if (ShapedType::isDynamic(dim))
      dim = other;
  return d.clone(shape);
}

/// The result types `op` would have given its current operands, or an empty
/// vector when the op does not determine them.
SmallVector<Type> inferResultTypes(Operation *op) {
  SmallVector<Type> types;
  if (auto infer = dyn_cast<InferTypeOpInterface>(op)) {
    if (failed(infer.inferReturnTypes(
            op->getContext(), op->getLoc(), op->getOperands(),
            op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
            op->getRegions(), types)))
      types.clear();
    return types;
  }
  // Ops whose result has the shape of the first operand.
  auto sameShapeAsInput = [&](Type resultElement) {
    auto input = cast<RankedTensorType>(op->getOperand(0).getType());
    types.push_back(input.clone(resultElement));
  };
  llvm::TypeSwitch<Operation *>(op)
      .Case<LayerNormOp, RmsNormOp, RopeOp, CastOp, QuantizeOp, DequantizeOp>(
          [&](Operation *) {
            sameShapeAsInput(
                cast<RankedTensorType>(op->getResult(0).getType())
                    .getElementType());
          })
      .Case<SplitOp>([&](SplitOp split) {
        if (!split.getSizes() || split.getSizes()->size() ==
                                     split.getOutputs().size())
          types = split.getPieceTypes();
      })
      .Default([&](Operation *) {
        if (op->hasTrait<OpTrait::SameOperandsAndResultType>() &&
            op->getNumOperands() > 0)
          types.push_back(op->getOperand(0).getType());
      });
  return types;
}

/// Uses by ops outside tfm (other than the return) may depend on the old
/// type; give them a tensor.cast back to it.
void keepTypeForForeignUsers(Value value, Type old, Dialect *tfmDialect) {
  for (OpOperand &use : llvm::make_early_inc_range(value.getUses())) {
    Operation *user = use.getOwner();
    if (user->getDialect() == tfmDialect || isa<func::ReturnOp>(user))
      continue;
    OpBuilder builder(user);
    Value cast = tensor::CastOp::create(builder, value.getLoc(), old, value);
    use.set(cast);
  }
}

struct TfmInferShapes
    : mlir::tfm::impl::TfmInferShapesBase<TfmInferShapes> {
  void runOnOperation() override { refineFunctionTypes(getOperation()); }
};

} // namespace

bool mlir::tfm::refineFunctionTypes(func::FuncOp func) {
  MLIRContext *context = func.getContext();
  Dialect *tfmDialect = context->getLoadedDialect<TfmDialect>();
  bool changed = false;
  func.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (op->getDialect() != tfmDialect)
      return;
    SmallVector<Type> inferred = inferResultTypes(op);
    if (inferred.size() != op->getNumResults())
      return;
    for (auto [result, type] : llvm::zip(op->getResults(), inferred)) {
      Type refined = refineType(result.getType(), type);
      if (!refined || refined == result.getType())
        continue;
      Type old = result.getType();
      result.setType(refined);
      keepTypeForForeignUsers(result, old, tfmDialect);
      changed = true;
    }
  });
  // The function's results follow what it returns.
  Operation *terminator = func.getBody().back().getTerminator();
  func.setType(FunctionType::get(context, func.getArgumentTypes(),
                                 terminator->getOperandTypes()));
  return changed;
}
