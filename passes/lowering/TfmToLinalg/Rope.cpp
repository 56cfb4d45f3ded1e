//===- Rope.cpp - lower tfm.rope ------------------------------------------===//
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
    // cos/sin broadcast against x's leading dims: a dynamic one must be x's
    // size or 1 (then read at 0), and the rotary width must fit in x's last
    // dim, checked at run time so that nothing is read out of bounds.
    std::string label = nodeLabel(op);
    SmallVector<Value> unitTable(crank - 1);
    for (int64_t d = 0; d < crank - 1; ++d) {
      int64_t xd = d + (rank - crank);
      if (!ct.isDynamicDim(d))
        continue;
      Value size = dimOf(rewriter, loc, cos, d);
      Value xSize = dimOf(rewriter, loc, x, xd);
      Value one = indexConst(rewriter, loc, 1);
      unitTable[d] = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::eq, size, one);
      Value same = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::eq, size, xSize);
      runtimeCheck(rewriter, loc,
                   arith::OrIOp::create(rewriter, loc, same, unitTable[d]),
                   label + ": cannot broadcast the cos/sin tables' dimension " +
                       Twine(d) + " of size {0} against the input's size {1}",
                   ValueRange{size, xSize});
    }
    if (ct.isDynamicDim(crank - 1) || xt.isDynamicDim(rank - 1)) {
      Value rotary = dimOf(rewriter, loc, cos, crank - 1);
      Value width = dimOf(rewriter, loc, x, rank - 1);
      runtimeCheck(rewriter, loc,
                   arith::CmpIOp::create(rewriter, loc,
                                         arith::CmpIPredicate::sle, rotary,
                                         width),
                   label + ": the rotary width {0} is larger than the "
                           "input's last dimension {1}",
                   ValueRange{rotary, width});
    }
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
            if (unitTable[d])
              cIdx.push_back(
                  arith::SelectOp::create(b, l, unitTable[d], zeroI, idx[xd]));
            else
              cIdx.push_back(ct.getDimSize(d) == 1 && xt.getDimSize(xd) != 1
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

} // namespace

void mlir::tfm::lowering::populateRopePatterns(RewritePatternSet &patterns) {
  patterns.add<LowerRope>(patterns.getContext());
}
