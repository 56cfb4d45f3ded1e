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
  // Declarations several kernels share (a runtime microkernel) are moved
  // once.
  for (Operation &op : llvm::make_early_inc_range(*parsed->getBody()))
    if (auto symbol = dyn_cast<SymbolOpInterface>(op))
      if (module.lookupSymbol(symbol.getNameAttr()))
        op.erase();
  moveModuleContents(*parsed, module);
  return success();
}

Value kiln::castTo(OpBuilder &b, Location loc, Value x, Type type) {
  return x.getType() == type ? x : tensor::CastOp::create(b, loc, type, x);
}

Value kiln::linearAttentionLogDecays(OpBuilder &b, Location loc,
                                     tfm::LinearAttentionOp op) {
  SmallVector<float> logDecay{0.0f};
  if (std::optional<ArrayRef<float>> given = op.getLogDecay())
    logDecay.assign(given->begin(), given->end());
  Type f32 = b.getF32Type();
  auto type =
      RankedTensorType::get({static_cast<int64_t>(logDecay.size())}, f32);
  Value ld = tfm::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, ArrayRef<float>(logDecay)));
  return castTo(b, loc, ld, RankedTensorType::get({ShapedType::kDynamic}, f32));
}

Value kiln::shapeConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> v) {
  auto t = RankedTensorType::get({static_cast<int64_t>(v.size())},
                                 b.getI64Type());
  return tfm::ConstantOp::create(b, loc, DenseIntElementsAttr::get(t, v));
}

Value kiln::flattenToRows(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t cols = type.getShape().back();
  Type flatType = flattenedType(type);
  Value flat = x;
  if (type != flatType)
    flat = tfm::ReshapeOp::create(b, loc, flatType, x,
                                  shapeConstant(b, loc, {-1, cols}));
  auto dynFlat = RankedTensorType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic}, type.getElementType());
  if (flat.getType() == dynFlat)
    return flat;
  return tensor::CastOp::create(b, loc, dynFlat, flat);
}

Value kiln::unflattenResult(OpBuilder &b, tfm::MatmulOp op, Value c) {
  return unflattenRows(b, op.getLoc(), op.getLhs(), op.getType(), c);
}

Value kiln::unflattenRows(OpBuilder &b, Location loc, Value lhs,
                          RankedTensorType type, Value c) {
  int64_t n = type.getShape().back();
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  int64_t staticM =
      cast<RankedTensorType>(flattenedType(lhsType)).getDimSize(0);
  c = tensor::CastOp::create(
      b, loc, RankedTensorType::get({staticM, n}, b.getF32Type()), c);
  if (type.getRank() != 2) {
    Value lead = tfm::ShapeOp::create(b, loc, lhs, b.getI64IntegerAttr(0),
                                      b.getI64IntegerAttr(lhsType.getRank() -
                                                          1));
    Value shape = tfm::ConcatOp::create(
        b, loc, ValueRange{lead, shapeConstant(b, loc, {n})},
        b.getI64IntegerAttr(0));
    return tfm::ReshapeOp::create(b, loc, type, c, shape);
  }
  if (c.getType() != type)
    return tensor::CastOp::create(b, loc, type, c);
  return c;
}

Value kiln::rowCount(OpBuilder &b, Location loc, Value x) {
  auto t = cast<RankedTensorType>(x.getType());
  Value rows = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t d = 0; d + 1 < t.getRank(); ++d)
    rows = arith::MulIOp::create(b, loc, rows,
                                 tensor::DimOp::create(b, loc, x, d));
  return rows;
}

Type kiln::flattenedType(RankedTensorType type) {
  int64_t rows = 1;
  for (int64_t d : type.getShape().drop_back())
    rows = ShapedType::isDynamic(d) || ShapedType::isDynamic(rows)
               ? ShapedType::kDynamic
               : rows * d;
  return RankedTensorType::get({rows, type.getShape().back()},
                               type.getElementType());
}

Value kiln::applyEpilogue(OpBuilder &b, tfm::MatmulOp op, Value result,
                          const FusedEpilogue &fused) {
  return applyEpilogue(b, op.getLoc(), op.getType(),
                       Epilogue{op.getBias(), op.getActivation(),
                                op.getResidual()},
                       result, fused);
}

Value kiln::applyEpilogue(OpBuilder &b, Location loc, RankedTensorType type,
                          const Epilogue &epilogue, Value result,
                          const FusedEpilogue &fused) {
  if (Value bias = epilogue.bias; bias && !fused.bias)
    result = tfm::AddOp::create(b, loc, type, result, bias);
  std::optional<tfm::Activation> act = epilogue.activation;
  if (act && !fused.activation) {
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
  if (Value residual = epilogue.residual; residual && !fused.residual)
    result = tfm::AddOp::create(b, loc, type, result, residual);
  return result;
}

Value kiln::callRowKernel(OpBuilder &b, Location loc, StringRef kernel,
                          Value lhs, ValueRange operands,
                          RankedTensorType type, const Epilogue &epilogue,
                          const FusedEpilogue &fused) {
  SmallVector<Value> args{flattenToRows(b, loc, lhs)};
  llvm::append_range(args, operands);
  if (fused.bias)
    args.push_back(tensor::CastOp::create(
        b, loc, RankedTensorType::get({ShapedType::kDynamic}, b.getF32Type()),
        epilogue.bias));
  if (fused.residual)
    args.push_back(flattenToRows(b, loc, epilogue.residual));
  auto dynFlat = RankedTensorType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic}, b.getF32Type());
  Value c = func::CallOp::create(b, loc, kernel, TypeRange{dynFlat}, args)
                .getResult(0);
  return applyEpilogue(b, loc, type, epilogue,
                       unflattenRows(b, loc, lhs, type, c), fused);
}

int64_t kiln::activationCode(std::optional<tfm::Activation> act) {
  if (!act)
    return 0;
  switch (*act) {
  case tfm::Activation::relu:
    return 1;
  case tfm::Activation::gelu:
    return 2;
  case tfm::Activation::gelu_tanh:
    return 3;
  case tfm::Activation::silu:
    return 4;
  case tfm::Activation::sigmoid:
    return 5;
  case tfm::Activation::tanh:
    return 6;
  }
  return 0;
}

void kiln::replaceWithKernelCall(tfm::MatmulOp op, StringRef kernel,
                                 ValueRange extraOperands) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<Value> operands{flattenToRows(b, loc, op.getLhs())};
  llvm::append_range(operands, extraOperands);
  auto dynFlat = RankedTensorType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic}, b.getF32Type());
  Value c = func::CallOp::create(b, loc, kernel, TypeRange{dynFlat}, operands)
                .getResult(0);
  Value result = applyEpilogue(b, op, unflattenResult(b, op, c), {});
  op.replaceAllUsesWith(result);
  op.erase();
}
