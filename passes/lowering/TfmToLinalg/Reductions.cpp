//===- Reductions.cpp - lower tfm's reductions and softmax ----------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/TfmToLinalg/Common.h"

#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tfm::lowering;
namespace tfm = mlir::tfm;
using utils::IteratorType;

namespace {

struct LowerSoftmax : TfmPattern<tfm::SoftmaxOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, softmax(rewriter, op.getLoc(), op.getInput(),
                                   op.getAxis(), op.getLog()));
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

} // namespace

void mlir::tfm::lowering::populateReductionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LowerReduce, LowerArgMax, LowerCumSum, LowerSoftmax>(
      patterns.getContext());
}
