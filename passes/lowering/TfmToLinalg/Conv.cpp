//===- Conv.cpp - lower tfm.conv ------------------------------------------===//
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

struct LowerConv : TfmPattern<tfm::ConvOp> {
  using TfmPattern::TfmPattern;
  LogicalResult matchAndRewrite(tfm::ConvOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    if (op.getType().getRank() != 4 || op.getGroup() != 1)
      return rewriter.notifyMatchFailure(
          op, "the lowering supports 2-D convolutions with group 1 only");
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

} // namespace

void mlir::tfm::lowering::populateConvPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerConv>(patterns.getContext());
}
