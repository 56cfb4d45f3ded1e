//===- Norms.cpp - lower tfm's layer and RMS norms ------------------------===//
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

} // namespace

void mlir::tfm::lowering::populateNormPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerNorm<tfm::LayerNormOp, false>,
               LowerNorm<tfm::RmsNormOp, true>>(patterns.getContext());
}
