//===- TfmToLinalg.cpp - lower tfm to linalg, tensor, arith and math ------===//
//
// Part of kiln. The target-independent lowering of every tfm op onto
// upstream dialects on tensors, shared by the x86 and CUDA backends.
// Elementwise ops, reductions and contractions become linalg.generic ops
// with NumPy broadcasting expressed in their indexing maps; data movement
// becomes tensor ops. Dynamic dims are read with tensor.dim.
//
// Broadcasting where dynamic dims meet (Add, Where, Expand, ...) is resolved
// at run time: each dynamic size must be the result's or 1, checked by a
// tfm.runtime_check naming the node, and an operand that is 1 at run time is
// repeated to the result's size (resolveBroadcast). Internal elementwise
// steps of other lowerings have consistent shapes and use plain maps.
//
//===----------------------------------------------------------------------===//

#include "dialects/tfm/TfmOps.h"
#include "passes/lowering/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMTOLINALG
#include "passes/lowering/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
namespace tfm = mlir::tfm;
using utils::IteratorType;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

RankedTensorType tensorTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// Dimension `d` of `v` as an index value (a constant when static).
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

/// An empty tensor of `type` whose dynamic dims are given by `dimValue`.
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

/// Casts `v` to `type` with tensor.cast when the static info differs.
Value castTo(OpBuilder &b, Location loc, Value v, Type type) {
  if (v.getType() == type)
    return v;
  return tensor::CastOp::create(b, loc, type, v);
}

/// The map that reads an operand of shape `shape` in a loop nest of `rank`
/// dims with NumPy broadcasting (aligned right; static 1s read index 0).
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

/// The value of result dim `d` of a broadcast of `operands` to `type`.
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

/// An elementwise linalg.generic over `operands` broadcast to `type`, whose
/// dynamic dims are `resultDim(d)`.
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

/// An elementwise linalg.generic over `operands` broadcast to `type`.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType type,
                  ValueRange operands,
                  function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  return elementwiseSized(
      b, loc, type, operands,
      [&](int64_t d) { return broadcastDim(b, loc, operands, type, d); },
      body);
}

/// How run-time errors name `op`: "node 'NAME' (tfm.add)", NAME from the
/// NameLoc the importer gives each node (braces swapped for parentheses, as
/// tfm.runtime_check messages reserve them for placeholders).
std::string nodeLabel(Operation *op) {
  std::string name;
  op->getLoc()->walk([&](Location l) {
    if (auto n = dyn_cast<NameLoc>(l)) {
      name = n.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  for (char &c : name)
    c = c == '{' ? '(' : c == '}' ? ')' : c;
  std::string opName = op->getName().getStringRef().str();
  return name.empty() ? opName : "node '" + name + "' (" + opName + ")";
}

/// Fails the run with `message` (placeholders {0}, {1}) unless `ok`.
void runtimeCheck(OpBuilder &b, Location loc, Value ok, const Twine &message,
                  ValueRange values) {
  tfm::RuntimeCheckOp::create(b, loc, ok, values, b.getStringAttr(message));
}

/// Fails the run with `message` (placeholder {0}: `size`) unless `size` is
/// at least `least`: the sizes shapes computed at run time give.
void checkAtLeast(OpBuilder &b, Location loc, Value size, int64_t least,
                  const Twine &message) {
  Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, size,
                                   indexConst(b, loc, least));
  runtimeCheck(b, loc, ok, message, size);
}

/// `v` with its dim `dim` (1 at run time) repeated `size` times.
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

/// Operands and result sizes of a broadcast resolved at run time.
struct ResolvedBroadcast {
  SmallVector<Value> operands;
  SmallVector<Value> sizes; // One per result dim.
};

/// NumPy broadcasting of `operands` to `type`, resolved at run time where
/// dynamic dims meet. At each result dim the sizes taking part are the
/// operands' (aligned right) and `shapeSizes[d]` when given (Expand's target
/// shape); a static 1 takes none. The result's size is the static one if
/// any, else the largest; every dynamic size must be it or 1, else the run
/// fails naming `op` and both sizes. An operand whose dynamic dim is 1 at run
/// time while the result's is larger is repeated to the result's size (only
/// then: an scf.if), so that the elementwise maps, the identity on dynamic
/// dims, read it right.
ResolvedBroadcast resolveBroadcast(OpBuilder &b, Location loc, Operation *op,
                                   ValueRange operands, RankedTensorType type,
                                   ArrayRef<Value> shapeSizes = {}) {
  ResolvedBroadcast r{SmallVector<Value>(operands), {}};
  int64_t rank = type.getRank();
  std::string label = nodeLabel(op);
  for (int64_t d = 0; d < rank; ++d) {
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
                   label + ": the target shape's dimension " + Twine(d) +
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
                       (p.operand < 0 ? Twine("the target shape's")
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

/// An elementwise op over operands with NumPy broadcasting, checked and
/// resolved at run time (resolveBroadcast).
Value broadcastElementwise(
    OpBuilder &b, Location loc, Operation *op, RankedTensorType type,
    ValueRange operands,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  ResolvedBroadcast r = resolveBroadcast(b, loc, op, operands, type);
  return elementwiseSized(
      b, loc, type, r.operands, [&](int64_t d) { return r.sizes[d]; }, body);
}

bool isFloat(Type t) { return isa<FloatType>(t); }

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

/// Converts a scalar between element types with ONNX Cast semantics.
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

/// Reads element `i` of a 1-D integer tensor as an index.
Value extractIndex(OpBuilder &b, Location loc, Value tensor, int64_t i) {
  Value v = tensor::ExtractOp::create(b, loc, tensor,
                                      ValueRange{indexConst(b, loc, i)});
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

/// Scalar gelu in the erf or tanh form.
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

/// Reduction identity for a combiner.
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

/// Reduces `input` over the sorted `axes`, dropping them. `combine` folds
/// one element into the accumulator.
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

/// The product of dims `axes` of `v` as a scalar of float type `t`.
Value countOf(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> axes,
              Type t) {
  Value count = indexConst(b, loc, 1);
  for (int64_t a : axes)
    count = arith::MulIOp::create(b, loc, count, dimOf(b, loc, v, a));
  Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
  return isFloat(t) ? arith::SIToFPOp::create(b, loc, t, i64).getResult()
                    : convertScalar(b, loc, i64, t);
}

/// Re-inserts size-1 dims at `axes` into a reduced tensor (keepdims).
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

/// A map from a loop nest of `rank` dims to the dims not in `axes`.
AffineMap dropDimsMap(MLIRContext *ctx, int64_t rank, ArrayRef<int64_t> axes) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    if (!llvm::is_contained(axes, d))
      exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// Softmax of `input` over `axis` (log-softmax with `log`); a slice whose
/// elements are all -inf gives zeros.
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

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

template <typename OpTy>
struct TfmPattern : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
};

struct LowerConstant : TfmPattern<tfm::ConstantOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ConstantOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, op.getType(),
                                                   op.getValue());
    return success();
  }
};

/// Unary elementwise ops: `compute` maps one scalar.
template <typename OpTy>
struct LowerUnary : TfmPattern<OpTy> {
  using Compute = Value (*)(OpBuilder &, Location, Value);
  LowerUnary(MLIRContext *ctx, Compute compute)
      : TfmPattern<OpTy>(ctx), compute(compute) {}
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), ValueRange{op.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange a) {
          return compute(b, loc, a[0]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
  Compute compute;
};

/// Binary broadcast ops: `compute` maps two scalars of the operand type.
template <typename OpTy>
struct LowerBinary : TfmPattern<OpTy> {
  using Compute = Value (*)(OpBuilder &, Location, Value, Value);
  LowerBinary(MLIRContext *ctx, Compute compute)
      : TfmPattern<OpTy>(ctx), compute(compute) {}
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Value result = broadcastElementwise(
        rewriter, op.getLoc(), op, op.getType(),
        ValueRange{op.getLhs(), op.getRhs()},
        [&](OpBuilder &b, Location loc, ValueRange a) {
          return compute(b, loc, a[0], a[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
  Compute compute;
};

struct LowerCompare : TfmPattern<tfm::CompareOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::CompareOp op,
                                PatternRewriter &rewriter) const override {
    Type t = op.getLhs().getType().getElementType();
    bool unsignedInt = t.isUnsignedInteger() || t.isInteger(1);
    tfm::ComparePredicate p = op.getPredicate();
    Value result = broadcastElementwise(
        rewriter, op.getLoc(), op, op.getType(),
        ValueRange{op.getLhs(), op.getRhs()},
        [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
          if (isFloat(t)) {
            arith::CmpFPredicate fp[] = {
                arith::CmpFPredicate::OEQ, arith::CmpFPredicate::UNE,
                arith::CmpFPredicate::OLT, arith::CmpFPredicate::OLE,
                arith::CmpFPredicate::OGT, arith::CmpFPredicate::OGE};
            return arith::CmpFOp::create(b, loc, fp[static_cast<int>(p)], a[0],
                                         a[1]);
          }
          arith::CmpIPredicate sp[] = {
              arith::CmpIPredicate::eq,  arith::CmpIPredicate::ne,
              arith::CmpIPredicate::slt, arith::CmpIPredicate::sle,
              arith::CmpIPredicate::sgt, arith::CmpIPredicate::sge};
          arith::CmpIPredicate up[] = {
              arith::CmpIPredicate::eq,  arith::CmpIPredicate::ne,
              arith::CmpIPredicate::ult, arith::CmpIPredicate::ule,
              arith::CmpIPredicate::ugt, arith::CmpIPredicate::uge};
          Value x = a[0], y = a[1];
          if (!t.isSignlessInteger()) {
            Type s = b.getIntegerType(t.getIntOrFloatBitWidth());
            x = arith::BitcastOp::create(b, loc, s, x);
            y = arith::BitcastOp::create(b, loc, s, y);
          }
          return arith::CmpIOp::create(
              b, loc, (unsignedInt ? up : sp)[static_cast<int>(p)], x, y);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerSelect : TfmPattern<tfm::SelectOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::SelectOp op,
                                PatternRewriter &rewriter) const override {
    Value result = broadcastElementwise(
        rewriter, op.getLoc(), op, op.getType(),
        ValueRange{op.getCondition(), op.getOnTrue(), op.getOnFalse()},
        [](OpBuilder &b, Location loc, ValueRange a) -> Value {
          return arith::SelectOp::create(b, loc, a[0], a[1], a[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerCast : TfmPattern<tfm::CastOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::CastOp op,
                                PatternRewriter &rewriter) const override {
    Type to = op.getType().getElementType();
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), ValueRange{op.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange a) {
          return convertScalar(b, loc, a[0], to);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerClip : TfmPattern<tfm::ClipOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ClipOp op,
                                PatternRewriter &rewriter) const override {
    Type t = op.getType().getElementType();
    auto bound = [&](OpBuilder &b, Location loc, double v) -> Value {
      if (isFloat(t))
        return floatConst(b, loc, t, v);
      return arith::ConstantOp::create(
          b, loc, b.getIntegerAttr(t, static_cast<int64_t>(v)));
    };
    std::optional<APFloat> lo = op.getMin(), hi = op.getMax();
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), ValueRange{op.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange a) {
          Value x = a[0];
          if (lo)
            x = maxOf(b, loc, x, bound(b, loc, lo->convertToDouble()));
          if (hi)
            x = minOf(b, loc, x, bound(b, loc, hi->convertToDouble()));
          return x;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerGelu : TfmPattern<tfm::GeluOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::GeluOp op,
                                PatternRewriter &rewriter) const override {
    bool tanhForm = op.getApproximate() == tfm::GeluApproximation::tanh;
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), ValueRange{op.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange a) {
          return geluScalar(b, loc, a[0], tanhForm);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerMatmul : TfmPattern<tfm::MatmulOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (isa<quant::QuantizedType>(op.getRhs().getType().getElementType()))
      return rewriter.notifyMatchFailure(op, "quantized rhs");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = op.getType();
    Type t = type.getElementType();
    int64_t rank = type.getRank(); // batch..., m, n; loop k is dim `rank`.
    Value lhs = op.getLhs(), rhs = op.getRhs();
    auto operandMap = [&](Value v, bool transposed, bool isLhs) {
      auto vt = tensorTypeOf(v);
      int64_t vr = vt.getRank(), batch = vr - 2;
      SmallVector<AffineExpr> exprs;
      int64_t offset = (rank - 2) - batch;
      for (int64_t j = 0; j < batch; ++j) {
        int64_t loopDim = j + offset;
        if (vt.getDimSize(j) == 1 && type.getDimSize(loopDim) != 1)
          exprs.push_back(getAffineConstantExpr(0, ctx));
        else
          exprs.push_back(getAffineDimExpr(loopDim, ctx));
      }
      // Loops (batch..., m, k, n): n innermost, so that the inner loop
      // streams rows of rhs and of the result (vectorizable without
      // reassociating the reduction).
      AffineExpr m = getAffineDimExpr(rank - 2, ctx);
      AffineExpr k = getAffineDimExpr(rank - 1, ctx);
      AffineExpr n = getAffineDimExpr(rank, ctx);
      AffineExpr row = isLhs ? m : k, col = isLhs ? k : n;
      if (transposed)
        std::swap(row, col);
      exprs.push_back(row);
      exprs.push_back(col);
      return AffineMap::get(rank + 1, 0, exprs, ctx);
    };
    // Result dims: batch from whichever operand is not 1, m from lhs, n
    // from rhs.
    auto lt = tensorTypeOf(lhs), rt = tensorTypeOf(rhs);
    Value init = emptyLike(rewriter, loc, type, [&](int64_t d) -> Value {
      if (d == rank - 2)
        return dimOf(rewriter, loc, lhs,
                     op.getTransposeLhs() ? lt.getRank() - 1 : lt.getRank() - 2);
      if (d == rank - 1)
        return dimOf(rewriter, loc, rhs,
                     op.getTransposeRhs() ? rt.getRank() - 2 : rt.getRank() - 1);
      for (Value v : {lhs, rhs}) {
        auto vt = tensorTypeOf(v);
        int64_t j = d - ((rank - 2) - (vt.getRank() - 2));
        if (j >= 0 && vt.getDimSize(j) != 1)
          return dimOf(rewriter, loc, v, j);
      }
      return indexConst(rewriter, loc, 1);
    });
    Value acc = filled(rewriter, loc, init, zeroOf(rewriter, loc, t));
    SmallVector<AffineMap> maps{operandMap(lhs, op.getTransposeLhs(), true),
                                operandMap(rhs, op.getTransposeRhs(), false),
                                dropDimsMap(ctx, rank + 1, {rank - 1})};
    SmallVector<IteratorType> iterators(rank + 1, IteratorType::parallel);
    iterators[rank - 1] = IteratorType::reduction;
    Value product =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{type}, ValueRange{lhs, rhs},
            ValueRange{acc}, maps, iterators,
            [&](OpBuilder &b, Location l, ValueRange a) {
              Value p = arith::MulFOp::create(b, l, a[0], a[1]);
              linalg::YieldOp::create(b, l,
                                      arith::AddFOp::create(b, l, a[2], p)
                                          .getResult());
            })
            .getResult(0);
    // Epilogue: activation(product + bias) + residual.
    std::optional<tfm::Activation> activation = op.getActivation();
    if (op.getBias() || activation || op.getResidual()) {
      SmallVector<Value> operands{product};
      if (op.getBias())
        operands.push_back(op.getBias());
      if (op.getResidual())
        operands.push_back(op.getResidual());
      bool hasBias = static_cast<bool>(op.getBias());
      product = elementwise(
          rewriter, loc, type, operands,
          [&](OpBuilder &b, Location l, ValueRange a) {
            Value x = a[0];
            unsigned next = 1;
            if (hasBias)
              x = arith::AddFOp::create(b, l, x, a[next++]);
            if (activation)
              x = activationScalar(b, l, x, *activation);
            if (next < a.size())
              x = arith::AddFOp::create(b, l, x, a[next]);
            return x;
          });
    }
    rewriter.replaceOp(op, product);
    return success();
  }
};

struct LowerSoftmax : TfmPattern<tfm::SoftmaxOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, softmax(rewriter, op.getLoc(), op.getInput(),
                                   op.getAxis(), op.getLog()));
    return success();
  }
};

/// layer_norm and rms_norm over dims [axis, rank), in two passes: the
/// statistics (mean, then the mean of squares of x - mean, or of x for RMS),
/// then one generic that normalizes, scales and shifts.
template <typename OpTy, bool rms>
struct LowerNorm : TfmPattern<OpTy> {
  using TfmPattern<OpTy>::TfmPattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = op.getInput();
    auto type = tensorTypeOf(x);
    Type t = type.getElementType();
    int64_t rank = type.getRank(), axis = op.getAxis();
    SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(axis, rank));
    Value count = countOf(rewriter, loc, x, axes, t);
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap reduced = dropDimsMap(ctx, rank, axes);
    AffineMap param = dropDimsMap(
        ctx, rank, llvm::to_vector(llvm::seq<int64_t>(0, axis)));
    SmallVector<IteratorType> stats(rank, IteratorType::parallel);
    for (int64_t d : axes)
      stats[d] = IteratorType::reduction;
    Value zero = zeroOf(rewriter, loc, t);
    Value eps =
        floatConst(rewriter, loc, t, op.getEpsilon().convertToDouble());

    // Reduced-shape accumulator filled with 0.
    SmallVector<int64_t> reducedShape(type.getShape().take_front(axis));
    auto reducedType = RankedTensorType::get(reducedShape, t);
    auto zeroAcc = [&] {
      Value empty = emptyLike(rewriter, loc, reducedType, [&](int64_t d) {
        return dimOf(rewriter, loc, x, d);
      });
      return filled(rewriter, loc, empty, zero);
    };
    Value mean;
    if (!rms) {
      Value sum = linalg::GenericOp::create(
                      rewriter, loc, TypeRange{reducedType}, ValueRange{x},
                      ValueRange{zeroAcc()}, {id, reduced}, stats,
                      [&](OpBuilder &b, Location l, ValueRange a) {
                        linalg::YieldOp::create(
                            b, l, arith::AddFOp::create(b, l, a[0], a[1])
                                      .getResult());
                      })
                      .getResult(0);
      mean = elementwise(rewriter, loc, reducedType, ValueRange{sum},
                         [&](OpBuilder &b, Location l, ValueRange a) {
                           return arith::DivFOp::create(b, l, a[0], count)
                               .getResult();
                         });
    }
    SmallVector<Value> statInputs{x};
    SmallVector<AffineMap> statMaps{id};
    if (mean) {
      statInputs.push_back(mean);
      statMaps.push_back(reduced);
    }
    statMaps.push_back(reduced);
    Value squares =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{reducedType}, statInputs,
            ValueRange{zeroAcc()}, statMaps, stats,
            [&](OpBuilder &b, Location l, ValueRange a) {
              Value d = rms ? a[0]
                            : arith::SubFOp::create(b, l, a[0], a[1])
                                  .getResult();
              Value sq = arith::MulFOp::create(b, l, d, d);
              linalg::YieldOp::create(
                  b, l, arith::AddFOp::create(b, l, a.back(), sq).getResult());
            })
            .getResult(0);

    SmallVector<Value> inputs{x, squares};
    SmallVector<AffineMap> maps{id, reduced};
    if (mean) {
      inputs.push_back(mean);
      maps.push_back(reduced);
    }
    inputs.push_back(op.getScale());
    maps.push_back(param);
    Value bias;
    if constexpr (!rms)
      bias = op.getBias();
    if (bias) {
      inputs.push_back(bias);
      maps.push_back(param);
    }
    maps.push_back(id);
    Value init = emptyLike(rewriter, loc, type, [&](int64_t d) {
      return dimOf(rewriter, loc, x, d);
    });
    SmallVector<IteratorType> parallel(rank, IteratorType::parallel);
    bool hasMean = static_cast<bool>(mean), hasBias = static_cast<bool>(bias);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{op.getType()}, inputs, ValueRange{init},
            maps, parallel,
            [&](OpBuilder &b, Location l, ValueRange a) {
              unsigned next = 2;
              Value centered =
                  hasMean ? arith::SubFOp::create(b, l, a[0], a[next++])
                                .getResult()
                          : a[0];
              Value variance = arith::DivFOp::create(b, l, a[1], count);
              Value inv = math::RsqrtOp::create(
                  b, l, arith::AddFOp::create(b, l, variance, eps));
              Value y = arith::MulFOp::create(
                  b, l, arith::MulFOp::create(b, l, centered, inv),
                  a[next++]);
              if (hasBias)
                y = arith::AddFOp::create(b, l, y, a[next]);
              linalg::YieldOp::create(b, l, y);
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerSilu : TfmPattern<tfm::SiluOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::SiluOp op,
                                PatternRewriter &rewriter) const override {
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), ValueRange{op.getInput()},
        [](OpBuilder &b, Location loc, ValueRange a) -> Value {
          return arith::MulFOp::create(b, loc, a[0],
                                       sigmoidScalar(b, loc, a[0]));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerReduce : TfmPattern<tfm::ReduceOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ReduceOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = op.getInput();
    Type t = op.getType().getElementType();
    tfm::ReduceKind kind = op.getKind();
    ArrayRef<int64_t> axes = op.getAxes();
    Value reduced = reduceDims(
        rewriter, loc, input, axes, reduceInit(rewriter, loc, t, kind),
        [&](OpBuilder &b, Location l, Value x, Value acc) -> Value {
          switch (kind) {
          case tfm::ReduceKind::max:
            return maxOf(b, l, x, acc);
          case tfm::ReduceKind::min:
            return minOf(b, l, x, acc);
          case tfm::ReduceKind::prod:
            return mul(b, l, x, acc);
          case tfm::ReduceKind::sum_square:
          case tfm::ReduceKind::l2:
            return add(b, l, acc, mul(b, l, x, x));
          default:
            return add(b, l, x, acc);
          }
        });
    if (kind == tfm::ReduceKind::mean || kind == tfm::ReduceKind::l2) {
      Value count = countOf(rewriter, loc, input, axes, t);
      reduced = elementwise(
          rewriter, loc, tensorTypeOf(reduced), ValueRange{reduced},
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            if (kind == tfm::ReduceKind::l2)
              return math::SqrtOp::create(b, l, a[0]);
            return div(b, l, a[0], count);
          });
    }
    if (op.getKeepdims())
      reduced = keepDims(rewriter, loc, reduced, op.getType(), axes);
    rewriter.replaceOp(op, castTo(rewriter, loc, reduced, op.getType()));
    return success();
  }
};

/// argmax as one reduction with two results: the running maximum and its
/// index (the first occurrence wins, as in ONNX with select_last_index=0).
struct LowerArgMax : TfmPattern<tfm::ArgMaxOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ArgMaxOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = op.getInput();
    auto xt = tensorTypeOf(x);
    Type t = xt.getElementType();
    int64_t rank = xt.getRank(), axis = op.getAxis();
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis)
        shape.push_back(xt.getDimSize(d));
    auto valueType = RankedTensorType::get(shape, t);
    auto indexType = RankedTensorType::get(shape, rewriter.getI64Type());
    auto dimFn = [&](int64_t d) {
      return dimOf(rewriter, loc, x, d < axis ? d : d + 1);
    };
    Value values = filled(rewriter, loc,
                          emptyLike(rewriter, loc, valueType, dimFn),
                          reduceInit(rewriter, loc, t, tfm::ReduceKind::max));
    Value indices = filled(rewriter, loc,
                           emptyLike(rewriter, loc, indexType, dimFn),
                           zeroOf(rewriter, loc, rewriter.getI64Type()));
    SmallVector<IteratorType> iterators(rank, IteratorType::parallel);
    iterators[axis] = IteratorType::reduction;
    AffineMap out = dropDimsMap(ctx, rank, {axis});
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{valueType, indexType}, ValueRange{x},
        ValueRange{values, indices},
        {AffineMap::getMultiDimIdentityMap(rank, ctx), out, out}, iterators,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value greater =
              isFloat(t)
                  ? arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                          a[0], a[1])
                        .getResult()
                  : arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt,
                                          a[0], a[1])
                        .getResult();
          Value i = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, axis));
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, greater, a[0], a[1]),
                         arith::SelectOp::create(b, l, greater, i, a[2])});
        });
    Value result = generic.getResult(1);
    if (op.getKeepdims())
      result = keepDims(rewriter, loc, result, op.getType(), {axis});
    rewriter.replaceOp(op, castTo(rewriter, loc, result, op.getType()));
    return success();
  }
};

/// cumsum as a masked reduction over the scanned axis (the axes scanned in
/// transformer graphs are short: position ids over the sequence).
struct LowerCumSum : TfmPattern<tfm::CumSumOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::CumSumOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = op.getInput();
    auto type = op.getType();
    int64_t rank = type.getRank(), axis = op.getAxis();
    Type t = type.getElementType();
    // Loops: the result dims, plus j (the summed position) last.
    SmallVector<AffineExpr> inExprs;
    for (int64_t d = 0; d < rank; ++d)
      inExprs.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
    SmallVector<AffineMap> maps{
        AffineMap::get(rank + 1, 0, inExprs, ctx),
        AffineMap::getMultiDimIdentityMap(rank + 1, ctx).getMajorSubMap(rank)};
    SmallVector<IteratorType> iterators(rank, IteratorType::parallel);
    iterators.push_back(IteratorType::reduction);
    Value init = filled(rewriter, loc,
                        emptyLike(rewriter, loc, type,
                                  [&](int64_t d) {
                                    return dimOf(rewriter, loc, x, d);
                                  }),
                        zeroOf(rewriter, loc, t));
    bool exclusive = op.getExclusive(), reverse = op.getReverse();
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{type}, ValueRange{x}, ValueRange{init},
            maps, iterators,
            [&](OpBuilder &b, Location l, ValueRange a) {
              Value i = linalg::IndexOp::create(b, l, axis);
              Value j = linalg::IndexOp::create(b, l, rank);
              arith::CmpIPredicate p =
                  reverse ? (exclusive ? arith::CmpIPredicate::sgt
                                       : arith::CmpIPredicate::sge)
                          : (exclusive ? arith::CmpIPredicate::slt
                                       : arith::CmpIPredicate::sle);
              Value take = arith::CmpIOp::create(b, l, p, j, i);
              Value v = arith::SelectOp::create(b, l, take, a[0],
                                                zeroOf(b, l, t));
              linalg::YieldOp::create(b, l, add(b, l, a[1], v));
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerReshape : TfmPattern<tfm::ReshapeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    RankedTensorType type = op.getType();
    auto xt = tensorTypeOf(x);
    // Resolve the shape at run time: a -1 entry takes what is left of the
    // element count.
    Value total = indexConst(rewriter, loc, 1);
    for (int64_t d = 0; d < xt.getRank(); ++d)
      total = arith::MulIOp::create(rewriter, loc, total,
                                    dimOf(rewriter, loc, x, d));
    SmallVector<Value> entries;
    Value known = indexConst(rewriter, loc, 1);
    Value minusOne = indexConst(rewriter, loc, -1);
    for (int64_t i = 0; i < type.getRank(); ++i) {
      Value e = type.isDynamicDim(i)
                    ? extractIndex(rewriter, loc, op.getShape(), i)
                    : indexConst(rewriter, loc, type.getDimSize(i));
      entries.push_back(e);
      Value isInferred = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::eq, e, minusOne);
      known = arith::SelectOp::create(
          rewriter, loc, isInferred, known,
          arith::MulIOp::create(rewriter, loc, known, e).getResult());
    }
    // An empty tensor makes `known` 0; its -1 entry is then 0 too.
    Value one = indexConst(rewriter, loc, 1);
    Value safeKnown = arith::MaxSIOp::create(rewriter, loc, known, one);
    Value inferred = arith::DivSIOp::create(rewriter, loc, total, safeKnown);
    SmallVector<Value> dims;
    std::string label = nodeLabel(op);
    Value product = indexConst(rewriter, loc, 1);
    for (auto [i, e] : llvm::enumerate(entries)) {
      Value isInferred = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::eq, e, minusOne);
      if (type.isDynamicDim(i)) // -1 is the inferred entry.
        checkAtLeast(rewriter, loc, e, -1,
                     label + ": entry " + Twine(i) +
                         " of the target shape is {0}, a negative size");
      dims.push_back(
          arith::SelectOp::create(rewriter, loc, isInferred, inferred, e));
      product = arith::MulIOp::create(rewriter, loc, product, dims.back());
    }
    // The element count is kept (and a -1 divided evenly).
    runtimeCheck(rewriter, loc,
                 arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                       product, total),
                 label + ": cannot reshape {0} elements into a shape of {1}",
                 ValueRange{total, product});
    auto shapeType =
        RankedTensorType::get({type.getRank()}, rewriter.getIndexType());
    Value shape = tensor::FromElementsOp::create(rewriter, loc, shapeType, dims);
    rewriter.replaceOpWithNewOp<tensor::ReshapeOp>(op, type, x, shape);
    return success();
  }
};

struct LowerTranspose : TfmPattern<tfm::TransposeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ArrayRef<int64_t> perm = op.getPermutation();
    Value init = emptyLike(rewriter, loc, op.getType(), [&](int64_t d) {
      return dimOf(rewriter, loc, op.getInput(), perm[d]);
    });
    auto transpose =
        linalg::TransposeOp::create(rewriter, loc, op.getInput(), init, perm);
    rewriter.replaceOp(op, transpose.getResult());
    return success();
  }
};

struct LowerConcat : TfmPattern<tfm::ConcatOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ConcatOp op,
                                PatternRewriter &rewriter) const override {
    // Inputs that are statically empty along the axis add nothing (and
    // tensor.concat's decomposition would slice past the end for them).
    SmallVector<Value> inputs;
    for (Value input : op.getInputs())
      if (tensorTypeOf(input).getDimSize(op.getAxis()) != 0)
        inputs.push_back(input);
    if (inputs.empty())
      inputs.push_back(op.getInputs().front());
    Value result =
        inputs.size() == 1
            ? inputs.front()
            : tensor::ConcatOp::create(rewriter, op.getLoc(), op.getAxis(),
                                       inputs)
                  .getResult();
    rewriter.replaceOp(op, castTo(rewriter, op.getLoc(), result, op.getType()));
    return success();
  }
};

struct LowerSlice : TfmPattern<tfm::SliceOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::SliceOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto xt = tensorTypeOf(x);
    ArrayRef<int64_t> axes = op.getAxes(), steps = op.getSteps();
    if (llvm::any_of(steps, [](int64_t s) { return s < 0; }))
      return op.emitOpError("negative slice steps are not supported by the "
                            "lowering yet");
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (int64_t d = 0; d < xt.getRank(); ++d) {
      offsets.push_back(rewriter.getIndexAttr(0));
      sizes.push_back(dimOfFold(rewriter, loc, x, d));
      strides.push_back(rewriter.getIndexAttr(1));
    }
    Value zero = indexConst(rewriter, loc, 0);
    for (auto [i, axis] : llvm::enumerate(axes)) {
      Value dim = dimOf(rewriter, loc, x, axis);
      // Bounds are i64 and may be huge (INT64_MAX means "to the end").
      auto bound = [&](Value tensor) {
        Value v = tensor::ExtractOp::create(
            rewriter, loc, tensor, ValueRange{indexConst(rewriter, loc, i)});
        Value dim64 = arith::IndexCastOp::create(rewriter, loc,
                                                 rewriter.getI64Type(), dim);
        Value zero64 = zeroOf(rewriter, loc, rewriter.getI64Type());
        Value neg = arith::CmpIOp::create(rewriter, loc,
                                          arith::CmpIPredicate::slt, v, zero64);
        Value wrapped = arith::SelectOp::create(
            rewriter, loc, neg,
            arith::AddIOp::create(rewriter, loc, v, dim64).getResult(), v);
        Value clamped = arith::MinSIOp::create(
            rewriter, loc,
            arith::MaxSIOp::create(rewriter, loc, wrapped, zero64).getResult(),
            dim64);
        return arith::IndexCastOp::create(rewriter, loc,
                                          rewriter.getIndexType(), clamped)
            .getResult();
      };
      Value start = bound(op.getStarts());
      Value end = bound(op.getEnds());
      Value step = indexConst(rewriter, loc, steps[i]);
      Value span = arith::MaxSIOp::create(
          rewriter, loc, arith::SubIOp::create(rewriter, loc, end, start).getResult(),
          zero);
      Value size = arith::CeilDivSIOp::create(rewriter, loc, span, step);
      offsets[axis] = start;
      sizes[axis] = size;
      strides[axis] = rewriter.getIndexAttr(steps[i]);
    }
    Value slice = tensor::ExtractSliceOp::create(rewriter, loc, x, offsets,
                                                 sizes, strides);
    rewriter.replaceOp(op, castTo(rewriter, loc, slice, op.getType()));
    return success();
  }
};

struct LowerSplit : TfmPattern<tfm::SplitOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::SplitOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto xt = tensorTypeOf(x);
    int64_t axis = op.getAxis(), pieces = op.getOutputs().size();
    Value dim = dimOf(rewriter, loc, x, axis);
    Value chunk = arith::CeilDivSIOp::create(
        rewriter, loc, dim, indexConst(rewriter, loc, pieces));
    Value offset = indexConst(rewriter, loc, 0);
    SmallVector<Value> results;
    for (int64_t i = 0; i < pieces; ++i) {
      SmallVector<OpFoldResult> offsets, sizes, strides;
      Value size;
      if (std::optional<ArrayRef<int64_t>> given = op.getSizes())
        size = indexConst(rewriter, loc, (*given)[i]);
      else
        size = arith::MaxSIOp::create(
            rewriter, loc,
            arith::MinSIOp::create(
                rewriter, loc, chunk,
                arith::SubIOp::create(rewriter, loc, dim, offset).getResult())
                .getResult(),
            indexConst(rewriter, loc, 0));
      for (int64_t d = 0; d < xt.getRank(); ++d) {
        offsets.push_back(d == axis ? OpFoldResult(offset)
                                    : rewriter.getIndexAttr(0));
        sizes.push_back(d == axis ? OpFoldResult(size)
                                  : dimOfFold(rewriter, loc, x, d));
        strides.push_back(rewriter.getIndexAttr(1));
      }
      Value piece = tensor::ExtractSliceOp::create(rewriter, loc, x, offsets,
                                                   sizes, strides);
      results.push_back(
          castTo(rewriter, loc, piece, op.getOutputs()[i].getType()));
      offset = arith::AddIOp::create(rewriter, loc, offset, size);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// gather(input, indices, axis): result[pre, idx..., post] =
/// input[pre, wrap(indices[idx...]), post].
/// Fails the run unless every one of `indices` is in [-size, size) for
/// dim `axis` of `input`: one pass over the indices for their least and
/// greatest (serial code, before the gather's parallel loops).
void checkIndices(OpBuilder &b, Location loc, Operation *op, Value input,
                  Value indices, int64_t axis) {
  MLIRContext *ctx = b.getContext();
  auto idxType = tensorTypeOf(indices);
  int64_t staticSize = tensorTypeOf(input).getDimSize(axis);
  DenseIntElementsAttr constant;
  if (!ShapedType::isDynamic(staticSize) &&
      matchPattern(indices, m_Constant(&constant)) &&
      llvm::all_of(constant.getValues<APInt>(), [&](const APInt &i) {
        return i.getSExtValue() >= -staticSize && i.getSExtValue() < staticSize;
      }))
    return; // Known in range.
  Type t = idxType.getElementType();
  int64_t rank = idxType.getRank();
  auto scalarType = RankedTensorType::get({}, t);
  unsigned width = t.getIntOrFloatBitWidth();
  auto extreme = [&](bool least) {
    APInt v = least ? APInt::getSignedMaxValue(width)
                    : APInt::getSignedMinValue(width);
    Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, t);
    return filled(b, loc, init,
                  arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, v)));
  };
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 AffineMap::get(rank, 0, {}, ctx),
                                 AffineMap::get(rank, 0, {}, ctx)};
  SmallVector<IteratorType> iterators(rank, IteratorType::reduction);
  auto bounds = linalg::GenericOp::create(
      b, loc, TypeRange{scalarType, scalarType}, ValueRange{indices},
      ValueRange{extreme(true), extreme(false)}, maps, iterators,
      [](OpBuilder &nb, Location l, ValueRange a) {
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::MinSIOp::create(nb, l, a[0], a[1]),
                       arith::MaxSIOp::create(nb, l, a[0], a[2])});
      });
  auto extract = [&](unsigned i) -> Value {
    Value v = tensor::ExtractOp::create(b, loc, bounds.getResult(i),
                                        ValueRange{});
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  };
  Value least = extract(0), greatest = extract(1);
  Value size = dimOf(b, loc, input, axis);
  Value low = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::slt, least,
      arith::SubIOp::create(b, loc, indexConst(b, loc, 0), size));
  Value high =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, greatest, size);
  Value bad = arith::SelectOp::create(b, loc, low, least, greatest);
  Value ok = arith::XOrIOp::create(
      b, loc, arith::OrIOp::create(b, loc, low, high),
      arith::ConstantOp::create(b, loc, b.getBoolAttr(true)));
  runtimeCheck(b, loc, ok,
               nodeLabel(op) + ": index {0} is out of range for dimension " +
                   Twine(axis) + " of size {1}",
               ValueRange{bad, size});
}

Value gather(OpBuilder &b, Location loc, Value input, Value indices,
             int64_t axis, RankedTensorType type) {
  MLIRContext *ctx = b.getContext();
  auto it = tensorTypeOf(input);
  auto idxType = tensorTypeOf(indices);
  int64_t rank = type.getRank(), ir = idxType.getRank();
  SmallVector<AffineExpr> idxExprs;
  for (int64_t d = axis; d < axis + ir; ++d)
    idxExprs.push_back(getAffineDimExpr(d, ctx));
  SmallVector<AffineMap> maps{AffineMap::get(rank, 0, idxExprs, ctx),
                              AffineMap::getMultiDimIdentityMap(rank, ctx)};
  Value init = emptyLike(b, loc, type, [&](int64_t d) {
    if (d < axis)
      return dimOf(b, loc, input, d);
    if (d < axis + ir)
      return dimOf(b, loc, indices, d - axis);
    return dimOf(b, loc, input, d - ir + 1);
  });
  SmallVector<IteratorType> parallel(rank, IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{indices}, ValueRange{init},
             maps, parallel,
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value i = arith::IndexCastOp::create(nb, l, nb.getIndexType(),
                                                    a[0]);
               Value size = dimOf(nb, l, input, axis);
               Value neg = arith::CmpIOp::create(
                   nb, l, arith::CmpIPredicate::slt, i, indexConst(nb, l, 0));
               i = arith::SelectOp::create(
                   nb, l, neg, arith::AddIOp::create(nb, l, i, size).getResult(),
                   i);
               SmallVector<Value> at;
               for (int64_t d = 0; d < axis; ++d)
                 at.push_back(linalg::IndexOp::create(nb, l, d));
               at.push_back(i);
               for (int64_t d = axis + 1; d < it.getRank(); ++d)
                 at.push_back(linalg::IndexOp::create(nb, l, d - 1 + ir));
               linalg::YieldOp::create(
                   nb, l, tensor::ExtractOp::create(nb, l, input, at).getResult());
             })
      .getResult(0);
}

struct LowerGather : TfmPattern<tfm::GatherOp> {
  LowerGather(MLIRContext *ctx, bool check) : TfmPattern(ctx), check(check) {}
  LogicalResult matchAndRewrite(tfm::GatherOp op,
                                PatternRewriter &rewriter) const override {
    if (check)
      checkIndices(rewriter, op.getLoc(), op, op.getInput(), op.getIndices(),
                   op.getAxis());
    rewriter.replaceOp(op, gather(rewriter, op.getLoc(), op.getInput(),
                                  op.getIndices(), op.getAxis(),
                                  op.getType()));
    return success();
  }
  bool check;
};

struct LowerEmbedding : TfmPattern<tfm::EmbeddingOp> {
  LowerEmbedding(MLIRContext *ctx, bool check)
      : TfmPattern(ctx), check(check) {}
  LogicalResult matchAndRewrite(tfm::EmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    if (isa<quant::QuantizedType>(op.getTable().getType().getElementType()))
      return rewriter.notifyMatchFailure(op, "quantized table");
    if (check)
      checkIndices(rewriter, op.getLoc(), op, op.getTable(), op.getIds(), 0);
    rewriter.replaceOp(op, gather(rewriter, op.getLoc(), op.getTable(),
                                  op.getIds(), 0, op.getType()));
    return success();
  }
  bool check;
};

struct LowerExpand : TfmPattern<tfm::ExpandOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ExpandOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    RankedTensorType type = op.getType();
    int64_t shapeOffset =
        type.getRank() - tensorTypeOf(op.getShape()).getDimSize(0);
    // ONNX Expand broadcasts both ways: the input against the target shape.
    SmallVector<Value> shapeSizes(type.getRank());
    for (int64_t d = shapeOffset; d < type.getRank(); ++d)
      shapeSizes[d] = extractIndex(rewriter, loc, op.getShape(), d - shapeOffset);
    ResolvedBroadcast r =
        resolveBroadcast(rewriter, loc, op, ValueRange{x}, type, shapeSizes);
    Value result = elementwiseSized(
        rewriter, loc, type, r.operands,
        [&](int64_t d) { return r.sizes[d]; },
        [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Squeeze and unsqueeze as collapse/expand of size-1 dims.
struct LowerSqueeze : TfmPattern<tfm::SqueezeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::SqueezeOp op,
                                PatternRewriter &rewriter) const override {
    auto xt = tensorTypeOf(op.getInput());
    SmallVector<ReassociationIndices> groups;
    ReassociationIndices pending;
    for (int64_t d = 0; d < xt.getRank(); ++d) {
      pending.push_back(d);
      if (!llvm::is_contained(op.getAxes(), d)) {
        groups.push_back(pending);
        pending.clear();
      }
    }
    if (!pending.empty() && !groups.empty())
      llvm::append_range(groups.back(), pending);
    // A squeezed dim that is dynamic in the type is 1 at run time; make it
    // static first so collapse_shape accepts it.
    Value input = op.getInput();
    SmallVector<int64_t> shape(xt.getShape());
    for (int64_t a : op.getAxes())
      shape[a] = 1;
    input = castTo(rewriter, op.getLoc(), input, xt.clone(shape));
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, op.getType(),
                                                         input, groups);
    return success();
  }
};

struct LowerUnsqueeze : TfmPattern<tfm::UnsqueezeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::UnsqueezeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    RankedTensorType type = op.getType();
    SmallVector<ReassociationIndices> groups;
    ReassociationIndices pending;
    SmallVector<OpFoldResult> outShape;
    int64_t src = 0;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      pending.push_back(d);
      if (llvm::is_contained(op.getAxes(), d)) {
        outShape.push_back(rewriter.getIndexAttr(1));
        continue;
      }
      outShape.push_back(dimOfFold(rewriter, loc, x, src++));
      groups.push_back(pending);
      pending.clear();
    }
    if (!pending.empty() && !groups.empty())
      llvm::append_range(groups.back(), pending);
    if (tensorTypeOf(x).getRank() == 0)
      groups.clear();
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, type, x, groups,
                                                       outShape);
    return success();
  }
};

struct LowerShape : TfmPattern<tfm::ShapeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ShapeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<Value> dims;
    for (int64_t d = op.getStart(); d < op.getEndDim(); ++d)
      dims.push_back(arith::IndexCastOp::create(
          rewriter, loc, rewriter.getI64Type(),
          dimOf(rewriter, loc, op.getInput(), d)));
    rewriter.replaceOpWithNewOp<tensor::FromElementsOp>(op, op.getType(),
                                                        dims);
    return success();
  }
};

struct LowerConstantOfShape : TfmPattern<tfm::ConstantOfShapeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ConstantOfShapeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    std::string label = nodeLabel(op);
    Value empty = emptyLike(rewriter, loc, op.getType(), [&](int64_t d) {
      Value size = extractIndex(rewriter, loc, op.getShape(), d);
      checkAtLeast(rewriter, loc, size, 0,
                   label + ": dimension " + Twine(d) +
                       " of the shape is {0}, a negative size");
      return size;
    });
    Value value = arith::ConstantOp::create(rewriter, loc, op.getValue());
    rewriter.replaceOp(op, filled(rewriter, loc, empty, value));
    return success();
  }
};

struct LowerRange : TfmPattern<tfm::RangeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::RangeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type t = op.getType().getElementType();
    auto scalar = [&](Value v) {
      return tensor::ExtractOp::create(rewriter, loc, v, ValueRange{})
          .getResult();
    };
    Value start = scalar(op.getStart()), limit = scalar(op.getLimit()),
          delta = scalar(op.getDelta());
    Value length;
    if (isFloat(t)) {
      Value n = math::CeilOp::create(
          rewriter, loc,
          arith::DivFOp::create(rewriter, loc,
                                arith::SubFOp::create(rewriter, loc, limit, start)
                                    .getResult(),
                                delta)
              .getResult());
      length = arith::FPToSIOp::create(rewriter, loc, rewriter.getI64Type(), n);
      length = arith::IndexCastOp::create(rewriter, loc,
                                          rewriter.getIndexType(), length);
    } else {
      // A zero delta is invalid ONNX; divide by 1 then rather than trap.
      Value zeroD = zeroOf(rewriter, loc, t);
      Value isZero = arith::CmpIOp::create(rewriter, loc,
                                           arith::CmpIPredicate::eq, delta,
                                           zeroD);
      Value safeDelta = arith::SelectOp::create(
          rewriter, loc, isZero,
          arith::ConstantOp::create(rewriter, loc, rewriter.getIntegerAttr(t, 1)),
          delta);
      Value n = arith::CeilDivSIOp::create(
          rewriter, loc, arith::SubIOp::create(rewriter, loc, limit, start),
          safeDelta);
      length = arith::IndexCastOp::create(rewriter, loc,
                                          rewriter.getIndexType(), n);
    }
    length = arith::MaxSIOp::create(rewriter, loc, length,
                                    indexConst(rewriter, loc, 0));
    RankedTensorType type = op.getType();
    Value empty = emptyLike(rewriter, loc, type, [&](int64_t) { return length; });
    MLIRContext *ctx = rewriter.getContext();
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{type}, ValueRange{}, ValueRange{empty},
            {AffineMap::getMultiDimIdentityMap(1, ctx)},
            {IteratorType::parallel},
            [&](OpBuilder &b, Location l, ValueRange) {
              Value i = linalg::IndexOp::create(b, l, 0);
              Value i64 = arith::IndexCastOp::create(b, l, b.getI64Type(), i);
              Value iv = convertScalar(b, l, i64, t);
              linalg::YieldOp::create(b, l,
                                      add(b, l, start, mul(b, l, iv, delta)));
            })
            .getResult(0);
    rewriter.replaceOp(op, castTo(rewriter, loc, result, op.getType()));
    return success();
  }
};

struct LowerTrilu : TfmPattern<tfm::TriluOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::TriluOp op,
                                PatternRewriter &rewriter) const override {
    int64_t rank = op.getType().getRank();
    int64_t k = static_cast<int64_t>(op.getK());
    bool upper = op.getUpper();
    Type t = op.getType().getElementType();
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), ValueRange{op.getInput()},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value row = linalg::IndexOp::create(b, l, rank - 2);
          Value col = linalg::IndexOp::create(b, l, rank - 1);
          Value diff = arith::SubIOp::create(b, l, col, row);
          Value keep = arith::CmpIOp::create(
              b, l,
              upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
              diff, indexConst(b, l, k));
          return arith::SelectOp::create(b, l, keep, a[0], zeroOf(b, l, t));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// scatter_nd with scalar loops over the index tuples and slice elements.
struct LowerScatterND : TfmPattern<tfm::ScatterNDOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ScatterNDOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value data = op.getData(), indices = op.getIndices(),
          updates = op.getUpdates();
    auto dt = tensorTypeOf(data), it = tensorTypeOf(indices);
    int64_t k = it.getShape().back();
    int64_t tupleRank = it.getRank() - 1, sliceRank = dt.getRank() - k;
    // Loop bounds: the tuple dims, then the slice dims.
    SmallVector<Value> ubs;
    for (int64_t d = 0; d < tupleRank; ++d)
      ubs.push_back(dimOf(rewriter, loc, indices, d));
    for (int64_t d = k; d < dt.getRank(); ++d)
      ubs.push_back(dimOf(rewriter, loc, data, d));
    Value zero = indexConst(rewriter, loc, 0), one = indexConst(rewriter, loc, 1);
    SmallVector<Value> lbs(ubs.size(), zero), stepsV(ubs.size(), one);
    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, lbs, ubs, stepsV, ValueRange{data},
        [&](OpBuilder &b, Location l, ValueRange ivs, ValueRange iter) {
          SmallVector<Value> at;
          for (int64_t j = 0; j < k; ++j) {
            SmallVector<Value> idx(ivs.take_front(tupleRank));
            idx.push_back(indexConst(b, l, j));
            Value v = tensor::ExtractOp::create(b, l, indices, idx);
            Value i = arith::IndexCastOp::create(b, l, b.getIndexType(), v);
            Value size = dimOf(b, l, data, j);
            Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                              i, indexConst(b, l, 0));
            at.push_back(arith::SelectOp::create(
                b, l, neg, arith::AddIOp::create(b, l, i, size).getResult(),
                i));
          }
          llvm::append_range(at, ivs.drop_front(tupleRank));
          Value u = tensor::ExtractOp::create(b, l, updates, ivs);
          Value inserted = tensor::InsertOp::create(b, l, u, iter[0], at);
          return SmallVector<Value>{inserted};
        });
    (void)sliceRank;
    rewriter.replaceOp(op, nest.results.front());
    return success();
  }
};

struct LowerConv : TfmPattern<tfm::ConvOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ConvOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    if (op.getType().getRank() != 4 || op.getGroup() != 1)
      return op.emitOpError("the lowering supports 2-D convolutions with "
                            "group 1 only");
    Value x = op.getInput();
    ArrayRef<int64_t> pads = op.getPads();
    if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
      SmallVector<OpFoldResult> low{rewriter.getIndexAttr(0),
                                    rewriter.getIndexAttr(0),
                                    rewriter.getIndexAttr(pads[0]),
                                    rewriter.getIndexAttr(pads[1])};
      SmallVector<OpFoldResult> high{rewriter.getIndexAttr(0),
                                     rewriter.getIndexAttr(0),
                                     rewriter.getIndexAttr(pads[2]),
                                     rewriter.getIndexAttr(pads[3])};
      auto xt = tensorTypeOf(x);
      SmallVector<int64_t> padded(xt.getShape());
      for (int i = 0; i < 2; ++i)
        if (!ShapedType::isDynamic(padded[i + 2]))
          padded[i + 2] += pads[i] + pads[i + 2];
      x = tensor::PadOp::create(rewriter, loc, xt.clone(padded), x, low, high,
                                zeroOf(rewriter, loc, xt.getElementType()));
    }
    RankedTensorType type = op.getType();
    Value init = emptyLike(rewriter, loc, type, [&](int64_t d) -> Value {
      if (d == 0)
        return dimOf(rewriter, loc, x, 0);
      if (d == 1)
        return dimOf(rewriter, loc, op.getWeight(), 0);
      Value in = dimOf(rewriter, loc, x, d);
      Value kernel = dimOf(rewriter, loc, op.getWeight(), d);
      int64_t dil = op.getDilations()[d - 2], stride = op.getStrides()[d - 2];
      Value span = arith::SubIOp::create(
          rewriter, loc, in,
          arith::MulIOp::create(
              rewriter, loc,
              arith::SubIOp::create(rewriter, loc, kernel,
                                    indexConst(rewriter, loc, 1))
                  .getResult(),
              indexConst(rewriter, loc, dil))
              .getResult());
      Value q = arith::DivSIOp::create(
          rewriter, loc,
          arith::SubIOp::create(rewriter, loc, span,
                                indexConst(rewriter, loc, 1))
              .getResult(),
          indexConst(rewriter, loc, stride));
      return arith::AddIOp::create(rewriter, loc, q,
                                   indexConst(rewriter, loc, 1));
    });
    Value acc = filled(rewriter, loc, init,
                       zeroOf(rewriter, loc, type.getElementType()));
    Value conv =
        linalg::Conv2DNchwFchwOp::create(
            rewriter, loc, TypeRange{type}, ValueRange{x, op.getWeight()},
            ValueRange{acc}, rewriter.getI64TensorAttr(op.getStrides()),
            rewriter.getI64TensorAttr(op.getDilations()))
            .getResult(0);
    if (Value bias = op.getBias()) {
      // Bias [M] along dim 1: view it as [M, 1, 1].
      auto bt = tensorTypeOf(bias);
      auto bias3 = RankedTensorType::get({bt.getDimSize(0), 1, 1},
                                         bt.getElementType());
      Value b3 = tensor::ExpandShapeOp::create(
          rewriter, loc, bias3, bias, SmallVector<ReassociationIndices>{{0, 1, 2}},
          SmallVector<OpFoldResult>{dimOfFold(rewriter, loc, bias, 0),
                                    rewriter.getIndexAttr(1),
                                    rewriter.getIndexAttr(1)});
      conv = elementwise(rewriter, loc, type, ValueRange{conv, b3},
                         [](OpBuilder &b, Location l, ValueRange a) {
                           return arith::AddFOp::create(b, l, a[0], a[1])
                               .getResult();
                         });
    }
    rewriter.replaceOp(op, conv);
    return success();
  }
};

/// Attention as a flash-attention style loop over blocks of keys with an
/// online softmax: per block, the scores [B, H, Sq, Bk], their running max
/// and sum, and the rescaled output accumulator. The full Sq x Sk score
/// matrix is never materialized, so memory per head grows linearly with
/// the sequence length.
struct LowerAttention : TfmPattern<tfm::AttentionOp> {
  static constexpr int64_t kKeyBlock = 64;
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
    auto qt = tensorTypeOf(q), kt = tensorTypeOf(k), vt = tensorTypeOf(v);
    Type t = qt.getElementType();
    int64_t hq = qt.getDimSize(1), hkv = kt.getDimSize(1);
    int64_t group = 1;
    if (!ShapedType::isDynamic(hq) && !ShapedType::isDynamic(hkv))
      group = hq / hkv;
    else if (hq != hkv)
      return op.emitOpError("grouped-query attention needs static head "
                            "counts");
    std::optional<double> scale = op.getEffectiveScale();
    Value scaleValue;
    if (scale) {
      scaleValue = floatConst(rewriter, loc, t, *scale);
    } else {
      Value d = arith::IndexCastOp::create(rewriter, loc,
                                           rewriter.getI64Type(),
                                           dimOf(rewriter, loc, q, 3));
      scaleValue = math::RsqrtOp::create(
          rewriter, loc, arith::SIToFPOp::create(rewriter, loc, t, d));
    }
    Value mask = op.getMask();
    bool boolMask = mask && tensorTypeOf(mask).getElementType().isInteger(1);
    bool causal = op.getCausal();
    Value zero = zeroOf(rewriter, loc, t);
    Value ninf = floatConst(rewriter, loc, t, -INFINITY);
    Value sq = dimOf(rewriter, loc, q, 2), sk = dimOf(rewriter, loc, k, 2);
    int64_t dyn = ShapedType::kDynamic;
    // Running state: max m and sum l per query row, the output accumulator.
    auto rowType = RankedTensorType::get(
        {qt.getDimSize(0), hq, qt.getDimSize(2)}, t);
    RankedTensorType type = op.getType();
    auto rowDim = [&](int64_t d) { return dimOf(rewriter, loc, q, d); };
    Value m0 = filled(rewriter, loc, emptyLike(rewriter, loc, rowType, rowDim),
                      ninf);
    Value l0 = filled(rewriter, loc, emptyLike(rewriter, loc, rowType, rowDim),
                      zero);
    Value acc0 = filled(rewriter, loc,
                        emptyLike(rewriter, loc, type, [&](int64_t d) {
                          return d == 3 ? dimOf(rewriter, loc, v, 3)
                                        : dimOf(rewriter, loc, q, d);
                        }),
                        zero);
    AffineExpr b0 = getAffineDimExpr(0, ctx), h = getAffineDimExpr(1, ctx),
               i = getAffineDimExpr(2, ctx), r = getAffineDimExpr(3, ctx),
               j = getAffineDimExpr(4, ctx);
    AffineExpr kvHead = group == 1 ? h : h.floorDiv(group);
    SmallVector<IteratorType> contraction{
        IteratorType::parallel, IteratorType::parallel,
        IteratorType::parallel, IteratorType::reduction,
        IteratorType::parallel};
    // c[b, h, i, j] = sum_r a[b, h, i, r] x[b, h/g, r, j], inner loop along
    // rows of x and c.
    auto headContraction = [&](OpBuilder &b, RankedTensorType resultType,
                               Value lhs, Value rhs, Value init) {
      return linalg::GenericOp::create(
                 b, loc, TypeRange{resultType}, ValueRange{lhs, rhs},
                 ValueRange{init},
                 {AffineMap::get(5, 0, {b0, h, i, r}, ctx),
                  AffineMap::get(5, 0, {b0, kvHead, r, j}, ctx),
                  AffineMap::get(5, 0, {b0, h, i, j}, ctx)},
                 contraction,
                 [&](OpBuilder &nb, Location l, ValueRange a) {
                   Value p = arith::MulFOp::create(nb, l, a[0], a[1]);
                   linalg::YieldOp::create(
                       nb, l, arith::AddFOp::create(nb, l, a[2], p).getResult());
                 })
          .getResult(0);
    };
    // A key block of `len` positions from `start`, along dim `dim`.
    auto keySlice = [&](OpBuilder &b, Value x, int64_t dim, Value start,
                        Value len) {
      auto xt = tensorTypeOf(x);
      SmallVector<OpFoldResult> offsets, sizes, strides;
      for (int64_t d = 0; d < xt.getRank(); ++d) {
        offsets.push_back(d == dim ? OpFoldResult(start) : b.getIndexAttr(0));
        sizes.push_back(d == dim ? OpFoldResult(len) : dimOfFold(b, loc, x, d));
        strides.push_back(b.getIndexAttr(1));
      }
      return tensor::ExtractSliceOp::create(b, loc, x, offsets, sizes, strides)
          .getResult();
    };
    Value c0 = indexConst(rewriter, loc, 0);
    Value block = indexConst(rewriter, loc, kKeyBlock);
    auto loop = scf::ForOp::create(
        rewriter, loc, c0, sk, block, ValueRange{m0, l0, acc0},
        [&](OpBuilder &b, Location l, Value j0, ValueRange state) {
          Value m = state[0], lsum = state[1], acc = state[2];
          Value len = arith::MinSIOp::create(
              b, l, block, arith::SubIOp::create(b, l, sk, j0).getResult());
          Value kb = keySlice(b, k, 2, j0, len);
          Value vb = keySlice(b, v, 2, j0, len);
          auto kbType = tensorTypeOf(kb);
          // Scores of the block: q x kb^T.
          auto kTType = RankedTensorType::get(
              {kt.getDimSize(0), kt.getDimSize(1), kt.getDimSize(3), dyn}, t);
          Value kTInit = emptyLike(b, l, kTType, [&](int64_t d) {
            int64_t from[] = {0, 1, 3, 2};
            return dimOf(b, l, kb, from[d]);
          });
          Value kTb = linalg::TransposeOp::create(b, l, kb, kTInit,
                                                  ArrayRef<int64_t>{0, 1, 3, 2})
                          .getResult()[0];
          auto blockType = RankedTensorType::get(
              {qt.getDimSize(0), hq, qt.getDimSize(2), dyn}, t);
          Value sInit = emptyLike(b, l, blockType, [&](int64_t d) {
            return d == 3 ? len : dimOf(b, l, q, d);
          });
          Value scores = headContraction(
              b, blockType, q, kTb, filled(b, l, sInit, zero));
          (void)kbType;
          // Scale, mask (its key slice) and causal mask.
          SmallVector<Value> operands{scores};
          if (mask) {
            auto mt = tensorTypeOf(mask);
            // Only a mask that varies along the keys is sliced.
            Value mb = mt.getRank() == 0 || mt.getShape().back() == 1
                           ? mask
                           : keySlice(b, mask, mt.getRank() - 1, j0, len);
            operands.push_back(mb);
          }
          Value masked = elementwise(
              b, l, blockType, operands,
              [&](OpBuilder &nb, Location nl, ValueRange a) {
                Value s = arith::MulFOp::create(nb, nl, a[0], scaleValue);
                Value neg = floatConst(nb, nl, t, -INFINITY);
                if (a.size() > 1)
                  s = boolMask
                          ? arith::SelectOp::create(nb, nl, a[1], s, neg)
                                .getResult()
                          : arith::AddFOp::create(nb, nl, s, a[1]).getResult();
                if (causal) {
                  // Key j0 + j is visible to query i when it is at most
                  // i + (Sk - Sq).
                  Value qi = linalg::IndexOp::create(nb, nl, 2);
                  Value kj = arith::AddIOp::create(
                      nb, nl, j0, linalg::IndexOp::create(nb, nl, 3));
                  Value limit = arith::AddIOp::create(
                      nb, nl, qi,
                      arith::SubIOp::create(nb, nl, sk, sq).getResult());
                  Value visible = arith::CmpIOp::create(
                      nb, nl, arith::CmpIPredicate::sle, kj, limit);
                  s = arith::SelectOp::create(nb, nl, visible, s, neg);
                }
                return s;
              });
          // Online softmax update.
          Value blockMax = reduceDims(
              b, l, masked, {3}, floatConst(b, l, t, -INFINITY),
              [](OpBuilder &nb, Location nl, Value x, Value a) {
                return arith::MaximumFOp::create(nb, nl, x, a).getResult();
              });
          Value mNew = elementwise(
              b, l, rowType, ValueRange{m, blockMax},
              [](OpBuilder &nb, Location nl, ValueRange a) {
                return arith::MaximumFOp::create(nb, nl, a[0], a[1])
                    .getResult();
              });
          // exp(x - m_new), 0 while everything so far is masked.
          auto shiftedExp = [&](OpBuilder &nb, Location nl, Value x,
                                Value mx) -> Value {
            Value isInf = arith::CmpFOp::create(
                nb, nl, arith::CmpFPredicate::OEQ, mx,
                floatConst(nb, nl, t, -INFINITY));
            Value e = math::ExpOp::create(
                nb, nl, arith::SubFOp::create(nb, nl, x, mx).getResult());
            return arith::SelectOp::create(nb, nl, isInf, zeroOf(nb, nl, t), e);
          };
          AffineMap id4 = AffineMap::getMultiDimIdentityMap(4, ctx);
          AffineMap row4 = dropDimsMap(ctx, 4, {3});
          SmallVector<IteratorType> par4(4, IteratorType::parallel);
          Value probs =
              linalg::GenericOp::create(
                  b, l, TypeRange{blockType}, ValueRange{masked, mNew},
                  ValueRange{emptyLike(b, l, blockType,
                                       [&](int64_t d) {
                                         return dimOf(b, l, masked, d);
                                       })},
                  {id4, row4, id4}, par4,
                  [&](OpBuilder &nb, Location nl, ValueRange a) {
                    linalg::YieldOp::create(nb, nl,
                                            shiftedExp(nb, nl, a[0], a[1]));
                  })
                  .getResult(0);
          Value corr = elementwise(
              b, l, rowType, ValueRange{m, mNew},
              [&](OpBuilder &nb, Location nl, ValueRange a) {
                return shiftedExp(nb, nl, a[0], a[1]);
              });
          Value blockSum = reduceDims(
              b, l, probs, {3}, zero,
              [](OpBuilder &nb, Location nl, Value x, Value a) {
                return arith::AddFOp::create(nb, nl, x, a).getResult();
              });
          Value lNew = elementwise(
              b, l, rowType, ValueRange{lsum, corr, blockSum},
              [](OpBuilder &nb, Location nl, ValueRange a) {
                Value scaled = arith::MulFOp::create(nb, nl, a[0], a[1]);
                return arith::AddFOp::create(nb, nl, scaled, a[2]).getResult();
              });
          // acc * corr + probs x vb.
          Value rescaled =
              linalg::GenericOp::create(
                  b, l, TypeRange{type}, ValueRange{acc, corr},
                  ValueRange{emptyLike(b, l, type,
                                       [&](int64_t d) {
                                         return dimOf(b, l, acc, d);
                                       })},
                  {id4, row4, id4}, par4,
                  [&](OpBuilder &nb, Location nl, ValueRange a) {
                    linalg::YieldOp::create(
                        nb, nl,
                        arith::MulFOp::create(nb, nl, a[0], a[1]).getResult());
                  })
                  .getResult(0);
          Value accNew = headContraction(b, type, probs, vb, rescaled);
          scf::YieldOp::create(b, l, ValueRange{mNew, lNew, accNew});
        });
    // out = acc / l (rows with no visible key give zeros).
    AffineMap id4 = AffineMap::getMultiDimIdentityMap(4, ctx);
    Value out =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{type},
            ValueRange{loop.getResult(2), loop.getResult(1)},
            ValueRange{emptyLike(rewriter, loc, type,
                                 [&](int64_t d) {
                                   return dimOf(rewriter, loc,
                                                loop.getResult(2), d);
                                 })},
            {id4, dropDimsMap(ctx, 4, {3}), id4},
            SmallVector<IteratorType>(4, IteratorType::parallel),
            [&](OpBuilder &nb, Location nl, ValueRange a) {
              Value isZero = arith::CmpFOp::create(
                  nb, nl, arith::CmpFPredicate::OEQ, a[1], zeroOf(nb, nl, t));
              Value q = arith::DivFOp::create(nb, nl, a[0], a[1]);
              linalg::YieldOp::create(
                  nb, nl,
                  arith::SelectOp::create(nb, nl, isZero, zeroOf(nb, nl, t), q)
                      .getResult());
            })
            .getResult(0);
    (void)vt;
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct LowerRope : TfmPattern<tfm::RopeOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::RopeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput(), cos = op.getCos(), sin = op.getSin();
    auto xt = tensorTypeOf(x), ct = tensorTypeOf(cos);
    int64_t rank = xt.getRank(), crank = ct.getRank();
    bool interleaved = op.getInterleaved();
    Type t = xt.getElementType();
    Value result = elementwise(
        rewriter, loc, op.getType(), ValueRange{x},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          SmallVector<Value> idx;
          for (int64_t d = 0; d < rank; ++d)
            idx.push_back(linalg::IndexOp::create(b, l, d));
          Value f = idx.back();
          Value rot = dimOf(b, l, cos, crank - 1);
          Value inRotary =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, f, rot);
          // The partner feature and its sign.
          Value one = indexConst(b, l, 1), two = indexConst(b, l, 2);
          Value partner, first;
          if (interleaved) {
            Value odd = arith::RemSIOp::create(b, l, f, two);
            first = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, odd,
                                          indexConst(b, l, 0));
            partner = arith::SelectOp::create(
                b, l, first, arith::AddIOp::create(b, l, f, one).getResult(),
                arith::SubIOp::create(b, l, f, one).getResult());
          } else {
            Value half = arith::DivSIOp::create(b, l, rot, two);
            first = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, f,
                                          half);
            partner = arith::SelectOp::create(
                b, l, first, arith::AddIOp::create(b, l, f, half).getResult(),
                arith::SubIOp::create(b, l, f, half).getResult());
          }
          // Outside the rotary part, read in-bounds positions (unused).
          Value zeroI = indexConst(b, l, 0);
          partner = arith::SelectOp::create(b, l, inRotary, partner, f);
          Value cf = arith::SelectOp::create(b, l, inRotary, f, zeroI);
          SmallVector<Value> pIdx(idx);
          pIdx.back() = partner;
          Value xp = tensor::ExtractOp::create(b, l, x, pIdx);
          // cos/sin broadcast against the leading dims.
          SmallVector<Value> cIdx;
          for (int64_t d = 0; d < crank - 1; ++d) {
            int64_t xd = d + (rank - crank);
            cIdx.push_back(ct.getDimSize(d) == 1 &&
                                   xt.getDimSize(xd) != 1
                               ? zeroI
                               : idx[xd]);
          }
          cIdx.push_back(cf);
          Value c = tensor::ExtractOp::create(b, l, cos, cIdx);
          Value s = tensor::ExtractOp::create(b, l, sin, cIdx);
          Value signedXp = arith::SelectOp::create(
              b, l, first, arith::NegFOp::create(b, l, xp).getResult(), xp);
          Value rotated = arith::AddFOp::create(
              b, l, arith::MulFOp::create(b, l, a[0], c).getResult(),
              arith::MulFOp::create(b, l, signedXp, s).getResult());
          (void)t;
          return arith::SelectOp::create(b, l, inRotary, rotated, a[0]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct TfmToLinalg : mlir::tfm::impl::TfmToLinalgBase<TfmToLinalg> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    mlir::tfm::populateTfmToLinalgPatterns(patterns, {checkIndices});
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    bool failedToLower = false;
    getOperation().walk([&](Operation *op) {
      // Run-time checks stay for kiln-lower-runtime-checks.
      if (isa<tfm::TfmDialect>(op->getDialect()) &&
          !isa<tfm::RuntimeCheckOp>(op)) {
        op->emitError("kiln cannot lower '")
            << op->getName() << "' to linalg yet";
        failedToLower = true;
      }
    });
    if (failedToLower)
      signalPassFailure();
  }
};

} // namespace

void mlir::tfm::populateTfmToLinalgPatterns(
    RewritePatternSet &patterns, const TfmToLinalgChecks &checks) {
  MLIRContext *ctx = patterns.getContext();
  using U = Value (*)(OpBuilder &, Location, Value);
  using B = Value (*)(OpBuilder &, Location, Value, Value);
  patterns.add<LowerConstant, LowerCompare, LowerSelect, LowerCast,
               LowerClip, LowerGelu, LowerSilu, LowerMatmul, LowerSoftmax,
               LowerNorm<tfm::LayerNormOp, false>,
               LowerNorm<tfm::RmsNormOp, true>, LowerReduce, LowerCumSum,
               LowerReshape, LowerTranspose, LowerConcat, LowerSlice,
               LowerSplit, LowerArgMax, LowerExpand,
               LowerSqueeze, LowerUnsqueeze, LowerShape, LowerConstantOfShape,
               LowerRange, LowerTrilu, LowerScatterND, LowerConv,
               LowerAttention, LowerRope>(ctx);
  patterns.add<LowerGather, LowerEmbedding>(ctx, checks.indices);
#define UNARY(Op, expr)                                                        \
  patterns.add<LowerUnary<tfm::Op>>(                                           \
      ctx, static_cast<U>([](OpBuilder &b, Location l, Value x) -> Value {     \
        return expr;                                                           \
      }))
  UNARY(NegOp, isFloat(x.getType())
                   ? arith::NegFOp::create(b, l, x).getResult()
                   : arith::SubIOp::create(b, l, zeroOf(b, l, x.getType()), x)
                         .getResult());
  UNARY(AbsOp, isFloat(x.getType())
                   ? math::AbsFOp::create(b, l, x).getResult()
                   : math::AbsIOp::create(b, l, x).getResult());
  UNARY(ExpOp, math::ExpOp::create(b, l, x));
  UNARY(LogOp, math::LogOp::create(b, l, x));
  UNARY(SqrtOp, math::SqrtOp::create(b, l, x));
  UNARY(RsqrtOp, math::RsqrtOp::create(b, l, x));
  UNARY(ReciprocalOp,
        arith::DivFOp::create(b, l, floatConst(b, l, x.getType(), 1.0), x));
  UNARY(TanhOp, math::TanhOp::create(b, l, x));
  UNARY(ErfOp, math::ErfOp::create(b, l, x));
  UNARY(SigmoidOp, sigmoidScalar(b, l, x));
  UNARY(ReluOp, maxOf(b, l, x, zeroOf(b, l, x.getType())));
  UNARY(SinOp, math::SinOp::create(b, l, x));
  UNARY(CosOp, math::CosOp::create(b, l, x));
  UNARY(FloorOp, math::FloorOp::create(b, l, x));
  UNARY(CeilOp, math::CeilOp::create(b, l, x));
  UNARY(NotOp, arith::XOrIOp::create(
                   b, l, x,
                   arith::ConstantOp::create(b, l, b.getBoolAttr(true))));
#undef UNARY
#define BINARY(Op, expr)                                                       \
  patterns.add<LowerBinary<tfm::Op>>(                                          \
      ctx, static_cast<B>(                                                     \
               [](OpBuilder &b, Location l, Value x, Value y) -> Value {       \
                 return expr;                                                  \
               }))
  BINARY(AddOp, add(b, l, x, y));
  BINARY(SubOp, sub(b, l, x, y));
  BINARY(MulOp, mul(b, l, x, y));
  BINARY(DivOp, div(b, l, x, y));
  BINARY(PowOp, isFloat(x.getType())
                    ? math::PowFOp::create(b, l, x, y).getResult()
                    : math::IPowIOp::create(b, l, x, y).getResult());
  BINARY(MaxOp, maxOf(b, l, x, y));
  BINARY(MinOp, minOf(b, l, x, y));
  BINARY(AndOp, arith::AndIOp::create(b, l, x, y));
  BINARY(OrOp, arith::OrIOp::create(b, l, x, y));
#undef BINARY
}
