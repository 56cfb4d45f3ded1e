//===- MatmulKernels.cpp - matmuls handed to a backend's GEMM kernel ------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "backends/common/MatmulKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Parser/Parser.h"

using namespace mlir;

bool kiln::isWeightMatmul(tfm::MatmulOp op) {
  auto rhs = op.getRhs().getDefiningOp<tfm::ConstantOp>();
  RankedTensorType lhsType = op.getLhs().getType();
  return rhs && !op.getTransposeLhs() && rhs.getType().getRank() == 2 &&
         rhs.getType().getElementType().isF32() &&
         lhsType.getElementType().isF32() && lhsType.getRank() >= 2;
}

SmallVector<tfm::MatmulOp> kiln::collectWeightMatmuls(ModuleOp module) {
  SmallVector<tfm::MatmulOp> matmuls;
  module.walk([&](tfm::MatmulOp op) {
    if (isWeightMatmul(op))
      matmuls.push_back(op);
  });
  return matmuls;
}

std::pair<int64_t, int64_t> kiln::weightMatmulSizes(tfm::MatmulOp op) {
  ArrayRef<int64_t> shape =
      cast<RankedTensorType>(op.getRhs().getType()).getShape();
  return op.getTransposeRhs() ? std::make_pair(shape[1], shape[0])
                              : std::make_pair(shape[0], shape[1]);
}

void kiln::moveModuleContents(ModuleOp source, ModuleOp module) {
  for (Operation &op : llvm::make_early_inc_range(*source.getBody()))
    op.moveBefore(module.getBody(), module.getBody()->end());
  for (NamedAttribute attr : source->getDiscardableAttrs())
    module->setAttr(attr.getName(), attr.getValue());
}

LogicalResult kiln::addKernelFunction(ModuleOp module, StringRef name,
                                      StringRef source) {
  if (module.lookupSymbol(name))
    return success();
  OwningOpRef<ModuleOp> parsed =
      parseSourceString<ModuleOp>(source, module.getContext());
  if (!parsed || !parsed->lookupSymbol(name))
    return module.emitError("internal error: the kernel ")
           << name << " does not parse";
  moveModuleContents(*parsed, module);
  return success();
}

void kiln::replaceWithKernelCall(tfm::MatmulOp op, StringRef kernel,
                                 ValueRange extraOperands) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto [k, n] = weightMatmulSizes(op);
  // A as [M, K]; C back to the leading dims of A plus N.
  Value lhs = op.getLhs();
  RankedTensorType lhsType = op.getLhs().getType();
  auto i64 = b.getI64Type();
  auto shapeConst = [&](ArrayRef<int64_t> v) -> Value {
    auto t = RankedTensorType::get({static_cast<int64_t>(v.size())}, i64);
    return tfm::ConstantOp::create(b, loc, DenseIntElementsAttr::get(t, v));
  };
  int64_t staticM = 1;
  for (int64_t d : lhsType.getShape().drop_back())
    staticM = ShapedType::isDynamic(d) || ShapedType::isDynamic(staticM)
                  ? ShapedType::kDynamic
                  : staticM * d;
  auto flatType = RankedTensorType::get({staticM, k}, b.getF32Type());
  Value flat = lhs;
  if (lhsType.getRank() != 2 || lhsType != flatType)
    flat = tfm::ReshapeOp::create(b, loc, flatType, lhs, shapeConst({-1, k}));
  auto dynFlat = RankedTensorType::get({ShapedType::kDynamic,
                                        ShapedType::kDynamic},
                                       b.getF32Type());
  Value flatDyn = flat.getType() == dynFlat
                      ? flat
                      : tensor::CastOp::create(b, loc, dynFlat, flat)
                            .getResult();
  SmallVector<Value> operands{flatDyn};
  llvm::append_range(operands, extraOperands);
  Value c = func::CallOp::create(b, loc, kernel, TypeRange{dynFlat},
                                 operands)
                .getResult(0);
  c = tensor::CastOp::create(
      b, loc, RankedTensorType::get({staticM, n}, b.getF32Type()), c);
  // Back to [..., N].
  Value result = c;
  RankedTensorType type = op.getType();
  if (type.getRank() != 2) {
    Value lead = tfm::ShapeOp::create(b, loc, lhs, b.getI64IntegerAttr(0),
                                      b.getI64IntegerAttr(lhsType.getRank() -
                                                          1));
    Value shape = tfm::ConcatOp::create(
        b, loc, ValueRange{lead, shapeConst({n})}, b.getI64IntegerAttr(0));
    result = tfm::ReshapeOp::create(b, loc, type, c, shape);
  } else if (result.getType() != type) {
    result = tensor::CastOp::create(b, loc, type, result);
  }
  // The epilogue as tfm elementwise ops.
  if (Value bias = op.getBias())
    result = tfm::AddOp::create(b, loc, type, result, bias);
  if (std::optional<tfm::Activation> act = op.getActivation()) {
    switch (*act) {
    case tfm::Activation::relu:
      result = tfm::ReluOp::create(b, loc, result);
      break;
    case tfm::Activation::gelu:
      result = tfm::GeluOp::create(b, loc, tfm::GeluApproximation::erf,
                                   result);
      break;
    case tfm::Activation::gelu_tanh:
      result = tfm::GeluOp::create(b, loc, tfm::GeluApproximation::tanh,
                                   result);
      break;
    case tfm::Activation::silu:
      result = tfm::SiluOp::create(b, loc, result);
      break;
    case tfm::Activation::sigmoid:
      result = tfm::SigmoidOp::create(b, loc, result);
      break;
    case tfm::Activation::tanh:
      result = tfm::TanhOp::create(b, loc, result);
      break;
    }
  }
  if (Value residual = op.getResidual())
    result = tfm::AddOp::create(b, loc, type, result, residual);
  op.replaceAllUsesWith(result);
  op.erase();
}
