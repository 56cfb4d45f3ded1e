//===- Common.cpp - what the tfm-to-linalg lowerings share ----------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/TfmToLinalg/Common.h"

#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using utils::IteratorType;

namespace mlir::tfm::lowering {

Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value dimOf(OpBuilder &b, Location loc, Value v, int64_t d) {
  int64_t size = tensorTypeOf(v).getDimSize(d);
  if (!ShapedType::isDynamic(size))
    return indexConst(b, loc, size);
  return tensor::DimOp::create(b, loc, v, d);
}

OpFoldResult dimOfFold(OpBuilder &b, Location loc, Value v, int64_t d) {
  int64_t size = tensorTypeOf(v).getDimSize(d);
  if (!ShapedType::isDynamic(size))
    return b.getIndexAttr(size);
  return tensor::DimOp::create(b, loc, v, d).getResult();
}

Value emptyLike(OpBuilder &b, Location loc, RankedTensorType type,
                function_ref<Value(int64_t)> dimValue) {
  SmallVector<Value> dynamic;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      dynamic.push_back(dimValue(d));
  return tensor::EmptyOp::create(b, loc, type, dynamic);
}

Value zeroOf(OpBuilder &b, Location loc, Type type) {
  return arith::ConstantOp::create(b, loc, b.getZeroAttr(type));
}

Value floatConst(OpBuilder &b, Location loc, Type type, double v) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, v));
}

Value filled(OpBuilder &b, Location loc, Value empty, Value scalar) {
  return linalg::FillOp::create(b, loc, ValueRange{scalar}, ValueRange{empty})
      .getResult(0);
}

Value castTo(OpBuilder &b, Location loc, Value v, Type type) {
  if (v.getType() == type)
    return v;
  return tensor::CastOp::create(b, loc, type, v);
}

AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> shape,
                       int64_t rank, ArrayRef<int64_t> loopShape) {
  SmallVector<AffineExpr> exprs;
  int64_t offset = rank - shape.size();
  for (size_t j = 0; j < shape.size(); ++j) {
    int64_t loopDim = j + offset;
    if (shape[j] == 1 && loopShape[loopDim] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(loopDim, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value broadcastDim(OpBuilder &b, Location loc, ValueRange operands,
                   RankedTensorType type, int64_t d) {
  for (Value operand : operands) {
    auto t = tensorTypeOf(operand);
    int64_t j = d - (type.getRank() - t.getRank());
    if (j >= 0 && t.getDimSize(j) != 1)
      return dimOf(b, loc, operand, j);
  }
  return indexConst(b, loc, 1);
}

Value elementwiseSized(
    OpBuilder &b, Location loc, RankedTensorType type, ValueRange operands,
    function_ref<Value(int64_t)> resultDim,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = type.getRank();
  Value init = emptyLike(b, loc, type, resultDim);
  SmallVector<AffineMap> maps;
  for (Value operand : operands)
    maps.push_back(broadcastMap(ctx, tensorTypeOf(operand).getShape(), rank,
                                type.getShape()));
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<IteratorType> iterators(rank, IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, operands, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

Value elementwise(OpBuilder &b, Location loc, RankedTensorType type,
                  ValueRange operands,
                  function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  return elementwiseSized(
      b, loc, type, operands,
      [&](int64_t d) { return broadcastDim(b, loc, operands, type, d); },
      body);
}

void runtimeCheck(OpBuilder &b, Location loc, Value ok, const Twine &message,
                  ValueRange values) {
  tfm::RuntimeCheckOp::create(b, loc, ok, values, b.getStringAttr(message));
}

void checkAtLeast(OpBuilder &b, Location loc, Value size, int64_t least,
                  const Twine &message) {
  Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, size,
                                   indexConst(b, loc, least));
  runtimeCheck(b, loc, ok, message, size);
}

void checkEqualTo(OpBuilder &b, Location loc, Value size, int64_t expected,
                  const Twine &message) {
  Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, size,
                                   indexConst(b, loc, expected));
  runtimeCheck(b, loc, ok, message, size);
}

Value repeatUnitDim(OpBuilder &b, Location loc, Value v, int64_t dim,
                    Value size) {
  auto t = tensorTypeOf(v);
  MLIRContext *ctx = b.getContext();
  int64_t rank = t.getRank();
  Value init = emptyLike(b, loc, t, [&](int64_t d) {
    return d == dim ? size : dimOf(b, loc, v, d);
  });
  SmallVector<AffineExpr> read;
  for (int64_t d = 0; d < rank; ++d)
    read.push_back(d == dim ? getAffineConstantExpr(0, ctx)
                            : getAffineDimExpr(d, ctx));
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, read, ctx),
                                 AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<IteratorType> iterators(rank, IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{t}, ValueRange{v}, ValueRange{init}, maps,
             iterators,
             [](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc, args[0]);
             })
      .getResult(0);
}

ResolvedBroadcast resolveBroadcast(OpBuilder &b, Location loc, Operation *op,
                                   ValueRange operands, RankedTensorType type,
                                   ArrayRef<Value> shapeSizes,
                                   int64_t coreDims, StringRef shapeName) {
  ResolvedBroadcast r{SmallVector<Value>(operands), {}};
  int64_t rank = type.getRank();
  std::string label = nodeLabel(op);
  // (Aligned right, an operand's dim j faces result dim d either way: the
  // core dims only shorten the range.)
  for (int64_t d = 0; d < rank - coreDims; ++d) {
    struct Part {
      int operand; // -1: the target shape.
      int64_t dim;
      Value size;
    };
    SmallVector<Part> dynamic;
    std::optional<int64_t> fixed;
    for (auto [i, v] : llvm::enumerate(r.operands)) {
      auto t = tensorTypeOf(v);
      int64_t j = d - (rank - t.getRank());
      if (j < 0)
        continue;
      int64_t size = t.getDimSize(j);
      if (ShapedType::isDynamic(size))
        dynamic.push_back(
            {static_cast<int>(i), j, tensor::DimOp::create(b, loc, v, j)});
      else if (size != 1)
        fixed = size;
    }
    if (!shapeSizes.empty() && shapeSizes[d]) {
      checkAtLeast(b, loc, shapeSizes[d], 0,
                   label + ": " + shapeName + " dimension " + Twine(d) +
                       " is {0}, a negative size");
      dynamic.push_back({-1, d, shapeSizes[d]});
    }
    if (dynamic.empty()) {
      r.sizes.push_back(indexConst(b, loc, fixed.value_or(1)));
      continue;
    }
    Value size;
    if (fixed) {
      size = indexConst(b, loc, *fixed);
    } else {
      size = dynamic.front().size;
      for (const Part &p : llvm::drop_begin(dynamic))
        size = arith::MaxSIOp::create(b, loc, size, p.size);
    }
    r.sizes.push_back(size);
    Value one = indexConst(b, loc, 1);
    for (const Part &p : dynamic) {
      if (dynamic.size() == 1 && !fixed)
        continue; // The result's size is its own.
      Value same =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, p.size, size);
      Value unit =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, p.size, one);
      runtimeCheck(b, loc, arith::OrIOp::create(b, loc, same, unit),
                   label + ": cannot broadcast " +
                       (p.operand < 0 ? Twine(shapeName)
                                      : "operand " + Twine(p.operand) + "'s") +
                       " dimension " + Twine(p.dim) + " of size {0} against " +
                       "size {1}",
                   ValueRange{p.size, size});
      if (p.operand < 0)
        continue;
      Value v = r.operands[p.operand];
      r.operands[p.operand] =
          scf::IfOp::create(
              b, loc, same,
              [&](OpBuilder &nb, Location nloc) {
                scf::YieldOp::create(nb, nloc, v);
              },
              [&](OpBuilder &nb, Location nloc) {
                scf::YieldOp::create(
                    nb, nloc, repeatUnitDim(nb, nloc, v, p.dim, size));
              })
              .getResult(0);
    }
  }
  return r;
}

Value broadcastElementwise(
    OpBuilder &b, Location loc, Operation *op, RankedTensorType type,
    ValueRange operands,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  ResolvedBroadcast r = resolveBroadcast(b, loc, op, operands, type);
  return elementwiseSized(
      b, loc, type, r.operands, [&](int64_t d) { return r.sizes[d]; }, body);
}

Value add(OpBuilder &b, Location loc, Value x, Value y) {
  return isFloat(x.getType()) ? arith::AddFOp::create(b, loc, x, y).getResult()
                              : arith::AddIOp::create(b, loc, x, y).getResult();
}

Value sub(OpBuilder &b, Location loc, Value x, Value y) {
  return isFloat(x.getType()) ? arith::SubFOp::create(b, loc, x, y).getResult()
                              : arith::SubIOp::create(b, loc, x, y).getResult();
}

Value mul(OpBuilder &b, Location loc, Value x, Value y) {
  return isFloat(x.getType()) ? arith::MulFOp::create(b, loc, x, y).getResult()
                              : arith::MulIOp::create(b, loc, x, y).getResult();
}

Value div(OpBuilder &b, Location loc, Value x, Value y) {
  return isFloat(x.getType()) ? arith::DivFOp::create(b, loc, x, y).getResult()
                              : arith::DivSIOp::create(b, loc, x, y).getResult();
}

Value maxOf(OpBuilder &b, Location loc, Value x, Value y) {
  return isFloat(x.getType())
             ? arith::MaximumFOp::create(b, loc, x, y).getResult()
             : arith::MaxSIOp::create(b, loc, x, y).getResult();
}

Value minOf(OpBuilder &b, Location loc, Value x, Value y) {
  return isFloat(x.getType())
             ? arith::MinimumFOp::create(b, loc, x, y).getResult()
             : arith::MinSIOp::create(b, loc, x, y).getResult();
}

Value convertScalar(OpBuilder &b, Location loc, Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (to.isInteger(1)) {
    if (isFloat(from))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v,
                                   zeroOf(b, loc, from));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v,
                                 zeroOf(b, loc, from));
  }
  bool fromUnsigned = from.isUnsignedInteger() || from.isInteger(1);
  if (isFloat(from) && isFloat(to))
    return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
               ? arith::ExtFOp::create(b, loc, to, v).getResult()
               : arith::TruncFOp::create(b, loc, to, v).getResult();
  if (isFloat(to)) {
    // Unsigned and signless-with-sign types: cast through a signless view.
    if (!from.isSignlessInteger())
      v = arith::BitcastOp::create(
          b, loc, b.getIntegerType(from.getIntOrFloatBitWidth()), v);
    return fromUnsigned ? arith::UIToFPOp::create(b, loc, to, v).getResult()
                        : arith::SIToFPOp::create(b, loc, to, v).getResult();
  }
  Type toSignless = b.getIntegerType(to.getIntOrFloatBitWidth());
  Value result;
  if (isFloat(from)) {
    result = to.isUnsignedInteger()
                 ? arith::FPToUIOp::create(b, loc, toSignless, v).getResult()
                 : arith::FPToSIOp::create(b, loc, toSignless, v).getResult();
  } else {
    if (!from.isSignlessInteger())
      v = arith::BitcastOp::create(
          b, loc, b.getIntegerType(from.getIntOrFloatBitWidth()), v);
    unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
    if (fw == tw)
      result = v;
    else if (fw > tw)
      result = arith::TruncIOp::create(b, loc, toSignless, v);
    else if (fromUnsigned)
      result = arith::ExtUIOp::create(b, loc, toSignless, v);
    else
      result = arith::ExtSIOp::create(b, loc, toSignless, v);
  }
  if (!to.isSignlessInteger())
    result = arith::BitcastOp::create(b, loc, to, result);
  return result;
}

Value extractIndex(OpBuilder &b, Location loc, Value tensor, int64_t i) {
  Value v = tensor::ExtractOp::create(b, loc, tensor,
                                      ValueRange{indexConst(b, loc, i)});
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

Value geluScalar(OpBuilder &b, Location loc, Value x, bool tanhForm) {
  Type t = x.getType();
  Value half = floatConst(b, loc, t, 0.5), one = floatConst(b, loc, t, 1.0);
  Value inner;
  if (tanhForm) {
    Value x3 = arith::MulFOp::create(
        b, loc, x, arith::MulFOp::create(b, loc, x, x).getResult());
    Value poly = arith::AddFOp::create(
        b, loc, x,
        arith::MulFOp::create(b, loc, x3, floatConst(b, loc, t, 0.044715))
            .getResult());
    inner = math::TanhOp::create(
        b, loc,
        arith::MulFOp::create(b, loc, poly,
                              floatConst(b, loc, t, std::sqrt(2.0 / M_PI))));
  } else {
    inner = math::ErfOp::create(
        b, loc,
        arith::MulFOp::create(b, loc, x,
                              floatConst(b, loc, t, 1.0 / std::sqrt(2.0))));
  }
  Value cdf = arith::MulFOp::create(
      b, loc, half, arith::AddFOp::create(b, loc, one, inner).getResult());
  return arith::MulFOp::create(b, loc, x, cdf);
}

Value sigmoidScalar(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value one = floatConst(b, loc, t, 1.0);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, e));
}

Value activationScalar(OpBuilder &b, Location loc, Value x,
                       tfm::Activation activation) {
  switch (activation) {
  case tfm::Activation::relu:
    return arith::MaximumFOp::create(b, loc, x, zeroOf(b, loc, x.getType()));
  case tfm::Activation::gelu:
    return geluScalar(b, loc, x, false);
  case tfm::Activation::gelu_tanh:
    return geluScalar(b, loc, x, true);
  case tfm::Activation::silu:
    return arith::MulFOp::create(b, loc, x, sigmoidScalar(b, loc, x));
  case tfm::Activation::sigmoid:
    return sigmoidScalar(b, loc, x);
  case tfm::Activation::tanh:
    return math::TanhOp::create(b, loc, x);
  }
  return x;
}

Value reduceInit(OpBuilder &b, Location loc, Type t, tfm::ReduceKind kind) {
  switch (kind) {
  case tfm::ReduceKind::max:
    return isFloat(t) ? floatConst(b, loc, t, -INFINITY)
                      : arith::ConstantOp::create(
                            b, loc,
                            b.getIntegerAttr(t, APInt::getSignedMinValue(
                                                    t.getIntOrFloatBitWidth())));
  case tfm::ReduceKind::min:
    return isFloat(t) ? floatConst(b, loc, t, INFINITY)
                      : arith::ConstantOp::create(
                            b, loc,
                            b.getIntegerAttr(t, APInt::getSignedMaxValue(
                                                    t.getIntOrFloatBitWidth())));
  case tfm::ReduceKind::prod:
    return isFloat(t) ? floatConst(b, loc, t, 1.0)
                      : arith::ConstantOp::create(b, loc,
                                                  b.getIntegerAttr(t, 1));
  default:
    return zeroOf(b, loc, t);
  }
}

Value reduceDims(
    OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes,
    Value init, function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  MLIRContext *ctx = b.getContext();
  auto type = tensorTypeOf(input);
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    iterators.push_back(reduced ? IteratorType::reduction
                                : IteratorType::parallel);
    if (!reduced) {
      shape.push_back(type.getDimSize(d));
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
  }
  auto outType = RankedTensorType::get(shape, init.getType());
  SmallVector<Value> dynamic;
  for (int64_t d = 0; d < rank; ++d)
    if (!llvm::is_contained(axes, d) && type.isDynamicDim(d))
      dynamic.push_back(dimOf(b, loc, input, d));
  Value empty = tensor::EmptyOp::create(b, loc, outType, dynamic);
  Value acc = filled(b, loc, empty, init);
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, ctx),
                              AffineMap::get(rank, 0, outExprs, ctx)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{outType}, ValueRange{input}, ValueRange{acc},
             maps, iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value combined = combine(nb, nloc, args[0], args[1]);
               // Let LLVM vectorize the reduction by reassociating it.
               if (auto fm = combined.getDefiningOp<
                             arith::ArithFastMathInterface>())
                 fm->setAttr(fm.getFastMathAttrName(),
                             arith::FastMathFlagsAttr::get(
                                 nb.getContext(),
                                 arith::FastMathFlags::reassoc |
                                     arith::FastMathFlags::contract));
               linalg::YieldOp::create(nb, nloc, combined);
             })
      .getResult(0);
}

Value countOf(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> axes,
              Type t) {
  Value count = indexConst(b, loc, 1);
  for (int64_t a : axes)
    count = arith::MulIOp::create(b, loc, count, dimOf(b, loc, v, a));
  Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
  return isFloat(t) ? arith::SIToFPOp::create(b, loc, t, i64).getResult()
                    : convertScalar(b, loc, i64, t);
}

Value keepDims(OpBuilder &b, Location loc, Value reduced,
               RankedTensorType type, ArrayRef<int64_t> axes) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  int64_t rank = type.getRank();
  for (int64_t d = 0; d < rank; ++d) {
    pending.push_back(d);
    if (!llvm::is_contained(axes, d)) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  if (!pending.empty()) {
    if (groups.empty())
      groups.push_back({});
    llvm::append_range(groups.back(), pending);
  }
  if (tensorTypeOf(reduced).getRank() == 0)
    groups.clear();
  SmallVector<OpFoldResult> outShape;
  int64_t src = 0;
  for (int64_t d = 0; d < rank; ++d) {
    if (llvm::is_contained(axes, d))
      outShape.push_back(b.getIndexAttr(1));
    else
      outShape.push_back(dimOfFold(b, loc, reduced, src++));
  }
  return tensor::ExpandShapeOp::create(b, loc, type, reduced, groups,
                                       outShape);
}

AffineMap dropDimsMap(MLIRContext *ctx, int64_t rank, ArrayRef<int64_t> axes) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    if (!llvm::is_contained(axes, d))
      exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value softmax(OpBuilder &b, Location loc, Value input, int64_t axis,
              bool log) {
  MLIRContext *ctx = b.getContext();
  auto type = tensorTypeOf(input);
  Type t = type.getElementType();
  int64_t rank = type.getRank();
  Value max = reduceDims(b, loc, input, {axis},
                         floatConst(b, loc, t, -INFINITY),
                         [](OpBuilder &nb, Location l, Value x, Value acc) {
                           return arith::MaximumFOp::create(nb, l, x, acc)
                               .getResult();
                         });
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap dropped = dropDimsMap(ctx, rank, {axis});
  SmallVector<IteratorType> parallel(rank, IteratorType::parallel);
  auto emptyOut = [&] {
    return emptyLike(b, loc, type,
                     [&](int64_t d) { return dimOf(b, loc, input, d); });
  };
  // e = exp(x - max), 0 where max is -inf.
  auto safeShift = [&](OpBuilder &nb, Location l, Value x, Value m) {
    Value ninf = floatConst(nb, l, t, -INFINITY);
    Value isInf = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, m,
                                        ninf);
    Value shifted = arith::SubFOp::create(nb, l, x, m);
    return std::make_pair(isInf, shifted);
  };
  Value exps = linalg::GenericOp::create(
                   b, loc, TypeRange{type}, ValueRange{input, max},
                   ValueRange{emptyOut()}, {id, dropped, id}, parallel,
                   [&](OpBuilder &nb, Location l, ValueRange a) {
                     auto [isInf, shifted] = safeShift(nb, l, a[0], a[1]);
                     Value e = math::ExpOp::create(nb, l, shifted);
                     Value r = arith::SelectOp::create(nb, l, isInf,
                                                       zeroOf(nb, l, t), e);
                     linalg::YieldOp::create(nb, l, r);
                   })
                   .getResult(0);
  Value sum = reduceDims(b, loc, exps, {axis}, zeroOf(b, loc, t),
                         [](OpBuilder &nb, Location l, Value x, Value acc) {
                           return arith::AddFOp::create(nb, l, x, acc)
                               .getResult();
                         });
  if (log) {
    // x - max - log(sum)
    return linalg::GenericOp::create(
               b, loc, TypeRange{type}, ValueRange{input, max, sum},
               ValueRange{emptyOut()}, {id, dropped, dropped, id}, parallel,
               [&](OpBuilder &nb, Location l, ValueRange a) {
                 Value s = arith::SubFOp::create(nb, l, a[0], a[1]);
                 Value r = arith::SubFOp::create(
                     nb, l, s, math::LogOp::create(nb, l, a[2]));
                 linalg::YieldOp::create(nb, l, r);
               })
        .getResult(0);
  }
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{exps, sum},
             ValueRange{emptyOut()}, {id, dropped, id}, parallel,
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value zero = zeroOf(nb, l, t);
               Value isZero = arith::CmpFOp::create(
                   nb, l, arith::CmpFPredicate::OEQ, a[1], zero);
               Value q = arith::DivFOp::create(nb, l, a[0], a[1]);
               linalg::YieldOp::create(
                   nb, l,
                   arith::SelectOp::create(nb, l, isZero, zero, q).getResult());
             })
      .getResult(0);
}

} // namespace mlir::tfm::lowering
