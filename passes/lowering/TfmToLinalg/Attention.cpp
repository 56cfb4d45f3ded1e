//===- Attention.cpp - lower tfm.attention --------------------------------===//
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

/// Attention as a flash-attention style loop over blocks of keys with an
/// online softmax: per block, the scores [B, H, Sq, Bk], their running max
/// and sum, and the rescaled output accumulator. The full Sq x Sk score
/// matrix is never materialized, so memory per head grows linearly with
/// the sequence length.
struct LowerAttention : TfmPattern<tfm::AttentionOp> {
  static constexpr int64_t kKeyBlock = 64;
  using TfmPattern::TfmPattern;

  /// The mask broadcasts against the scores [B, H, Sq, Sk] (aligned right);
  /// its dynamic dims are checked against the scores' at run time, and one
  /// that is 1 then is repeated to their size, so that the loop below may
  /// read dynamic dims with the identity. (Static 1s broadcast through the
  /// indexing maps and cost nothing.)
  static Value broadcastMask(OpBuilder &b, Location loc, Operation *op,
                             Value mask, Value q, Value k) {
    auto mt = tensorTypeOf(mask);
    auto qt = tensorTypeOf(q), kt = tensorTypeOf(k);
    auto scores = RankedTensorType::get({qt.getDimSize(0), qt.getDimSize(1),
                                         qt.getDimSize(2), kt.getDimSize(2)},
                                        mt.getElementType());
    SmallVector<Value> sizes(4);
    bool dynamic = false;
    for (int64_t j = 0, offset = 4 - mt.getRank(); j < mt.getRank(); ++j)
      if (mt.isDynamicDim(j)) {
        int64_t d = j + offset;
        sizes[d] = d == 3 ? dimOf(b, loc, k, 2) : dimOf(b, loc, q, d);
        dynamic = true;
      }
    if (!dynamic)
      return mask;
    return resolveBroadcast(b, loc, op, ValueRange{mask}, scores, sizes,
                            /*coreDims=*/0, "the scores'")
        .operands[0];
  }

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
      return rewriter.notifyMatchFailure(
          op, "grouped-query attention needs static head counts");
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
    if (mask)
      mask = broadcastMask(rewriter, loc, op, mask, q, k);
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

} // namespace

void mlir::tfm::lowering::populateAttentionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LowerAttention>(patterns.getContext());
}
