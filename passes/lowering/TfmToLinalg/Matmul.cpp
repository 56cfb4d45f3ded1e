//===- Matmul.cpp - lower tfm.matmul --------------------------------------===//
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
    // Batch dims broadcast NumPy-style; where they are dynamic on both
    // sides, the sizes are checked at run time and a side that is 1 then is
    // repeated (so the maps below may read dynamic dims with the identity).
    ResolvedBroadcast batch =
        resolveBroadcast(rewriter, loc, op, ValueRange{lhs, rhs}, type,
                         /*shapeSizes=*/{}, /*coreDims=*/2);
    lhs = batch.operands[0];
    rhs = batch.operands[1];
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
    // Result dims: batch as broadcast, m from lhs, n from rhs.
    auto lt = tensorTypeOf(lhs), rt = tensorTypeOf(rhs);
    Value init = emptyLike(rewriter, loc, type, [&](int64_t d) -> Value {
      if (d == rank - 2)
        return dimOf(rewriter, loc, lhs,
                     op.getTransposeLhs() ? lt.getRank() - 1 : lt.getRank() - 2);
      if (d == rank - 1)
        return dimOf(rewriter, loc, rhs,
                     op.getTransposeRhs() ? rt.getRank() - 2 : rt.getRank() - 1);
      return batch.sizes[d];
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

} // namespace

void mlir::tfm::lowering::populateMatmulPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LowerMatmul>(patterns.getContext());
}
